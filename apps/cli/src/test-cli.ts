// Test helpers (not part of the command): run the built command as a user would and compare
// directories before and after. turbo builds @sdae/cli before its tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/**
 * Runs the command in this process (`run` of cli.ts, imported on first use so that the tests of
 * the built command do not load it) and returns its exit code and what it printed.
 */
export async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { run } = await import('./cli');
  let out = '';
  let err = '';
  const code = await run(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** What a run of the command printed and how it ended. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Runs `node dist/main.js ...args`. With `unprivileged`, a process of root runs it without the
 * capabilities that let root ignore file permissions (CAP_DAC_OVERRIDE and the rest, dropped
 * with util-linux's setpriv), so that a directory root made read-only refuses it as it refuses
 * any user. Unlike running it as `nobody`, this works from a checkout other users cannot enter.
 * Killed after 90 s (a hang; a refused command ends in well under a second, but a loaded machine
 * can starve it for a while).
 */
export function sdae(args: string[], options: { env?: Record<string, string>; unprivileged?: boolean; cwd?: string } = {}): CliRun {
  const dropCapabilities = options.unprivileged === true && process.getuid?.() === 0;
  const command = [process.execPath, MAIN, ...args];
  if (dropCapabilities && spawnSync('setpriv', ['--inh-caps=-all', '--bounding-set=-all', '--', 'true']).status !== 0) {
    throw new Error('setpriv (util-linux) must be installed and allowed to drop capabilities to run the command as root without them.');
  }
  const [file, ...rest] = dropCapabilities ? ['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--', ...command] : command;
  const result = spawnSync(file!, rest, {
    encoding: 'utf8',
    timeout: 90_000,
    cwd: options.cwd,
    env: { ...process.env, SDAE_DEBUG: '', ...options.env },
  });
  return { code: result.status, signal: result.signal, out: result.stdout, err: result.stderr };
}

/** Every file and directory under `root`, with each file's contents, to compare before and after. */
export function snapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const path = join(root, name);
    entries[name] = statSync(path).isDirectory() ? '<dir>' : readFileSync(path, 'utf8');
  }
  return entries;
}

/** A run of the built command started by {@link startSdae}. */
export interface StartedCli {
  child: ChildProcess;
  /** Everything printed on stdout so far. */
  out: () => string;
  /** Resolves once stdout matches `pattern`. */
  printed: (pattern: RegExp) => Promise<void>;
  exited: Promise<CliRun>;
}

/** Starts `node dist/main.js ...args` (or another copy's `main`) without waiting for it: to signal or kill it, or to run several at once. */
export function startSdae(args: string[], options: { env?: Record<string, string>; main?: string } = {}): StartedCli {
  const child = spawn(process.execPath, [options.main ?? MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SDAE_DEBUG: '', ...options.env },
  });
  let out = '';
  let err = '';
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const wait of waiting.filter(({ pattern }) => pattern.test(out))) {
      waiting.splice(waiting.indexOf(wait), 1);
      wait.resolve();
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  const printed = (pattern: RegExp) =>
    pattern.test(out)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiting.push({ pattern, resolve });
          void exited.then((run) =>
            reject(new Error(`exited (${run.code ?? run.signal}) before printing ${pattern}:\n${run.out}\n${run.err}`)),
          );
        });
  return { child, out: () => out, printed, exited };
}
