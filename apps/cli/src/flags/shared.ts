import { InvalidArgumentError as InvalidFlagError, Option, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { BACKEND_NAMES, DEFAULT_PREFERENCE, DEVICE_NAMES, NATIVE_THREADS_PER_CORE, type BackendName, type DeviceName } from '@sdae/backend';
import { MNIST_SPLIT_NAMES, type MnistSplitName } from '@sdae/datasets';
import { ACTIVATION_NAMES, type ActivationName } from '@sdae/layers';
import {
  DEFAULT_LEARNING_RATE,
  ENGINE_NAMES,
  OPTIMIZER_NAMES,
  formatLearningRateSchedule,
  type EngineName,
  type LearningRateSchedule,
  type OptimizerName,
  type OptimizerOptions,
} from '@sdae/train';
import { type Flag, type FlagValues, flag, refuseInapplicable } from './define';
import {
  MNIST_CLASSES,
  MNIST_INPUTS,
  boundedInteger,
  choiceParser,
  daHiddenSize,
  fittingLayers,
  learningRateSchedule,
  list,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  redisUrl,
  seedNumber,
  unitInterval,
} from './parsers';

// Flags that several commands share, some with defaults of their own.

/** The tfjs backends that run in Node, fastest first: the only ones `--backend` offers. */
export const NODE_BACKENDS: readonly BackendName[] = DEFAULT_PREFERENCE.node;

/**
 * A parser of `--backend`: `auto` or a backend that runs in Node. A browser backend (webgl,
 * webgpu) is refused with the reason and the Node ones, not as an unknown word.
 */
export function backendParser(text: string): BackendName | 'auto' {
  const choices = ['auto', ...NODE_BACKENDS];
  if ((choices as readonly string[]).includes(text)) return text as BackendName | 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(text)) {
    throw new InvalidFlagError(`${text} runs only in the browser (the sdae web app); in Node, choose one of ${choices.join(', ')}.`);
  }
  throw new InvalidFlagError(`Allowed choices are ${choices.join(', ')}.`);
}

/** `--backend`: the tfjs backend; help lists only the ones that run in Node. */
export const backendFlag = flag<BackendName | 'auto'>(() =>
  new Option('--backend <name>', 'tfjs backend, or auto for the fastest that works')
    .choices(['auto', ...NODE_BACKENDS])
    .argParser(backendParser)
    .default('auto'),
);

/** `--split`: how MNIST is divided. */
export const splitFlag = flag<MnistSplitName>(() =>
  new Option('--split <name>', 'how to divide MNIST (mini: 5,000 / 1,000 / 1,000)').choices(MNIST_SPLIT_NAMES).default('theano'),
);

/** `--json`: machine-readable output, described as the command prints it. */
export function jsonFlag(description: string): Flag<boolean> {
  return flag<boolean>(() => new Option('--json', description).default(false));
}

/**
 * A path given to a flag: `--out ''` would otherwise write into the current directory (an empty
 * path resolves to it), and `--model ''` read it.
 */
export function nonEmptyPath(text: string): string {
  if (text.trim() === '')
    throw new InvalidFlagError('Expected a path; an empty one would stand for the current directory. Name a directory or file.');
  return text;
}

/** `--out <dir>`: the directory a command writes; without a default the flag is required. */
export function outFlag(description: string, defaultOut?: string): Flag<string> {
  return flag<string>(() => {
    const option = new Option('--out <dir>', description).argParser(nonEmptyPath);
    return defaultOut === undefined ? option.makeOptionMandatory() : option.default(defaultOut);
  });
}

/** `--model <path>`: a model a training command saved, its `<out>/model` directory or a checkpoint file (`<out>/checkpoint.sdae`). */
export const modelFlag = flag<string>(() =>
  new Option('--model <path>', 'a saved model: the model directory a training command wrote (<out>/model) or a checkpoint file')
    .argParser(nonEmptyPath)
    .makeOptionMandatory(),
);

/** The formats `sdae export` writes: `tfjs`, the TensorFlow.js layers format that tf.loadLayersModel reads; `onnx`, a .onnx file. */
export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `--format <name>`: what `sdae export` writes. */
export const exportFormatFlag = flag<ExportFormat>(() =>
  new Option(
    '--format <name>',
    'tfjs: model.json + weight shards for tf.loadLayersModel (a dA: encoder/ and decoder/); onnx: model.onnx for onnxruntime',
  )
    .argParser(choiceParser('--format', EXPORT_FORMATS))
    .default('tfjs'),
);

