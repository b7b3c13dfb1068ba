import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';
import { barsAndStripes, sliceImageSet } from '@sdae/datasets';
import { LogisticRegression } from '@sdae/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineReport } from './engine-options';
import { fitClassifier } from '../loops/fit-classifier';

// Each way a step can reach a kernel the native engine cannot compile (an attribute or a dtype;
// a state of another dtype is refused the same way, see backend's native/compiler/lower/lower.test.ts) falls back to tfjs with the reason, through a real training loop,
// instead of crashing the run. The extra work sits on the input's path (no gradient) and adds
// zero, so the classifier trains as logistic regression does.

const flat = barsAndStripes({ size: 4, count: 64, seed: 11, flipProbability: 0.05 });
const data = { train: sliceImageSet(flat, 0, 48), validation: sliceImageSet(flat, 48, 16) };

/** A logistic regression whose logits add `zeroFrom(x) * 0`, a term the native engine cannot compile. */
function classifierAdding(zeroFrom: (x: tf.Tensor2D) => tf.Tensor): typeof LogisticRegression {
  return class extends LogisticRegression {
    override logits(x: tf.Tensor): tf.Tensor2D {
      return tf.tidy(() => tf.add(super.logits(x), tf.mul(tf.sum(zeroFrom(x as tf.Tensor2D)), 0)));
    }
  };
}

const images = (x: tf.Tensor2D) => tf.reshape(x, [x.shape[0], 4, 4, 1]) as tf.Tensor4D;

const CASES: { name: string; kernel: string; detail: string; model: () => LogisticRegression }[] = [
  {
    name: 'a cast to a dtype ONNX is not given (complex64)',
    kernel: 'Cast',
    detail: 'dtype complex64',
    model: () => new (classifierAdding((x) => tf.real(tf.cast(x, 'complex64'))))({ inputSize: 16, numClasses: 2 }),
  },
  {
    name: 'a convolution in NCHW layout',
    kernel: 'Conv2D',
    detail: 'dataFormat NCHW',
    model: () =>
      new (classifierAdding((x) =>
        tf.conv2d(tf.reshape(x, [x.shape[0], 1, 4, 4]) as tf.Tensor4D, tf.ones([1, 1, 1, 1]), 1, 'valid', 'NCHW'),
      ))({
        inputSize: 16,
        numClasses: 2,
      }),
  },
  {
    name: 'a filter gradient with dilations',
    kernel: 'Conv2DBackpropFilter',
    detail: 'dilations 2x2',
    model: () =>
      new (classifierAdding(
        (x) =>
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: images(x), dy: images(x) },
              { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 2, filterShape: [1, 1, 1, 1] },
            ) as tf.Tensor,
      ))({ inputSize: 16, numClasses: 2 }),
  },
];

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('a step the native engine cannot compile', () => {
  for (const { name, kernel, detail, model: build } of CASES) {
    it(`trains on tfjs with the reason: ${name}`, async () => {
      const model = build();
      const engines: EngineReport[] = [];
      const result = await fitClassifier(model, data, {
        epochs: 2,
        batchSize: 8,
        engine: 'native',
        onEngine: (report) => void engines.push(report),
      });
      expect(result.history.length).toBe(2);
      expect(result.history.every((log) => Number.isFinite(log.cost))).toBe(true);
      const last = engines.at(-1)!;
      expect(last.engine).toBe('tfjs');
      expect(last.reason).toContain(`the tfjs kernel ${kernel} with`);
      expect(last.reason).toContain(detail);
      model.dispose();
    });
  }
});
