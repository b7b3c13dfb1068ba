import {
  InvalidArgumentError,
  crc32,
  describeValue,
  requireKnownKeys,
  requireNonNegativeInteger,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
  type KnownKeys,
} from '@sdae/core';
import { pixelChecksum, type BatchOrder, type ImageSet } from '@sdae/datasets';
import { requireTrainingImages } from './data-checks';
import { toCheckpoint, type Checkpoint, type CheckpointSettings, type SettingValue } from '../checkpoint/checkpoint';
import type { ResolvedEngine } from '@sdae/backend';
import { isResolvedEngine, resolveDeviceName, resolveEngineName, type DeviceName, type EngineName } from '../engine/engine-options';
import type { TrainingHooks } from '../events';
import { resolveLearningRateSchedule, scheduleSetting, type LearningRateSchedule } from '../optim/learning-rate-schedule';
import { resolveOptimizerOptions, type OptimizerConfig, type OptimizerName, type OptimizerOptions } from '../optim/optimizers';

/** Where and how often a loop writes checkpoints. */
export interface CheckpointOptions {
  /**
   * Write after every `every` epochs (iterations for sampled training, and after its last
   * iteration). A loop stopped by its `signal` also writes one, holding the last completed
   * minibatch, so a resume continues mid-epoch.
   * @default 1
   */
  every?: number;
  /** Stores the checkpoint's bytes; see `fileCheckpoint` in Node. It must replace the previous one atomically. */
  write: (bytes: Uint8Array) => Promise<void>;
}

/**
 * Options every training loop accepts. `batchSize` and `learningRate` default per loop: each
 * loop's options type ({@link TrainAutoencoderOptions}, {@link PretrainStackOptions},
 * {@link FitClassifierOptions}, {@link TrainSampledOptions}) states its own values.
 */
export interface CommonTrainingOptions {
  /** Minibatch size. @default per loop, see the loop's options */
  batchSize?: number;
  /** Minibatch order within an epoch. @default 'sequential' (the tutorial) */
  order?: BatchOrder;
  /** Seeds the shuffles (with `'shuffled'`) and the sampled minibatches. @default 0 */
  seed?: number;
  /** The optimiser: a name or full settings. @default 'sgd' */
  optimizer?: OptimizerName | OptimizerOptions;
  /** The learning rate; overrides the optimiser's. @default per loop, see the loop's options */
  learningRate?: number;
  /**
   * How the learning rate changes per epoch (per iteration in sampled training), as plain data:
   * `{ kind: 'step', epochs: 3, factor: 0.1 }` and the others of {@link LearningRateSchedule}
   * (`parseLearningRateSchedule('step:3:0.1')` reads the command-line form). Recorded in checkpoints.
   * @default { kind: 'constant' }
   */
  learningRateSchedule?: LearningRateSchedule;
  /** L2 weight decay of the weights (not the biases); overrides the optimiser's `weightDecay`. @default 0 */
  weightDecay?: number;
  /** Stops training cleanly after the current minibatch when aborted. */
  signal?: AbortSignal;
  /** Periodic checkpoints. */
  checkpoint?: CheckpointOptions;
  /**
   * A checkpoint to continue from exactly: its bytes, or a checkpoint decoded with
   * `decodeCheckpoint(bytes, path)` (whose errors then name the file). The model, the loop and
   * every setting recorded in it must match this run's (`epochs` may grow).
   */
  resume?: Uint8Array | Checkpoint;
  /**
   * The caller's settings that shape training but that the loop cannot see (the CLI passes its
   * flags: data split, size limit, backend...). Recorded in checkpoints; a resume with other values
   * is refused, naming each. @default {}
   */
  settings?: Record<string, SettingValue>;
  /** Stop each epoch after this many minibatches (quick runs and tests). @default every batch */
  batchesPerEpoch?: number;
  /**
   * What runs the steps: `'native'` (each step compiled to one ONNX graph for onnxruntime-node,
   * Node only), `'tfjs'` (the active tfjs backend) or `'auto'` (native when it loads); or what
   * `resolveEngine` from @sdae/backend chose (an app resolves once and passes it to every loop).
   * @default 'auto'
   */
  engine?: EngineName | ResolvedEngine;
  /**
   * The native engine's execution provider: `'auto'` (a hardware GPU's provider where one starts,
   * else the CPU), `'cpu'`, `'webgpu'`, `'cuda'`, `'coreml'` or `'dml'`. Ignored when `engine` is a
   * resolved engine. @default 'auto'
   */
  device?: DeviceName;
  /** Threads of the native engine. @default every core, or `SDAE_NATIVE_THREADS` */
  threads?: number;
  /**
   * Steps the native engine runs as one graph (each still on its own minibatch, in order; results
   * equal one step at a time). More steps a run save copying the weights out of onnxruntime after
   * every step; hooks then see a run's steps together.
   * @default for models with at least 500,000 weights and optimiser slots, the largest run of 16 to
   * 32 steps that divides an epoch's minibatches (the whole epoch up to 32; 16 where none does); 8
   * from 100,000; else 1
   */
  stepsPerRun?: number;
  /**
   * The native engine on the CPU: each step's batch runs in this many equal parts at once, each on
   * one thread (this one and worker threads) with its own onnxruntime session, their gradients
   * combined before one update; a batch that does not split into equal parts runs whole. For small
   * models, whose many small kernels gain little from onnxruntime's own threads. At most the
   * engine's `threads`, one step per call (no `stepsPerRun` above 1); ignored when the loop runs on
   * tfjs.
   * @default 1 (every step whole, on the engine's threads)
   */
  batchParts?: number;
}

