// Test helpers (not part of the command): run the built command as a user would and compare
// directories before and after. turbo builds @sdae/cli before its tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './cli';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/** What a run of the command printed and how it ended. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Runs `node dist/main.js ...args` (as another user with `uid`/`gid`). Killed after 90 s (a hang;
 * a refused command ends in well under a second, but a loaded machine can starve it for a while).
 */
export function sdae(args: string[], options: { env?: Record<string, string>; uid?: number; gid?: number; cwd?: string } = {}): CliRun {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    timeout: 90_000,
    cwd: options.cwd,
    env: { ...process.env, SDAE_DEBUG: '', ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
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

/** Runs the command in this process, as `sdae ...argv` would, capturing what it prints. */
export async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}
