import { CommanderError } from 'commander';
import { DeviceUnavailableError } from '@sdae/backend';
import { InvalidArgumentError, SdaeError } from '@sdae/core';
import { fileSystemFailure, isSystemError } from './writable';

/** Where a command writes; tests pass their own to read what was printed. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when `out` is a terminal: progress bars are drawn only then. */
  isTTY?: boolean;
  /** The terminal's width in characters, when `out` is one (a status line is cut to it). */
  columns?: number;
  /** The arguments the command was run with, for the command that resumes an interrupted run. */
  commandLine?: readonly string[];
}

/** The process's standard output and error. */
export const STANDARD_OUTPUT: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  get columns() {
    return process.stdout.columns;
  },
};

/**
 * Exit codes: 0 done, 1 the experiment failed (bad data, diverged, an engine that cannot start),
 * 2 bad flags, 130 interrupted: a training run stopped by Ctrl-C writes a checkpoint of its last
 * minibatch, prints the command that resumes it and exits with 130 (a second Ctrl-C at once).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** One of {@link EXIT}'s codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by a command whose training Ctrl-C stopped, after it printed how to resume: exit 130, nothing more printed. */
export class RunInterrupted extends SdaeError {
  /** The checkpoint holding the state where the run stopped, if one was written. */
  readonly checkpoint: string | undefined;

  constructor(checkpoint: string | undefined) {
    super(`interrupted${checkpoint === undefined ? '' : `; resume from ${checkpoint}`}`);
    this.checkpoint = checkpoint;
  }
}

/**
 * An API error in the CLI's terms: a loop refusing its `resume` option (fewer epochs, another model
 * or loop) refuses --resume, a usage error like the CLI's own refusals.
 */
export function inCliTerms(error: SdaeError): SdaeError {
  if (InvalidArgumentError.isInstance(error) && error.argument === 'resume') {
    return new InvalidArgumentError('--resume', error.value, `--resume ${error.message.replace(/^resume: /, '')}`);
  }
  return error;
}

/**
 * The exit code for an error a command threw. Commander has already printed its own usage errors
 * (help and version requests are not failures); an sdae error is printed here on one line,
 * prefixed with `sdae:`, and so is a file system error (a disk filling up, a file removed under
 * the run). Anything else is a bug: one line saying so, and its stack only with `SDAE_DEBUG=1`.
 */
export function exitCodeFor(error: unknown, output: Output): ExitCode {
  if (error instanceof CommanderError) {
    const helpShown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    return helpShown ? EXIT.ok : EXIT.usage;
  }
  if (RunInterrupted.isInstance(error)) return EXIT.interrupted;
  const debug = process.env['SDAE_DEBUG'] === '1';
  const known = SdaeError.isInstance(error) ? inCliTerms(error) : isSystemError(error) ? fileSystemFailure(error) : undefined;
  if (known !== undefined) {
    output.err(`sdae: ${known.message}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) output.err(`${error.stack}\n`);
    // A flag, argument (`IMAGE`) or environment variable (`SDAE_NATIVE_THREADS`) refused after parsing
    // (two flags that contradict) is a usage error too. So is a --device that cannot start here (it names what to install).
    if (DeviceUnavailableError.isInstance(known)) return EXIT.usage;
    return InvalidArgumentError.isInstance(known) && /^(--|[A-Z][A-Z_]*$)/.test(known.argument) ? EXIT.usage : EXIT.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.err(
    debug && error instanceof Error && error.stack !== undefined
      ? `sdae: internal error: ${error.stack}\n`
      : `sdae: internal error: ${message.split('\n')[0]}. This is a bug in sdae; run again with SDAE_DEBUG=1 for the stack trace and report it.\n`,
  );
  return EXIT.failed;
}
