import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable that makes a trial's process exit when the process that started it dies. */
const EXIT_WITH_PARENT = 'SDAE_EXIT_WITH_PARENT';

/** The directory of @sdae/cli's package.json, from the source (tests) or from the bundle in dist/. */
function packageDirectory(): string {
  for (let directory = dirname(fileURLToPath(import.meta.url)); ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'package.json'))) return directory;
    if (dirname(directory) === directory) throw new Error('sdae: cannot find the package.json of @sdae/cli above its code');
  }
}

/** The version of this sdae command, from its package.json: a queue worker runs only trials of the same version. */
export function sdaeVersion(): string {
  return (JSON.parse(readFileSync(join(packageDirectory(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Makes this process exit (code 1) within half a second of the process that started it dying, when
 * that process asked for it: a trial's training must not outlive a killed sweep or worker, whose
 * trial another worker then runs into the same directory.
 */
export function exitWithParentWhenAsked(): void {
  if (process.env[EXIT_WITH_PARENT] !== '1') return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(1);
  }, 500).unref();
}

/** How one trial's process ended. */
export interface TrialExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  /** The error the command printed (its `sdae: ...` line), when it failed. */
  error: string | undefined;
}

/** A trial's process while it runs: kill it, or await its end. */
export interface RunningTrial {
  child: ChildProcess;
  exited: Promise<TrialExit>;
}

/** The error a failed command printed: its last `sdae:` line, else its last line, else how it ended. */
function printedError(text: string, exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const error = lines.filter((line) => line.startsWith('sdae: ') || line.startsWith('error: ')).at(-1) ?? lines.at(-1);
  const ending = exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
  return error === undefined ? `the trial ended with ${ending} and printed nothing` : `${error} (${ending})`;
}

/**
 * Runs `sdae <command> ...argv --out <directory>` as a child process of this one (the built
 * command, as a user runs it), its output into `<directory>/output.txt`, with `threads` for the
 * native and wasm pools through their environment variables, so that trials running side by side
 * do not each take every core.
 *
 * @example const trial = await startTrial('da', ['--epochs', '2'], 'runs/sweep/trials/0123abcd4567', 1); await trial.exited;
 */
export async function startTrial(command: string, argv: readonly string[], directory: string, threads: number): Promise<RunningTrial> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'output.txt');
  const log = await open(path, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, [join(packageDirectory(), 'dist', 'main.js'), command, ...argv, '--out', directory], {
    stdio: ['ignore', log.fd, log.fd],
    env: {
      ...process.env,
      SDAE_NATIVE_THREADS: String(threads),
      SDAE_WASM_THREADS: String(threads),
      [EXIT_WITH_PARENT]: '1',
    },
  });
  const exited = new Promise<TrialExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      void log
        .close()
        .then(() => (code === 0 ? undefined : readFile(path, 'utf8').then((text) => printedError(text, { code, signal }))))
        .then((error) => resolve({ code, signal, seconds, error }), reject);
    });
  });
  return { child, exited };
}
