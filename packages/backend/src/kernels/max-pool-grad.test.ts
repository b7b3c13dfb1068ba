import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@sdae/core';
import { expect, it } from 'vitest';
import '../register';
import { describeBackends, expectArraysClose } from '../testing-helpers';
import { paddingBefore } from './convolution-cases';

/** The gradient of sum(w * maxPool(x)) with respect to x. */
function poolGradient(x: tf.Tensor4D, weights: tf.Tensor4D, filterSize: number, stride: number, pad: 'valid' | 'same'): tf.Tensor {
  return tf.grad((input: tf.Tensor) =>
    tf
      .maxPool(input as tf.Tensor4D, filterSize, stride, pad)
      .mul(weights)
      .sum(),
  )(x);
}

/** The reference: each window sends its dy to its first largest input, by rows then columns. */
function referencePoolGradient(
  x: Float32Array,
  dy: Float32Array,
  [batch, height, width, channels]: number[],
  filterSize: number,
  stride: number,
  [outHeight, outWidth]: number[],
  padTop: number,
  padLeft: number,
): Float64Array {
  const dx = new Float64Array(x.length);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let wr = 0; wr < filterSize; wr++)
            for (let wc = 0; wc < filterSize; wc++) {
              const row = oh * stride - padTop + wr;
              const column = ow * stride - padLeft + wc;
              if (row < 0 || row >= height || column < 0 || column >= width) continue;
              const index = ((b * height + row) * width + column) * channels + c;
              if (x[index]! > best) [best, bestIndex] = [x[index]!, index];
            }
          dx[bestIndex] += dy[((b * outHeight + oh) * outWidth + ow) * channels + c]!;
        }
  return dx;
}

describeBackends(['cpu', 'wasm'], 'MaxPoolGrad', () => {
  it('sends each window its gradient at the maximum, hand-computed', () => {
    // Windows [1 5; 3 2] -> 5, [0 4; 4 1] -> the first 4 (a tie), [7 0; 0 0], [0 0; 0 0] -> the first 0.
    const x = tf.tensor4d([1, 5, 0, 4, 3, 2, 4, 1, 7, 0, 0, 0, 0, 0, 0, 0], [1, 4, 4, 1]);
    const weights = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
    const dx = poolGradient(x, weights, 2, 2, 'valid');
    expect(Array.from(dx.dataSync())).toEqual([0, 10, 0, 20, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0]);
    tf.dispose([x, weights, dx]);
  });

  for (const [filterSize, stride, pad] of [
    [2, 2, 'valid'],
    [3, 2, 'same'],
    [3, 1, 'same'],
  ] as const) {
    it(`matches the first-maximum rule on ReLU outputs (many ties), ${filterSize}x${filterSize} stride ${stride} ${pad}`, () => {
      const random = new Random(filterSize * 10 + stride);
      const shape = [2, 9, 8, 3];
      const xValues = Float32Array.from({ length: 2 * 9 * 8 * 3 }, () => Math.max(0, Math.round((random.next() - 0.6) * 4)));
      const x = tf.tensor4d(xValues, shape as [number, number, number, number]);
      const pooled = tf.maxPool(x, filterSize, stride, pad);
      const [, outHeight, outWidth] = pooled.shape;
      const padTop = paddingBefore(pad, 9, outHeight, stride, filterSize);
      const padLeft = paddingBefore(pad, 8, outWidth, stride, filterSize);
      const dyValues = Float32Array.from({ length: pooled.size }, () => random.next());
      const weights = tf.tensor4d(dyValues, pooled.shape);
      const dx = poolGradient(x, weights, filterSize, stride, pad);
      expectArraysClose(
        dx,
        referencePoolGradient(xValues, dyValues, shape, filterSize, stride, [outHeight, outWidth], padTop, padLeft),
        1e-6,
      );
      tf.dispose([x, pooled, weights, dx]);
    });
  }
});