const COMMON_TRAINING_OPTION_KEYS: KnownKeys<CommonTrainingOptions> = {
  batchSize: true,
  order: true,
  seed: true,
  optimizer: true,
  learningRate: true,
  learningRateSchedule: true,
  weightDecay: true,
  signal: true,
  checkpoint: true,
  resume: true,
  batchesPerEpoch: true,
  engine: true,
  device: true,
  threads: true,
  stepsPerRun: true,
  batchParts: true,
  settings: true,
};

const TRAINING_HOOK_KEYS: KnownKeys<TrainingHooks> = {
  onEngine: true,
  onEpochBegin: true,
  onBatchEnd: true,
  onEpochEnd: true,
  onTrainEnd: true,
};

const CHECKPOINT_OPTION_KEYS: KnownKeys<CheckpointOptions> = { every: true, write: true };

/** The resolved common options. */
export interface ResolvedCommonOptions {
  batchSize: number;
  order: BatchOrder;
  seed: number;
  optimizer: OptimizerConfig;
  learningRateSchedule: LearningRateSchedule;
  signal: AbortSignal | undefined;
  checkpointEvery: number;
  writeCheckpoint: ((bytes: Uint8Array) => Promise<void>) | undefined;
  resume: Checkpoint | undefined;
  settings: Record<string, SettingValue>;
  batchesPerEpoch: number | undefined;
  engine: EngineName;
  device: DeviceName;
  /** The engine `resolveEngine` chose, when the caller passed it; else the loop resolves `engine` and `device`. */
  resolvedEngine: ResolvedEngine | undefined;
  threads: number | undefined;
  stepsPerRun: number | undefined;
  batchParts: number | undefined;
}

/** The defaults that differ between loops; each loop holds its own, once, and documents them on its options type. */
export interface LoopDefaults {
  batchSize: number;
  learningRate: number;
}

/**
 * Resolves the options every loop shares. The learning rate is `options.learningRate`, else the
 * optimiser settings' own, else the loop's default: the optimiser's fallback is never used here.
 *
 * @param loopKeys the options of this loop beyond the common ones and the hooks; any other key is refused.
 */
export function resolveCommonOptions(
  caller: string,
  options: CommonTrainingOptions,
  defaults: LoopDefaults,
  loopKeys: Readonly<Record<string, true>>,
): ResolvedCommonOptions {
  requireKnownKeys(caller, 'options', options, { ...COMMON_TRAINING_OPTION_KEYS, ...TRAINING_HOOK_KEYS, ...loopKeys });
  const optimizerOptions =
    typeof options.optimizer === 'string' || options.optimizer === undefined ? { name: options.optimizer } : options.optimizer;
  const checkpoint = requireKnownKeys(caller, 'checkpoint', options.checkpoint, CHECKPOINT_OPTION_KEYS);
  if (checkpoint !== undefined && typeof checkpoint.write !== 'function') {
    throw new InvalidArgumentError(
      'checkpoint',
      checkpoint,
      `${caller}: checkpoint.write must be a function that stores the bytes (in Node, use fileCheckpoint(path)).`,
    );
  }
  return {
    batchSize: requirePositiveInteger(caller, 'batchSize', options.batchSize ?? defaults.batchSize),
    order: resolveChoice(caller, 'order', options.order ?? 'sequential', ['sequential', 'shuffled']),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
    optimizer: resolveOptimizerOptions(
      {
        ...optimizerOptions,
        learningRate: options.learningRate ?? optimizerOptions.learningRate ?? defaults.learningRate,
        ...(options.weightDecay === undefined ? {} : { weightDecay: options.weightDecay }),
      },
      caller,
    ),
    learningRateSchedule: resolveLearningRateSchedule(caller, options.learningRateSchedule ?? { kind: 'constant' }),
    signal: options.signal,
    checkpointEvery: requirePositiveInteger(caller, 'checkpoint.every', checkpoint?.every ?? 1),
    writeCheckpoint: checkpoint?.write,
    resume: options.resume === undefined ? undefined : toCheckpoint(options.resume),
    settings: options.settings ?? {},
    batchesPerEpoch:
      options.batchesPerEpoch === undefined ? undefined : requirePositiveInteger(caller, 'batchesPerEpoch', options.batchesPerEpoch),
    engine: resolveEngineName(caller, options.engine),
    device: resolveDeviceName(caller, options.device, options.engine),
    resolvedEngine: isResolvedEngine(options.engine) ? options.engine : undefined,
    threads: options.threads === undefined ? undefined : requirePositiveInteger(caller, 'threads', options.threads),
    stepsPerRun: options.stepsPerRun === undefined ? undefined : requirePositiveInteger(caller, 'stepsPerRun', options.stepsPerRun),
    batchParts: options.batchParts === undefined ? undefined : requirePositiveInteger(caller, 'batchParts', options.batchParts),
  };
}

