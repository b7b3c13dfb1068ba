import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './batches';
import { oneHot, type ImageSet } from './image-set';
import { requireKnownKeys, resolveChoice, type KnownKeys } from '@sdae/core';

/**
 * How images are shaped as tensors: `'flat'` rows `[n, height * width]` for dense models,
 * `'image'` `[n, height, width, 1]` (NHWC) for convolutions.
 */
export type ImageLayout = 'flat' | 'image';

/** Options of {@link batchToTensors}. */
export interface BatchTensorOptions {
  /** The shape of `x`. @default 'flat' */
  layout?: ImageLayout;
}

/** A batch as tensors; the caller owns them and must dispose them (or create them in `tf.tidy`). */
export interface BatchTensors {
  /** The images, `[n, height * width]` or `[n, height, width, 1]`, float32 in [0, 1]. */
  x: tf.Tensor2D | tf.Tensor4D;
  /** The labels one-hot, `[n, numClasses]`, float32. */
  y: tf.Tensor2D;
  /** The labels as class indices, `[n]`, int32. */
  labels: tf.Tensor1D;
}

const IMAGE_LAYOUTS: readonly ImageLayout[] = ['flat', 'image'];

/**
 * Turns a batch (or a whole {@link ImageSet}) into tensors on the active tfjs backend.
 * `@tensorflow/tfjs-core` is a peer dependency: the app's own copy is used.
 *
 * @example
 * const { x, y } = tf.tidy(() => batchToTensors(batch, { layout: 'image' }));
 */
export function batchToTensors(
  batch: Pick<Batch, 'images' | 'labels' | 'height' | 'width' | 'numClasses'> | ImageSet,
  options: BatchTensorOptions = {},
): BatchTensors {
  requireKnownKeys('batchToTensors', 'options', options, { layout: true } satisfies KnownKeys<BatchTensorOptions>);
  const layout = resolveChoice('batchToTensors', 'layout', options.layout ?? 'flat', IMAGE_LAYOUTS);
  const { images, labels, height, width, numClasses } = batch;
  const count = labels.length;
  return {
    x: layout === 'flat' ? tf.tensor2d(images, [count, height * width]) : tf.tensor4d(images, [count, height, width, 1]),
    y: tf.tensor2d(oneHot(labels, numClasses), [count, numClasses]),
    labels: tf.tensor1d(Int32Array.from(labels), 'int32'),
  };
}
