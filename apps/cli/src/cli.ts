import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import * as backends from './commands/backends';
import * as cnn from './commands/cnn';
import * as compareNoise from './commands/compare-noise';
import * as da from './commands/da';
import * as data from './commands/data';
import * as exportCommand from './commands/export';
import * as mlp from './commands/mlp';
import * as predict from './commands/predict';
import * as sda from './commands/sda';
import * as summary from './commands/summary';
import * as sweep from './commands/sweep';
import * as transfer from './commands/transfer';
import * as worker from './commands/worker';
import { errorEvent, eventLine, wantsJson } from './run/events';
import { releaseOutLocks } from './run/out-lock';
import { addHelpExamples } from './help-examples';
import { EXIT, STANDARD_OUTPUT, exitCodeFor, type Output } from './output';

export { EXIT, type Output } from './output';

/** The version of the installed @sdae/cli, from its package.json (beside both src/ and dist/). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Every command, in the order `sdae --help` lists them. */
const COMMANDS = [data, backends, da, sda, cnn, compareNoise, transfer, sweep, worker, mlp, predict, exportCommand, summary];

/** The sdae program with every command, writing to `output` (exported for tests that parse command lines). */
export function buildProgram(output: Output): Command {
  const program = new Command('sdae')
    .description('Denoising autoencoders, stacked denoising autoencoders and ReLU CNNs on TensorFlow.js')
    .version(VERSION, '-V, --version', 'print the version of sdae')
    .exitOverride()
    // `sdae sweep da --epochs 2` passes the flags after `da` to da, not to sweep.
    .enablePositionalOptions()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError('(run with --help for the flags and their defaults)');
  for (const command of COMMANDS) command.register(program, output);
  addHelpExamples(program);
  return program;
}

/**
 * Runs the sdae command line and resolves to its exit code; never calls process.exit, so it can
 * be tested in-process.
 */
export async function run(argv: readonly string[], output: Output = STANDARD_OUTPUT): Promise<number> {
  try {
    await buildProgram({ ...output, commandLine: argv }).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (!wantsJson(argv)) return exitCodeFor(error, output);
    // With --json the error is an event on stdout too, from what the mapping prints (commander has printed its own).
    let printed = '';
    const recording = (text: string) => {
      printed += text;
      output.err(text);
    };
    const code = exitCodeFor(error, { ...output, err: recording });
    const message = error instanceof CommanderError || printed === '' ? (error instanceof Error ? error.message : String(error)) : printed;
    if (code !== EXIT.ok) output.out(eventLine(errorEvent(code, message)));
    return code;
  } finally {
    releaseOutLocks();
  }
}
