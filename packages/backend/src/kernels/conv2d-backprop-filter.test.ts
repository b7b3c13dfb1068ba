import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import '../register';
import { describeBackends, expectArraysClose } from '../testing-helpers';
import { paddingBefore, randomValues, type ConvolutionCase } from './convolution-cases';

type Case = ConvolutionCase;

/** The filter gradient by its definition, in float64, with 'same' padding worked out by hand. */
function referenceFilterGradient(
  x: Float32Array,
  dy: Float32Array,
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
  const gradient = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let kh = 0; kh < filterHeight; kh++)
    for (let kw = 0; kw < filterWidth; kw++)
      for (let ci = 0; ci < inChannels; ci++)
        for (let co = 0; co < outChannels; co++) {
          let sum = 0;
          for (let b = 0; b < batch; b++)
            for (let oh = 0; oh < outHeight; oh++)
              for (let ow = 0; ow < outWidth; ow++) {
                const row = oh * strideHeight - padTop + kh;
                const column = ow * strideWidth - padLeft + kw;
                if (row < 0 || row >= height || column < 0 || column >= width) continue;
                sum +=
                  x[((b * height + row) * width + column) * inChannels + ci]! *
                  dy[((b * outHeight + oh) * outWidth + ow) * outChannels + co]!;
              }
          gradient[((kh * filterWidth + kw) * inChannels + ci) * outChannels + co] = sum;
        }
  return gradient;
}

const CASES: Case[] = [
  { x: [2, 7, 7, 1], filter: [3, 3, 1, 4], strides: [1, 1], pad: 'valid' },
  { x: [2, 9, 8, 3], filter: [3, 2, 3, 5], strides: [2, 2], pad: 'same' },
  { x: [1, 6, 6, 2], filter: [5, 5, 2, 3], strides: [1, 1], pad: 'same' },
  { x: [3, 10, 10, 4], filter: [4, 4, 4, 2], strides: [2, 3], pad: 'valid' },
  { x: [2, 11, 9, 3], filter: [3, 4, 3, 2], strides: [3, 2], pad: 'same' },
  // The stride leaves the last row and column of x unused: wasm takes its im2col path here.
  { x: [2, 9, 9, 2], filter: [2, 2, 2, 3], strides: [2, 2], pad: 'valid' },
  // The notebook CNN's geometry, one channel in and out, on a small batch.
  { x: [3, 12, 12, 1], filter: [5, 5, 1, 1], strides: [1, 1], pad: 'valid' },
];

describeBackends(['cpu', 'wasm'], 'Conv2DBackpropFilter', () => {
  for (const testCase of CASES) {
    it(`matches the definition within 1e-4 for x ${testCase.x}, filter ${testCase.filter}, strides ${testCase.strides}, ${testCase.pad}`, () => {
      const random = new Random(testCase.x.reduce((a, b) => a * 31 + b, 7));
      const xValues = randomValues(
        random,
        testCase.x.reduce((a, b) => a * b, 1),
      );
      const x = tf.tensor4d(xValues, testCase.x);
      const outShape = tf.conv2d(x, tf.zeros(testCase.filter) as tf.Tensor4D, testCase.strides, testCase.pad).shape;
      const dyValues = randomValues(
        random,
        outShape.reduce((a, b) => a * b, 1),
      );
      const dy = tf.tensor4d(dyValues, outShape as [number, number, number, number]);
      const gradient = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: testCase.strides,
        pad: testCase.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: testCase.filter,
      } as never) as tf.Tensor;
      expect(gradient.shape).toEqual(testCase.filter);
      expectArraysClose(gradient, referenceFilterGradient(xValues, dyValues, testCase, outShape.slice(1, 3)), 1e-4);
      tf.dispose([x, dy, gradient]);
    });
  }

  it('leaves no tensor and no backend memory behind', () => {
    const x = tf.randomUniform([4, 12, 12, 3]) as tf.Tensor4D;
    const filter = tf.randomUniform([5, 5, 3, 6]) as tf.Tensor4D;
    const grad = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same').sum());
    tf.dispose(grad(filter));
    const before = tf.memory();
    for (let round = 0; round < 3; round++) tf.dispose(grad(filter));
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    tf.dispose([x, filter]);
  });
});

describe('Conv2DBackpropFilter dispatch', () => {
  it('runs through the gradient of tf.conv2d on wasm, where tfjs has no such kernel', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const gradient = tf.grad((filter: tf.Tensor) => tf.conv2d(x, filter as tf.Tensor4D, 1, 'valid').sum())(tf.zeros([2, 2, 1, 1]));
    // Each filter weight sees 3 x 3 output positions of an all-ones input.
    expect(Array.from(gradient.dataSync())).toEqual([9, 9, 9, 9]);
    tf.dispose([x, gradient]);
  });
});