/**
 * Checks a data set against the classifier it trains or evaluates, before any tensor is made: the
 * same number of classes, every label inside them and, given `batchSize`, at least one full batch.
 *
 * @param argument the set's name in the caller's parameters, `'data.train'`.
 * @throws {InvalidArgumentError} naming the set and what differs.
 */
export function requireClassifierSet(caller: string, argument: string, set: ImageSet, numClasses: number, batchSize?: number): void {
  if (set.numClasses !== numClasses) {
    throw new InvalidArgumentError(
      argument,
      set.numClasses,
      `${caller}: ${argument} has ${set.numClasses} classes but the model has ${numClasses} (numClasses); ` +
        `build the model with numClasses: ${set.numClasses}, or give the set numClasses ${numClasses} if its labels are a subset.`,
    );
  }
  if (!(set.labels instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${argument}.labels`,
      set.labels,
      `${caller}: ${argument}.labels must be a Uint8Array of class indices, one per image; received ${describeValue(set.labels)}. ` +
        `Convert them with Uint8Array.from(labels).`,
    );
  }
  requireTrainingImages(caller, argument, set);
  let largest = 0;
  for (let index = 0; index < set.labels.length; index++) largest = Math.max(largest, set.labels[index]!);
  if (largest >= numClasses || set.labels.length !== set.count) {
    throw new InvalidArgumentError(
      argument,
      largest,
      `${caller}: ${argument} must hold ${set.count} labels in [0, ${numClasses}); found ${set.labels.length} labels, the largest ${largest}. Check how the set was built.`,
    );
  }
  if (batchSize !== undefined && batchSize > set.count) {
    throw new InvalidArgumentError(
      'batchSize',
      batchSize,
      `${caller}: batchSize ${batchSize} is larger than the ${set.count} examples of ${argument}, so an epoch would have no batch; ` +
        `use a batchSize of at most ${set.count}.`,
    );
  }
}

/** Checks a number of epochs (0 is allowed: nothing to do). */
export function requireEpochs(caller: string, epochs: unknown): number {
  return requireNonNegativeInteger(caller, 'epochs', epochs);
}

const fingerprints = new WeakMap<ImageSet, string>();

/**
 * A set's size and a CRC-32 of its pixels and labels, recorded in checkpoints so that a resume
 * on other data (another split, limit or order of files) is refused. Computed once per set.
 */
export function dataFingerprint(set: ImageSet): string {
  let fingerprint = fingerprints.get(set);
  if (fingerprint === undefined) {
    const { images, labels } = set;
    // pixelChecksum reads a loader's source bytes where it can: the CRC of the float pixels, 3 times sooner.
    const crc = crc32(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength), pixelChecksum(images));
    fingerprint = `${set.count} images of ${set.height} x ${set.width}, crc32 ${crc.toString(16).padStart(8, '0')}`;
    fingerprints.set(set, fingerprint);
  }
  return fingerprint;
}

/**
 * The settings a loop records in its checkpoints: the common options (batch size, order, seed,
 * optimiser, learning-rate schedule, engine, threads, batches per epoch), the loop's own (`extra`:
 * epochs or iterations, data) and the caller's.
 */
export function loopSettings(options: ResolvedCommonOptions, extra: Record<string, SettingValue>): CheckpointSettings {
  return {
    loop: {
      batchSize: options.batchSize,
      order: options.order,
      seed: options.seed,
      optimizer: { ...options.optimizer },
      // A cosine schedule spans the run's epochs (iterations): recorded with them, so that more epochs are refused.
      learningRateSchedule: scheduleSetting(options.learningRateSchedule, Number(extra.epochs ?? extra.iterations)),
      engine: options.engine,
      // Other thread counts give other native results, bit for bit (null: the engine's default).
      threads: options.threads ?? null,
      // Where the steps ran: recorded, not compared (a resume may move to another device).
      device: options.resolvedEngine?.engine === 'native' ? options.resolvedEngine.device : options.device,
      batchesPerEpoch: options.batchesPerEpoch ?? null,
      ...extra,
    },
    caller: options.settings,
  };
}
