// A classifier's evaluation (its loss and predicted classes over a whole set) on the native engine,
// and the engine an evaluation runs on.
import * as tf from '@tensorflow/tfjs-core';
import { UnsupportedKernelError, resolveEngine, type NativeEngine, type ResolvedEngine } from '@sdae/backend';
import { epochBatches, type ImageSet } from '@sdae/datasets';
import type { Classifier } from '@sdae/layers';
import { isResolvedEngine, resolveEngineName, type EngineName } from './engine-options';
import { classifierBatch } from './step-batch';

/** The loss summed over a set's examples and the predicted class of each, in the set's order. */
export interface SetPredictions {
  lossSum: number;
  predictions: Int32Array;
}

/**
 * The engine `evaluate` runs on: a name (`'auto'`: native where onnxruntime-node loads) resolved
 * as a loop resolves it, or an engine `resolveEngine` already chose.
 */
export async function resolveEvaluationEngine(engine: EngineName | ResolvedEngine | undefined): Promise<ResolvedEngine> {
  return isResolvedEngine(engine) ? engine : resolveEngine({ engine: resolveEngineName('evaluate', engine) });
}

/**
 * The most examples a native evaluation runs at once. Compiling a graph traces one batch on tfjs's
 * cpu backend, at a cost in proportion to the batch (LeNet: about 0.8 s at 1,000 examples), while
 * onnxruntime's time per example hardly depends on it: LeNet's 10,000 validation images took
 * 2.7-3.2 s in batches of 100 and 3.0-6.0 s in batches of 1,000, compilation included.
 */
export const NATIVE_EVALUATION_BATCH = 100;

/**
 * Runs the model's loss and classes over `set` in batches of `batchSize`, at most
 * {@link NATIVE_EVALUATION_BATCH} (the last, smaller one included), as compiled ONNX graphs: one
 * forward pass per batch (`Classifier.lossAndClasses`), reading the model's current weights.
 * LeNet's evaluation of 10,000 images took 9.7 s on tfjs wasm (two forward passes a batch) and
 * about 3 s here, compilation included.
 *
 * @returns undefined when the native engine cannot compile the model's forward pass (the caller
 *   evaluates on tfjs then).
 */
export async function evaluateNatively(
  native: NativeEngine,
  model: Classifier,
  set: ImageSet,
  batchSize: number,
): Promise<SetPredictions | undefined> {
  // Reading the variables syncs the weights a training engine holds into them.
  const step = native.prepare({
    name: 'evaluate',
    state: model.variables,
    step: ({ x, y }) => {
      const { loss, classes } = model.lossAndClasses(x!, y as tf.Tensor2D);
      return { loss: tf.mul(loss, x!.shape[0]!), classes };
    },
  });
  try {
    const predictions = new Int32Array(set.count);
    let lossSum = 0;
    for (const batch of epochBatches(set, { batchSize: Math.min(batchSize, NATIVE_EVALUATION_BATCH), partialBatch: 'keep' })) {
      const { x, xShape, y, yShape } = classifierBatch(batch, model.inputLayout);
      const outputs = await step.run({ x: { values: x, shape: xShape }, y: { values: y!, shape: yShape! } });
      lossSum += outputs.loss![0]!;
      predictions.set(outputs.classes!, batch.indices[0]);
    }
    return { lossSum, predictions };
  } catch (error) {
    if (UnsupportedKernelError.isInstance(error)) return undefined;
    throw error;
  } finally {
    await step.dispose();
  }
}
