import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, describeValue } from '@sdae/core';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

/**
 * The filters of a dA, of one SdA layer or of any weight matrix `W` (d x h) as rows: `W^T`, h rows
 * of d values each, row-major, the layout `tileRasterImages` draws (one tile per hidden unit).
 * Reads the weights once; the model is untouched and nothing is left allocated.
 *
 * @param source a {@link DenoisingAutoencoder} (its `W`), a {@link StackedDenoisingAutoencoder}
 *   (the `W` of `layer`), or a `[d, h]` matrix such as `sda.weightProduct()`.
 * @param layer the SdA layer, from 0. @default 0
 * @returns `h * d` values: row i holds hidden unit i's d input weights.
 * @throws {InvalidArgumentError} when `layer` is not a layer of the SdA, is not 0 for a dA, or the
 *   matrix is not 2-D.
 * @example
 * const pixels = tileRasterImages(filterRows(da), { imageShape: [28, 28], tileShape: [10, 10] });
 */
export function filterRows(source: DenoisingAutoencoder | StackedDenoisingAutoencoder | tf.Tensor2D, layer = 0): Float32Array {
  const weights = filterWeights(source, layer);
  // Read outside tf.tidy: tidy walks what its function returns, and walks a typed array element by
  // element (2 s for a 784x500 dA's 392,000 values on a loaded machine).
  const transposed = tf.transpose(weights);
  try {
    return transposed.dataSync() as Float32Array;
  } finally {
    transposed.dispose();
  }
}

/**
 * {@link filterRows} without a synchronous read (`await data()`), for GPU backends in browsers:
 * WebGPU on a software adapter cannot read synchronously.
 *
 * @example drawFilterGrid(canvas, await readFilterRows(da));
 */
export async function readFilterRows(
  source: DenoisingAutoencoder | StackedDenoisingAutoencoder | tf.Tensor2D,
  layer = 0,
): Promise<Float32Array> {
  const rows = tf.transpose(filterWeights(source, layer));
  try {
    return (await rows.data()) as Float32Array;
  } finally {
    rows.dispose();
  }
}

function filterWeights(source: DenoisingAutoencoder | StackedDenoisingAutoencoder | tf.Tensor2D, layer: number): tf.Tensor2D {
  if (source instanceof StackedDenoisingAutoencoder) return source.autoencoder(layer).W as tf.Tensor2D;
  if (layer !== 0) {
    throw new InvalidArgumentError(
      'layer',
      layer,
      `filterRows: layer applies to a StackedDenoisingAutoencoder only and must be 0 (the default) here; received ${describeValue(layer)}.`,
    );
  }
  if (source instanceof DenoisingAutoencoder) return source.W as tf.Tensor2D;
  if (source.rank !== 2) {
    throw new InvalidArgumentError(
      'source',
      source.shape,
      `filterRows: source must be a dA, an SdA or a [d, h] weight matrix; received a tensor of shape [${source.shape.join(', ')}]. Pass a 2-D matrix.`,
    );
  }
  return source;
}
