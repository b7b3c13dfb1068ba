import * as tf from '@tensorflow/tfjs-core';
import type { BundleTensor, LossAndGradients, Model } from '@sdae/layers';
import { encodeCheckpoint, type LoopState } from './checkpoint';
import { DivergenceError } from './errors';
import type { ResolvedCommonOptions } from './loop-options';
import type { Optimizer } from './optimizers';

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
    throw new DivergenceError(caller, epoch, batch, cost, optimizer.config.learningRate, grew ? this.firstCost : undefined);
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
