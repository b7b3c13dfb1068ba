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
