import * as tf from '@tensorflow/tfjs-core';
import type { BundleTensor, LossAndGradients, Model } from '@sdae/layers';
import { encodeCheckpoint, type CheckpointSettings, type LoopState } from '../checkpoint/checkpoint';
import { DivergenceError } from '../errors';
import type { ResolvedCommonOptions } from './loop-options';
import type { Optimizer } from '../optim/optimizers';
import { scheduledLearningRate } from '../optim/learning-rate-schedule';

/** What a loop's checkpoints hold besides the model and its optimiser. */
export interface CheckpointContent {
  state: LoopState;
  /** The run's settings, made on the first checkpoint (a data fingerprint reads every pixel once). */
  settings: () => CheckpointSettings;
  /** The weights of the best validation so far (supervised loops). */
  bestWeights?: BundleTensor[];
}

/** Writes a checkpoint now (when the loop has a checkpoint option); returns its size in bytes, or undefined. */
export async function writeCheckpoint(
  options: ResolvedCommonOptions,
  model: Model,
  optimizer: Optimizer,
  content: CheckpointContent,
): Promise<number | undefined> {
  if (options.writeCheckpoint === undefined) return undefined;
  const bytes = encodeCheckpoint(model, optimizer, content.state, content.bestWeights ?? [], content.settings());
  await options.writeCheckpoint(bytes);
  return bytes.length;
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
  content: CheckpointContent,
): Promise<number | undefined> {
  if (!checkpointDue(options, completed)) return undefined;
  return writeCheckpoint(options, model, optimizer, content);
}

/** Whether a checkpoint is written after `completed` epochs (iterations for sampled training). */
export function checkpointDue(options: ResolvedCommonOptions, completed: number): boolean {
  return options.writeCheckpoint !== undefined && completed % options.checkpointEvery === 0;
}

/** Memoises `make`: a loop's settings are made once, when first needed. */
export function once<T>(make: () => T): () => T {
  let value: { made: T } | undefined;
  return () => (value ??= { made: make() }).made;
}

const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A pause for the event loop every `intervalMs` of work: called after each minibatch, it lets an
 * AbortSignal's listeners (Ctrl-C's handler) run, which `await tensor.data()` on the cpu and wasm
 * backends never does (its promise resolves as a microtask). One `setImmediate` per interval, not
 * a timer per batch.
 */
export function eventLoopYielder(intervalMs = 4): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < intervalMs) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}

/**
 * Sets the optimiser's learning rate for epoch `epoch` of `epochs` (iteration of iterations, for
 * sampled training) from the loop's schedule and base rate, and returns it. Every step of the
 * epoch takes it through `optimizer.advance()`, on either engine.
 */
export function scheduleEpoch(options: ResolvedCommonOptions, optimizer: Optimizer, epoch: number, epochs: number): number {
  optimizer.setLearningRate(scheduledLearningRate(options.learningRateSchedule, options.optimizer.learningRate, epoch, epochs));
  return optimizer.learningRate;
}

/**
 * Copies of a model's weights, to restore after divergence or to keep the best model. Read with
 * `await data()`: a synchronous read would stall a GPU backend, and WebGPU on a software adapter
 * cannot read synchronously at all.
 */
export async function snapshotWeights(model: Model): Promise<BundleTensor[]> {
  return [...(await model.readWeights())].map(([name, { shape, values }]) => ({ name, shape, values }));
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

/** How many times its first value a run's cost may reach before training counts as diverged. */
export const DIVERGENCE_GROWTH = 1e6;

/**
 * The divergence check of one run's steps, whichever engine runs them: a NaN or infinite cost, or
 * one above {@link DIVERGENCE_GROWTH} times the run's first cost, diverged.
 */
export class DivergenceGuard {
  private firstCost: number | undefined;

  /**
   * Checks a step's cost; the first finite cost becomes the reference. On divergence it puts back
   * `context.lastGood` and throws.
   *
   * @throws {DivergenceError} naming where, the cost and, for growth, the first cost.
   */
  check(context: StepContext, cost: number): void {
    const grew = Number.isFinite(cost) && this.firstCost !== undefined && this.firstCost > 0 && cost > DIVERGENCE_GROWTH * this.firstCost;
    if (Number.isFinite(cost) && !grew) {
      this.firstCost ??= cost;
      return;
    }
    restoreWeights(context.owner, context.lastGood);
    const { caller, epoch, batch, optimizer } = context;
    throw new DivergenceError(caller, epoch, batch, cost, optimizer.learningRate, grew ? this.firstCost : undefined);
  }
}

/**
 * Reads the step's loss, then applies its gradients; disposes both. A loss that `guard` calls
 * divergent puts back `lastGood` instead and throws {@link DivergenceError}.
 */
export async function applyStep(context: StepContext, step: LossAndGradients, guard: DivergenceGuard): Promise<number> {
  const cost = (await step.loss.data())[0];
  step.loss.dispose();
  try {
    guard.check(context, cost);
  } catch (error) {
    tf.dispose(Object.values(step.gradients));
    throw error;
  }
  context.optimizer.apply(context.variables, step.gradients);
  tf.dispose(Object.values(step.gradients));
  return cost;
}
