import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@sdae/core';
import { expect, it } from 'vitest';
import '../register';
import { describeBackends, expectArraysClose } from '../testing-helpers';
import { paddingBefore, randomValues, type ConvolutionCase } from './convolution-cases';

type Case = ConvolutionCase;

/** dx by its definition (every output position sends dy through the filter), in float64. */
function referenceInputGradient(
  dy: Float32Array,
  filter: Float32Array,
  {
    x: [batch, height, width, inChannels],
    filter: [filterHeight, filterWidth, , outChannels],
    strides: [strideHeight, strideWidth],
    pad,
  }: Case,
  [outHeight, outWidth]: number[],
): Float64Array {
  const padTop = paddingBefore(pad, height, outHeight, strideHeight, filterHeight);
  const padLeft = paddingBefore(pad, width, outWidth, strideWidth, filterWidth);
  const dx = new Float64Array(batch * height * width * inChannels);
  for (let b = 0; b < batch; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let kh = 0; kh < filterHeight; kh++)
          for (let kw = 0; kw < filterWidth; kw++) {
            const row = oh * strideHeight - padTop + kh;
            const column = ow * strideWidth - padLeft + kw;
            if (row < 0 || row >= height || column < 0 || column >= width) continue;
            for (let ci = 0; ci < inChannels; ci++)
              for (let co = 0; co < outChannels; co++) {
                dx[((b * height + row) * width + column) * inChannels + ci] +=
                  dy[((b * outHeight + oh) * outWidth + ow) * outChannels + co]! *
                  filter[((kh * filterWidth + kw) * inChannels + ci) * outChannels + co]!;
              }
          }
  return dx;
}

const CASES: Case[] = [
  // The small CNN's second layer, on a small batch.
  { x: [2, 12, 12, 8], filter: [5, 5, 8, 16], strides: [1, 1], pad: 'valid' },
  { x: [2, 7, 6, 3], filter: [3, 2, 3, 4], strides: [1, 1], pad: 'same' },
  { x: [1, 6, 6, 2], filter: [4, 4, 2, 1], strides: [1, 1], pad: 'same' },
  // Strided: the stock kernel's case on wasm.
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 2], strides: [2, 2], pad: 'same' },
];

describeBackends(['cpu', 'wasm'], 'Conv2DBackpropInput', () => {
  for (const testCase of CASES) {
    it(`matches the definition within 1e-4 for x ${testCase.x}, filter ${testCase.filter}, strides ${testCase.strides}, ${testCase.pad}`, () => {
      const random = new Random(testCase.filter.reduce((a, b) => a * 17 + b, 3));
      const filterValues = randomValues(
        random,
        testCase.filter.reduce((a, b) => a * b, 1),
      );
      const filter = tf.tensor4d(filterValues, testCase.filter);
      const outShape = tf.conv2d(tf.zeros(testCase.x) as tf.Tensor4D, filter, testCase.strides, testCase.pad).shape;
      const dyValues = randomValues(
        random,
        outShape.reduce((a, b) => a * b, 1),
      );
      const dy = tf.tensor4d(dyValues, outShape as [number, number, number, number]);
      const before = tf.memory().numDataBuffers;
      const dx = tf.conv2dTranspose(dy, filter, testCase.x, testCase.strides, testCase.pad);
      expect(dx.shape).toEqual(testCase.x);
      expectArraysClose(dx, referenceInputGradient(dyValues, filterValues, testCase, outShape.slice(1, 3)), 1e-4);
      dx.dispose();
      expect(tf.memory().numDataBuffers).toBe(before);
      tf.dispose([filter, dy]);
    });
  }
});