/** `--hidden <sizes>`: hidden layer sizes of a stack or an MLP. */
export function hiddenSizesFlag(defaultSizes: readonly number[]): Flag<number[]> {
  return flag<number[]>(() =>
    new Option('--hidden <sizes>', 'hidden layer sizes, comma-separated')
      .argParser(fittingLayers('--hidden', list(positiveInteger), (sizes) => [[MNIST_INPUTS, ...sizes, MNIST_CLASSES]]))
      .default([...defaultSizes]),
  );
}

/** A `ROWSxCOLUMNS` grid of whole numbers >= 1: `10x10`. */
export function gridShape(text: string): [number, number] {
  const match = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(text);
  const rows = Number(match?.[1]);
  const columns = Number(match?.[2]);
  if (match === null || rows < 1 || columns < 1) {
    throw new InvalidFlagError("Expected ROWSxCOLUMNS, two whole numbers >= 1 such as 10x10 (the notebook's 100 test digits) or 1x10.");
  }
  return [rows, columns];
}

/** `--grid <rows>x<columns>`: how many test digits a dA's reconstructions show, and how they are laid out. */
export const gridFlag = flag<[number, number]>(() =>
  new Option('--grid <rows>x<columns>', "test digits shown reconstructed, as a grid: 10x10 is the notebook's 100 digits")
    .argParser(gridShape)
    .default([1, 10], '1x10'),
);

/** `--activation`: the hidden nonlinearity. */
export function activationFlag(defaultActivation: ActivationName): Flag<ActivationName> {
  return flag<ActivationName>(() =>
    new Option('--activation <name>', 'hidden nonlinearity').choices(ACTIVATION_NAMES).default(defaultActivation),
  );
}

/** How a command describes (and defaults) a number flag; no default leaves it undefined. */
export interface NumberFlagSettings<D extends number | undefined> {
  description: string;
  default: D;
}

export function numberFlag<D extends number | undefined>(
  flags: string,
  parse: (text: string) => number,
  settings: NumberFlagSettings<D>,
): Flag<number | D> {
  return flag<number | D>(() => {
    const option = new Option(flags, settings.description).argParser(parse);
    return settings.default === undefined ? option : option.default(settings.default);
  });
}

/** `--epochs <n>`. */
export function epochsFlag<D extends number | undefined>(settings: NumberFlagSettings<D>): Flag<number | D> {
  return numberFlag('--epochs <n>', positiveInteger, settings);
}

/** `--learning-rate <rate>`. */
export function learningRateFlag<D extends number | undefined>(settings: NumberFlagSettings<D>): Flag<number | D> {
  return numberFlag('--learning-rate <rate>', positiveNumber, settings);
}

/** `--batch-size <n>`. */
export function batchSizeFlag<D extends number | undefined>(settings: NumberFlagSettings<D>): Flag<number | D> {
  return numberFlag('--batch-size <n>', positiveInteger, settings);
}

// Flag groups.

/**
 * The flags every experiment shares: backend, seed, output directory, data split and size, JSON
 * logs and the full backend report.
 */
export function experimentFlags(defaultOut: string) {
  return {
    backend: backendFlag,
    seed: flag<number>(() => new Option('--seed <n>', 'seed of the weights and noise, 0 to 2^32 - 1').argParser(seedNumber).default(0)),
    out: outFlag('where to write the pictures, model and report', defaultOut),
    split: splitFlag,
    /** Use only the first N images of each set (quick runs and tests). */
    limit: flag<number | undefined>(() =>
      new Option('--limit <n>', 'use only the first n images of each set (quick runs)').argParser(positiveInteger),
    ),
    json: jsonFlag('print one JSON object per line instead of text'),
    verbose: flag<boolean>(() =>
      new Option(
        '--verbose',
        'print the full backend report (every backend tried, kernels added), why the engine was chosen, and where the time before the first step and after the last went',
      ).default(false),
    ),
  };
}

/** The values of {@link experimentFlags}. */
export type ExperimentFlags = FlagValues<ReturnType<typeof experimentFlags>>;

