import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import type { ImageSet } from '@sdae/datasets';
import { filterRows, type DenoisingAutoencoder, type StackedDenoisingAutoencoder } from '@sdae/layers';
import { activationGrid, encodePng, greyToRgba, type GreyImage } from '@sdae/vis';
import { filtersPng } from './run/report-files';

// The pictures the dA and SdA commands draw of a trained model, from plain data.

/** A grey image as PNG bytes. */
export function greyPng(image: GreyImage): Uint8Array {
  return encodePng(greyToRgba(image));
}

/**
 * Refuses a --grid of more digits than the test set holds (with --limit, say), naming both.
 *
 * @throws {InvalidArgumentError} naming --grid (exit 2).
 */
export function requireGridFits(grid: [number, number], test: ImageSet, limit: number | undefined): void {
  const [rows, columns] = grid;
  if (rows * columns <= test.count) return;
  throw new InvalidArgumentError(
    '--grid',
    `${rows}x${columns}`,
    `--grid ${rows}x${columns} shows ${rows * columns} test digits, but the test set holds ${test.count}` +
      `${limit === undefined ? '' : ` (--limit ${limit})`}. Use a smaller --grid${limit === undefined ? '' : ' or a larger --limit'}.`,
  );
}

/** The first `count` test digits as a `[count, 784]` tensor (the caller disposes it). */
export function testDigits(test: ImageSet, count: number): tf.Tensor2D {
  const size = test.height * test.width;
  return tf.tensor2d(test.images.subarray(0, count * size), [count, size]);
}

/** What a dA does to some digits, as plain pixels in [0, 1]: each `[count, d]` row-major. */
export interface DigitPictures {
  originals: Float32Array;
  /** The digits masked by the dA's noise (equal to the originals at corruption 0). */
  corrupted: Float32Array;
  /** The reconstructions of the corrupted digits. */
  reconstructions: Float32Array;
  /** The noise itself: the corruption of an all-ones batch (0 = pixel dropped). */
  masks: Float32Array;
}

/** Corrupts and reconstructs `x` with `da` (drawing from its noise stream) and returns the pixels. */
export function digitPictures(da: DenoisingAutoencoder, x: tf.Tensor2D): DigitPictures {
  return tf.tidy(() => {
    const corrupted = da.corrupt(x);
    const masks = da.corrupt(tf.onesLike(x));
    return {
      originals: x.dataSync() as Float32Array,
      corrupted: corrupted.dataSync() as Float32Array,
      reconstructions: da.reconstruct(corrupted).dataSync() as Float32Array,
      masks: masks.dataSync() as Float32Array,
    };
  });
}

/**
 * The hidden-unit activations of `x` (clean digits) as a PNG: one pixel row per digit, one column
 * per unit, an SdA's layers left to right; sigmoid units are drawn as they are (white = 1), other
 * activations scaled per layer to their range.
 */
export function activationsPng(model: DenoisingAutoencoder | StackedDenoisingAutoencoder, x: tf.Tensor2D): Uint8Array {
  const layers = tf.tidy(() => {
    if ('layerCount' in model) {
      return Array.from({ length: model.layerCount }, (_, layer) => {
        const hidden = model.autoencoder(layer).encode(model.layerInput(x, layer));
        return { values: hidden.dataSync(), units: hidden.shape[1] };
      });
    }
    const hidden = model.encode(x);
    return [{ values: hidden.dataSync(), units: hidden.shape[1] }];
  });
  const image = activationGrid(layers, { scaleToUnitInterval: model.getConfig().activation !== 'sigmoid' });
  return greyPng(image);
}

/** How many test digits the activations picture shows (all of a smaller test set). */
const ACTIVATION_DIGITS = 100;

/** The report figure of {@link activationsPng} for the first 100 test digits. */
export function activationsFigure(
  model: DenoisingAutoencoder | StackedDenoisingAutoencoder,
  test: ImageSet,
): { title: string; png: Uint8Array } {
  const count = Math.min(ACTIVATION_DIGITS, test.count);
  const x = testDigits(test, count);
  try {
    return { title: `Hidden activations of ${count} test digits (a row per digit, a column per unit)`, png: activationsPng(model, x) };
  } finally {
    x.dispose();
  }
}

/**
 * The product filters of an SdA: the columns of W1 W2 ... Wk (d x h_k), each drawn as an input-space
 * tile, the grid enlarged `enlargeBy` times.
 */
export function productFiltersPng(
  sda: StackedDenoisingAutoencoder,
  enlargeBy: number,
  imageShape: [number, number] = [28, 28],
): Uint8Array {
  const product = sda.weightProduct();
  try {
    return filtersPng(filterRows(product), { imageShape, enlargeBy });
  } finally {
    product.dispose();
  }
}
