import type { EngineName, EpochLog } from '@sdae/train';
import type { AdapterInfo } from '@sdae/backend';
import { EXIT, type ExitCode } from '../output';

/**
 * What a command prints with --json: one event object a line on stdout, each with a `type`
 * (apps/cli/README.md documents them). Human text goes to stderr then, or nowhere.
 */
export type CliEvent =
  /** A line of text that says what is trained (the model, the data, the settings). */
  | { type: 'message'; message: string }
  /** What runs the training steps and why, and the tfjs backend beside it. */
  | {
      type: 'engine';
      engine: Exclude<EngineName, 'auto'>;
      description: string;
      reason: string;
      /** The native engine's device, its adapter and why (`resolveEngine`'s answer); absent on tfjs. */
      device?: string;
      adapter?: AdapterInfo;
      deviceReason?: string;
      backend: string;
      backendDetail?: string;
    }
  /** Progress within an epoch, at most about once a second; in a comparison, which run. */
  | { type: 'batch'; run?: string; stage: string; layer?: number; epoch: number; batch: number; batches: number; loss: number }
  /** An epoch's log (an iteration's, for `stage: 'sampled'`), as the training loop gives it. */
  | ({ type: 'epoch'; run?: string } & EpochLog)
  /** A checkpoint was written. */
  | { type: 'checkpoint'; path: string; bytes: number }
  /** One run of a comparison diverged (its curve so far is kept). */
  | { type: 'diverged'; run: string; message: string }
  /** What the command found: a test error or accuracy, `sdae data`'s summary, `sdae backends`' report. */
  | ({ type: 'result' } & Record<string, unknown>)
  /** The HTML report (and every file beside it) is written. */
  | { type: 'report'; path: string }
  /**
   * Ctrl-C stopped the run; where it stopped and the command that resumes it. A comparison (which
   * keeps no checkpoint) adds the run it stopped, the runs it finished and the report holding them.
   */
  | {
      type: 'interrupted';
      checkpoint: string | null;
      resumeCommand: string | null;
      run?: string | null;
      finished?: string[];
      report?: string;
    }
  /** Why the command failed; the last line, and the exit code is unchanged. */
  | { type: 'error'; code: ErrorCode; exitCode: ExitCode; message: string };

/** The kind of failure an error event reports, by its exit code. */
export type ErrorCode = 'usage' | 'failed' | 'interrupted';

const ERROR_CODES: Record<Exclude<ExitCode, 0>, ErrorCode> = {
  [EXIT.failed]: 'failed',
  [EXIT.usage]: 'usage',
  [EXIT.interrupted]: 'interrupted',
};

/** An event as the line --json prints. */
export function eventLine(event: CliEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/**
 * The error event of a command that ended with `exitCode`; `printed` is what the error mapping
 * wrote to stderr (`sdae: ...`, or commander's `error: ...` lines), of which the first line
 * without its prefix is the message.
 *
 * @example errorEvent(2, "error: unknown option '--splt'\n") // { type: 'error', code: 'usage', exitCode: 2, message: "unknown option '--splt'" }
 */
export function errorEvent(exitCode: Exclude<ExitCode, 0>, printed: string): Extract<CliEvent, { type: 'error' }> {
  const first = printed.split('\n').find((line) => line.trim() !== '') ?? '';
  return { type: 'error', code: ERROR_CODES[exitCode], exitCode, message: first.replace(/^(sdae|error): /, '') };
}

/** Whether the command line asks for --json (before any `--`, after which arguments are not flags). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
