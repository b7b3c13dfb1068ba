import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ProgressSnapshot } from '../run/progress';

/** The environment variable that makes a trial's process exit when the process that started it dies. */
const EXIT_WITH_PARENT = 'SDAE_EXIT_WITH_PARENT';

/** The environment variable naming the file descriptor on which a trial reports its progress to the sweep that started it. */
const PROGRESS_FD = 'SDAE_PROGRESS_FD';

/**
 * What a trial's process tells the sweep that started it, a JSON object a line on its progress
 * pipe: where its minibatches are (about twice a second), and each epoch's log line as it prints it
 * (`done` of `total` epochs of the stage, or iterations of an iteration run).
 */
export type TrialProgress = { type: 'batch'; snapshot: ProgressSnapshot } | { type: 'epoch'; line: string; done: number; total: number };

/**
 * In a trial's process started with progress reporting, the function that reports to the sweep;
 * otherwise undefined. The messages are a few a second and the sweep reads them as they come; a
 * write that fails (the sweep is gone) drops the message: progress is shown, not recorded
 * (output.txt and history.json hold the record).
 */
export function trialProgressChannel(): ((message: TrialProgress) => void) | undefined {
  const fd = Number(process.env[PROGRESS_FD]);
  if (!Number.isSafeInteger(fd) || fd < 3) return undefined;
  return (message) => {
    try {
      writeSync(fd, `${JSON.stringify(message)}\n`);
    } catch {
      // The sweep closed its end: this message is dropped.
    }
  };
}

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
 * do not each take every core. With `onProgress`, the trial reports its progress on a pipe of its
 * own (fd 3) and `onProgress` gets each message.
 *
 * @example const trial = await startTrial('da', ['--epochs', '2'], 'runs/sweep/trials/0123abcd4567', 1); await trial.exited;
 */
export async function startTrial(
  command: string,
  argv: readonly string[],
  directory: string,
  threads: number,
  onProgress?: (message: TrialProgress) => void,
): Promise<RunningTrial> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, 'output.txt');
  const log = await open(path, 'w');
  const started = performance.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SDAE_NATIVE_THREADS: String(threads),
    SDAE_WASM_THREADS: String(threads),
    [EXIT_WITH_PARENT]: '1',
  };
  if (onProgress === undefined) delete env[PROGRESS_FD];
  else env[PROGRESS_FD] = '3';
  const child = spawn(process.execPath, [join(packageDirectory(), 'dist', 'main.js'), command, ...argv, '--out', directory], {
    stdio: ['ignore', log.fd, log.fd, onProgress === undefined ? 'ignore' : 'pipe'],
    env,
  });
  if (onProgress !== undefined) {
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      let message: TrialProgress;
      try {
        message = JSON.parse(line) as TrialProgress;
      } catch {
        return;
      }
      onProgress(message);
    });
  }
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
