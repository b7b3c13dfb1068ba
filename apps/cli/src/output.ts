import { CommanderError } from 'commander';
import { InvalidArgumentError, SdaeError } from '@sdae/core';

/** Where a command writes; tests pass their own to read what was printed. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when `out` is a terminal: progress bars are drawn only then. */
  isTTY?: boolean;
  /** The arguments the command was run with, for the command that resumes an interrupted run. */
  commandLine?: readonly string[];
}

/** The process's standard output and error. */
export const STANDARD_OUTPUT: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
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
 * The exit code for an error a command threw. Commander has already printed its own usage errors
 * (help and version requests are not failures); an sdae error is printed here, prefixed with
 * `sdae:`. Any other error is a bug and is thrown again, stack and all.
 *
 * @throws the error itself when it is neither commander's nor sdae's.
 */
export function exitCodeFor(error: unknown, output: Output): ExitCode {
  if (error instanceof CommanderError) {
    const helpShown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    return helpShown ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof RunInterrupted) return EXIT.interrupted;
  if (SdaeError.isInstance(error)) {
    output.err(`sdae: ${error.message}\n`);
    // A flag the command refused after parsing (two flags that contradict) is a usage error too.
    return InvalidArgumentError.isInstance(error) && error.argument.startsWith('--') ? EXIT.usage : EXIT.failed;
  }
  throw error;
}