/** `--engine` and `--threads`: what runs every training command's steps. */
export const engineFlags = {
  engine: flag<EngineName>(() =>
    new Option('--engine <name>', 'what runs the training steps: auto (native when it loads, else tfjs), native (onnxruntime-node) or tfjs')
      .argParser(choiceParser('--engine', ENGINE_NAMES))
      .default('auto'),
  ),
  threads: flag<number | undefined>(() =>
    new Option('--threads <n>', 'threads of the native engine (default: every core, or SDAE_NATIVE_THREADS)').argParser(
      boundedInteger(
        availableParallelism() * NATIVE_THREADS_PER_CORE,
        `${NATIVE_THREADS_PER_CORE} per core of the ${availableParallelism()} here: more only wait on each other and each costs memory`,
      ),
    ),
  ),
  device: flag<DeviceName | undefined>(() =>
    new Option(
      '--device <name>',
      "the native engine's device: auto (a hardware GPU where its provider starts, else cpu), cpu, webgpu, cuda, coreml (macOS) or dml (Windows) (default: auto, or SDAE_DEVICE)",
    ).argParser(choiceParser('--device', DEVICE_NAMES)),
  ),
};

/** The values of {@link engineFlags}. */
export type EngineFlags = FlagValues<typeof engineFlags>;

/** `--checkpoint` and `--resume`, for the commands that train one model. */
export const checkpointFlags = {
  /** Where to write a checkpoint after every epoch; default `<out>/checkpoint.sdae`. */
  checkpoint: flag<string | undefined>(() =>
    new Option(
      '--checkpoint <file>',
      'checkpoint written after every epoch (default: <out>/checkpoint.sdae); Ctrl-C stops and names it',
    ).argParser(nonEmptyPath),
  ),
  /** A checkpoint to continue from. */
  resume: flag<string | undefined>(() =>
    new Option('--resume <file>', 'continue exactly from a checkpoint written with the same flags').argParser(nonEmptyPath),
  ),
};

/** The values of {@link checkpointFlags}. */
export type CheckpointFlags = FlagValues<typeof checkpointFlags>;

/**
 * The training flags of a dA: `da` (15 epochs) and the comparisons, which train several models
 * and so run 5 epochs each.
 */
export function daTrainingFlags(settings: { epochs: number }) {
  return {
    hidden: flag<number>(() => new Option('--hidden <n>', 'hidden units').argParser(daHiddenSize('--hidden')).default(500)),
    corruption: flag<number>(() =>
      new Option('--corruption <level>', 'fraction of pixels masked, in [0, 1)').argParser(unitInterval).default(0.3),
    ),
    learningRate: learningRateFlag({ description: 'learning rate', default: DEFAULT_LEARNING_RATE }),
    epochs: epochsFlag({ description: 'epochs per model', default: settings.epochs }),
    batchSize: batchSizeFlag({ description: 'minibatch size', default: 20 }),
  };
}

/** The values of {@link daTrainingFlags}. */
export type DaTrainingFlags = FlagValues<ReturnType<typeof daTrainingFlags>>;

/** How a command describes and defaults the shared optimiser flags. */
export interface OptimizerFlagSettings<D extends OptimizerName | undefined> {
  /** The default optimiser; undefined when the command picks one itself (cnn: its preset's). */
  optimizer: D;
  /** How the command describes that default, when it picks one itself. */
  optimizerDefault?: string;
  /** The default momentum of `--optimizer momentum`. */
  momentum: number;
  /** What the flags shape, when not all the command's training: `'fine-tuning'` for sda. */
  stage?: string;
  /** What one step of --lr-schedule is. @default 'epoch' */
  scheduleUnit?: string;
  /**
   * How the command describes the schedule it picks itself when --lr-schedule is not given (cnn:
   * its preset's); the flag then has no default. @default constant, the flag's default
   */
  scheduleDefault?: string;
}

/**
 * The optimiser flags every training command shares: `--optimizer`, `--momentum`,
 * `--weight-decay` and `--lr-schedule` (`constant`, `step:EPOCHS:FACTOR`, `exponential:GAMMA`,
 * `cosine`), read into @sdae/train's options by {@link optimizerOptions}; a command checks them
 * with {@link refuseOptimizerFlags}.
 */
