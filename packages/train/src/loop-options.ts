import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  requireNonNegativeInteger,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
} from '@sdae/core';
import type { BatchOrder } from '@sdae/datasets';
import type { BundleTensor, LossAndGradients, Model } from '@sdae/layers';
import { encodeCheckpoint, type LoopState } from './checkpoint';
import { DivergenceError } from './errors';
import type { Optimizer } from './optimizers';
import { resolveEngineName, type EngineName } from './engine-options';
import { resolveOptimizerOptions, type OptimizerConfig, type OptimizerName, type OptimizerOptions } from './optimizers';

/** Where and how often a loop writes checkpoints. */
export interface CheckpointOptions {
  /** Write after every `every` epochs (iterations for sampled training). @default 1 */
  every?: number;
  /** Stores the checkpoint's bytes; see `fileCheckpoint` in Node. It must replace the previous one atomically. */
  write: (bytes: Uint8Array) => Promise<void>;
}

/** Options every training loop accepts. */
export interface CommonTrainingOptions {
  /** Minibatch size. @default 20 (the dA tutorial) */
  batchSize?: number;
  /** Minibatch order within an epoch. @default 'sequential' (the tutorial) */
  order?: BatchOrder;
  /** Seeds the shuffles (with `'shuffled'`) and the sampled minibatches. @default 0 */
  seed?: number;
  /** The optimiser: a name or full settings. @default 'sgd' */
  optimizer?: OptimizerName | OptimizerOptions;
  /** The learning rate; overrides the optimiser's. @default 0.1 */
  learningRate?: number;
  /** Stops training cleanly after the current minibatch when aborted. */
  signal?: AbortSignal;
  /** Periodic checkpoints. */
  checkpoint?: CheckpointOptions;
  /** A checkpoint's bytes to continue from exactly. */
  resume?: Uint8Array;
  /** Stop each epoch after this many minibatches (quick runs and tests). @default every batch */
  batchesPerEpoch?: number;
  /**
   * What runs the steps: `'native'` (each step compiled to one ONNX graph for onnxruntime-node,
   * Node only), `'tfjs'` (the active tfjs backend) or `'auto'` (native when it loads).
   * @default 'auto'
   */
  engine?: EngineName;
  /** Threads of the native engine. @default every core, or `SDAE_NATIVE_THREADS` */
  threads?: number;
}

/** The resolved common options. */
export interface ResolvedCommonOptions {
  batchSize: number;
  order: BatchOrder;
  seed: number;
  optimizer: OptimizerConfig;
  signal: AbortSignal | undefined;
  checkpointEvery: number;
  writeCheckpoint: ((bytes: Uint8Array) => Promise<void>) | undefined;
  resume: Uint8Array | undefined;
  batchesPerEpoch: number | undefined;
  engine: EngineName;
  threads: number | undefined;
}

/** Resolves the options every loop shares; `defaults` holds the loop's own defaults. */
export function resolveCommonOptions(caller: string, options: CommonTrainingOptions, defaults: { batchSize: number; learningRate: number }): ResolvedCommonOptions {
  const optimizerOptions = typeof options.optimizer === 'string' || options.optimizer === undefined ? { name: options.optimizer } : options.optimizer;
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && typeof checkpoint.write !== 'function') {
    throw new InvalidArgumentError('checkpoint', checkpoint, `${caller}: checkpoint.write must be a function that stores the bytes (in Node, use fileCheckpoint(path)).`);
  }
  return {
    batchSize: requirePositiveInteger(caller, 'batchSize', options.batchSize ?? defaults.batchSize),
    order: resolveChoice(caller, 'order', options.order ?? 'sequential', ['sequential', 'shuffled']),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
    optimizer: resolveOptimizerOptions(
      { learningRate: defaults.learningRate, ...optimizerOptions, ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }) },
      caller,
    ),
    signal: options.signal,
    checkpointEvery: requirePositiveInteger(caller, 'checkpoint.every', checkpoint?.every ?? 1),
    writeCheckpoint: checkpoint?.write,
    resume: options.resume,
    batchesPerEpoch: options.batchesPerEpoch === undefined ? undefined : requirePositiveInteger(caller, 'batchesPerEpoch', options.batchesPerEpoch),
    engine: resolveEngineName(caller, options.engine),
    threads: options.threads === undefined ? undefined : requirePositiveInteger(caller, 'threads', options.threads),
  };
}

/** Checks a number of epochs (0 is allowed: nothing to do). */
export function requireEpochs(caller: string, epochs: unknown): number {
  return requireNonNegativeInteger(caller, 'epochs', epochs);
}

/**
 * Writes a checkpoint when `completed` epochs (iterations for sampled training) is a multiple of
 * the checkpoint interval; returns its size in bytes, or undefined when none was due.
 */
export async function checkpointIfDue(
  options: ResolvedCommonOptions,
  completed: number,
  model: Model,
  optimizer: Optimizer,
  state: LoopState,
  bestWeights: BundleTensor[] = [],
): Promise<number | undefined> {
  if (options.writeCheckpoint === undefined || completed % options.checkpointEvery !== 0) return undefined;
  const bytes = encodeCheckpoint(model, optimizer, state, bestWeights);
  await options.writeCheckpoint(bytes);
  return bytes.length;
}

/** Copies of a model's weights, to restore after divergence or to keep the best model. */
export function snapshotWeights(model: Model): BundleTensor[] {
  return [...model.getWeights()].map(([name, { shape, values }]) => ({ name, shape, values }));
}

/** Writes a snapshot back into the model. */
export function restoreWeights(model: Model, snapshot: readonly BundleTensor[]): void {
  model.setWeights(Object.fromEntries(snapshot.map((tensor) => [tensor.name, tensor.values])));
}

/** Where a training step happens, for the divergence guard. */
export interface StepContext {
  caller: string;
  /** The model whose weights are put back on divergence. */
  owner: Model;
  /** The variables the step updates. */
  variables: ReadonlyMap<string, tf.Variable>;
  optimizer: Optimizer;
  /** The weights to put back on divergence (those of the epoch's start). */
  lastGood: readonly BundleTensor[];
  epoch: number;
  batch: number;
}

/**
 * Reads the step's loss, then applies its gradients; disposes both. A NaN or infinite loss puts
 * back `lastGood` instead and throws {@link DivergenceError}.
 */
export async function applyStep(context: StepContext, step: LossAndGradients): Promise<number> {
  const cost = (await step.loss.data())[0];
  step.loss.dispose();
  if (!Number.isFinite(cost)) {
    tf.dispose(Object.values(step.gradients));
    restoreWeights(context.owner, context.lastGood);
    throw new DivergenceError(context.caller, context.epoch, context.batch, cost, context.optimizer.config.learningRate);
  }
  context.optimizer.apply(context.variables, step.gradients);
  tf.dispose(Object.values(step.gradients));
  return cost;
}
