// A minibatch as a training step takes it: flat arrays and their shapes.
import { oneHot, type Batch } from '@sdae/datasets';

/** One minibatch as the step sees it. */
export interface StepBatch {
  /** The images, as the model wants them. */
  x: Float32Array;
  xShape: number[];
  /** One-hot labels (classifiers). */
  y?: Float32Array;
  yShape?: number[];
}

/** A classifier's minibatch as step inputs: images in the model's layout and one-hot labels. */
export function classifierBatch(batch: Batch, layout: 'flat' | 'image'): StepBatch {
  const count = batch.labels.length;
  return {
    x: batch.images,
    xShape: layout === 'flat' ? [count, batch.height * batch.width] : [count, batch.height, batch.width, 1],
    y: oneHot(batch.labels, batch.numClasses),
    yShape: [count, batch.numClasses],
  };
}