export function optimizerFlags<D extends OptimizerName | undefined>(settings: OptimizerFlagSettings<D>) {
  const of = settings.stage === undefined ? '' : ` of ${settings.stage}`;
  return {
    optimizer: flag<OptimizerName | D>(() => {
      const option = new Option(
        '--optimizer <name>',
        `update rule${of}: sgd, momentum or adam${settings.optimizerDefault === undefined ? '' : ` (${settings.optimizerDefault})`}`,
      ).argParser(choiceParser('--optimizer', OPTIMIZER_NAMES));
      return settings.optimizer === undefined ? option : option.default(settings.optimizer);
    }),
    momentum: flag<number>(() =>
      new Option('--momentum <m>', `momentum${of} with --optimizer momentum, in [0, 1)`).argParser(unitInterval).default(settings.momentum),
    ),
    weightDecay: flag<number>(() =>
      new Option(
        '--weight-decay <lambda>',
        `L2 weight decay${of}: each step adds lambda * W to the gradient of the weights (not the biases)`,
      )
        .argParser(nonNegativeNumber)
        .default(0),
    ),
    // Undefined only with scheduleDefault: optimizerOptions then takes the command's own schedule.
    lrSchedule: flag<LearningRateSchedule | undefined>(() => {
      const option = new Option(
        '--lr-schedule <schedule>',
        `learning rate per ${settings.scheduleUnit ?? 'epoch'}${of}: constant, step:EPOCHS:FACTOR (times FACTOR every EPOCHS epochs), exponential:GAMMA (times GAMMA each epoch) or cosine (to 0 over the run)${settings.scheduleDefault === undefined ? '' : ` (${settings.scheduleDefault})`}`,
      ).argParser(learningRateSchedule);
      return settings.scheduleDefault === undefined
        ? option.default({ kind: 'constant' }, formatLearningRateSchedule({ kind: 'constant' }))
        : option;
    }),
  };
}

/** The values of {@link optimizerFlags}. */
export type OptimizerFlags = FlagValues<ReturnType<typeof optimizerFlags<OptimizerName | undefined>>>;

/** `--dropout <rate>`: inverted dropout of a classifier's hidden units during training. */
export function dropoutFlag(
  description = 'fraction of hidden units dropped at each training step, in [0, 1) (inverted dropout; none at evaluation)',
) {
  return flag<number>(() => new Option('--dropout <rate>', description).argParser(unitInterval).default(0));
}

/**
 * The loop options of {@link optimizerFlags}: the optimiser `name` (the command's own choice when
 * --optimizer is not given), its momentum and weight decay, and the learning-rate schedule
 * (`schedule`, the command's own choice, when --lr-schedule is not given).
 */
export function optimizerOptions(
  flags: OptimizerFlags,
  name: OptimizerName = flags.optimizer ?? 'sgd',
  schedule: LearningRateSchedule = { kind: 'constant' },
): { optimizer: OptimizerOptions; learningRateSchedule: LearningRateSchedule } {
  return {
    optimizer: { name, weightDecay: flags.weightDecay, ...(name === 'momentum' ? { momentum: flags.momentum } : {}) },
    learningRateSchedule: flags.lrSchedule ?? schedule,
  };
}

/**
 * Refuses `--momentum` given with an optimiser other than momentum (`optimizer`: the one the run
 * uses), instead of ignoring it.
 *
 * @throws {InvalidArgumentError} named after --momentum (a usage error, exit 2).
 */
export function refuseOptimizerFlags(command: Command, optimizer: OptimizerName, whose = ''): void {
  refuseInapplicable(
    command,
    '--momentum',
    optimizer === 'momentum',
    `applies only to --optimizer momentum, but this run${whose} uses ${optimizer}; drop --momentum or add --optimizer momentum.`,
  );
}

/** `--iterations <n>`: minibatches drawn at random (the numpy notebook's loop), in `cnn` and `mlp`, each with its own description. */
export function iterationsFlag(description: string): Flag<number | undefined> {
  return flag<number | undefined>(() => new Option('--iterations <n>', description).argParser(positiveInteger));
}

/** `--queue <url>`: the Redis that holds a sweep's BullMQ queue (`sdae sweep` and `sdae worker`). */
export const queueFlag = flag<string | undefined>(() =>
  new Option('--queue <url>', 'Redis holding the BullMQ queue of the sweep: redis://[USER[:PASSWORD]@]HOST:PORT[/DB]').argParser(redisUrl),
);

/**
 * `--queue-secret <secret>` (or SDAE_QUEUE_SECRET): signs a queued sweep's record, jobs and results
 * with HMAC-SHA256, so that workers run only what a holder of the secret queued.
 */
export const queueSecretFlag = flag<string | undefined>(() =>
  new Option(
    '--queue-secret <secret>',
    'sign the queued sweep and its trials (workers refuse unsigned ones); prefer the environment variable, which ps does not show',
  )
    .env('SDAE_QUEUE_SECRET')
    .argParser((text: string) => {
      if (text.length < 16)
        throw new InvalidFlagError('Expected a secret of at least 16 characters, such as the output of openssl rand -hex 32.');
      return text;
    }),
);
