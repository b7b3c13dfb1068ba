import * as tf from '@tensorflow/tfjs-core';
import { barsAndStripes, epochBatches } from '@sdae/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import './register';
import { selectBackend } from './select-backend';
import { describeBackends, expectArraysClose } from './testing-helpers';

/** Every kernel the dA, SdA, MLP and ReLU CNN forward passes run, which training differentiates. */
const KERNELS_THE_LAYERS_USE = [
  'BatchMatMul',
  'Add',
  'AddN',
  'Sub',
  'Multiply',
  'RealDiv',
  'Neg',
  'Square',
  'SquaredDifference',
  'Sqrt',
  'Sigmoid',
  'Relu',
  'Tanh',
  'Softplus',
  'Softmax',
  'Log',
  'Log1p',
  'Exp',
  'Maximum',
  'Minimum',
  'ClipByValue',
  'Sum',
  'Mean',
  'Max',
  'Reshape',
  'Transpose',
  'Cast',
  'Slice',
  'Concat',
  'Tile',
  'PadV2',
  'Conv2D',
  'MaxPool',
  'AvgPool',
];

describe('gradient registration', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'cpu' });
  });

  it('registers a gradient for every kernel the layers use', () => {
    const missing = KERNELS_THE_LAYERS_USE.filter((kernel) => tf.getGradient(kernel) === undefined);
    expect(missing).toEqual([]);
  });

  it('registers the chained ops (tensor.sum(), tensor.matMul())', () => {
    expect(typeof tf.ones([1]).sum).toBe('function');
    expect(typeof tf.ones([1, 1]).matMul).toBe('function');
  });

  it('uses one tfjs engine, whichever module registered the gradients', () => {
    expect(tf.engine()).toBe((globalThis as { _tfengine?: unknown })._tfengine);
  });
});

/** A small ReLU CNN: conv 3x3x4 + ReLU + max-pool 2, dense -> 2, softmax cross-entropy. */
function convNetLoss(params: tf.Tensor[], x: tf.Tensor4D, y: tf.Tensor2D): tf.Scalar {
  const [filter, convBias, weights, bias] = params as [tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
  const features = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, filter, 1, 'same'), convBias)) as tf.Tensor4D, 2, 2, 'valid');
  const logits = tf.add(tf.matMul(tf.reshape(features, [x.shape[0], -1]), weights), bias);
  return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
}

function initialParameters(): tf.Tensor[] {
  const random = (shape: number[], seed: number) => tf.randomUniform(shape, -0.5, 0.5, 'float32', seed);
  return [random([3, 3, 1, 4], 1), tf.fill([4], 0.01), random([4 * 4 * 4, 2], 2), tf.zeros([2])];
}

const set = barsAndStripes({ size: 8, count: 64, seed: 3 });
const batch = epochBatches(set, { batchSize: 32 }).next().value!;
const xValues = batch.images;
const yValues = Array.from(batch.labels).flatMap((label) => (label === 0 ? [1, 0] : [0, 1]));

async function gradientsOn(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  await selectBackend({ backend });
  return tf.tidy(() => {
    const x = tf.tensor4d(xValues, [32, 8, 8, 1]);
    const y = tf.tensor2d(yValues, [32, 2]);
    const params = initialParameters();
    const grads = tf.grads((...p: tf.Tensor[]) => convNetLoss(p, x, y))(params);
    return grads.map((gradient) => gradient.dataSync() as Float32Array);
  });
}

describe('a small conv net on cpu and wasm', () => {
  it('has the same gradients on both backends within 1e-4', async () => {
    const onCpu = await gradientsOn('cpu');
    const onWasm = await gradientsOn('wasm');
    expect(onCpu.map((gradient) => gradient.length)).toEqual([36, 4, 128, 2]);
    onCpu.forEach((gradient, index) => expectArraysClose(onWasm[index]!, gradient, 1e-4));
    expect(Math.max(...onCpu[0]!.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('has gradients that match central finite differences on cpu', async () => {
    await selectBackend({ backend: 'cpu' });
    const [analytic] = await gradientsOn('cpu');
    const x = tf.tensor4d(xValues, [32, 8, 8, 1]);
    const y = tf.tensor2d(yValues, [32, 2]);
    const params = initialParameters();
    const filter = Float32Array.from(params[0]!.dataSync());
    const epsilon = 1e-2;
    const lossWithFilter = (values: Float32Array): number =>
      tf.tidy(() => convNetLoss([tf.tensor4d(values, [3, 3, 1, 4]), ...params.slice(1)], x, y).dataSync()[0]!);
    for (const index of [0, 5, 17, 35]) {
      const plus = filter.slice();
      plus[index]! += epsilon;
      const minus = filter.slice();
      minus[index]! -= epsilon;
      const numeric = (lossWithFilter(plus) - lossWithFilter(minus)) / (2 * epsilon);
      expect(Math.abs(numeric - analytic![index]!)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
    }
    tf.dispose([x, y, ...params]);
  });
});

describeBackends(['cpu', 'wasm'], 'conv net training', () => {
  it('lowers the loss with plain SGD, without leaking tensors', () => {
    const x = tf.tensor4d(xValues, [32, 8, 8, 1]);
    const y = tf.tensor2d(yValues, [32, 2]);
    const params = initialParameters().map((tensor) => tf.variable(tensor));
    const optimizer = tf.train.sgd(0.5);
    const losses: number[] = [];
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 15; step++) {
      const loss = optimizer.minimize(() => convNetLoss(params, x, y), true, params)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses[14]!).toBeLessThan(losses[0]! * 0.7);
    tf.dispose([x, y, ...params]);
    optimizer.dispose();
  });
});

describe('the workspace', () => {
  it('holds exactly one copy of @tensorflow/tfjs-core', async () => {
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const store = join(import.meta.dirname, '../../../node_modules/.pnpm');
    expect(readdirSync(store).filter((name) => name.startsWith('@tensorflow+tfjs-core@'))).toEqual(['@tensorflow+tfjs-core@4.22.0']);
  });
});

/** Scalar functions of one [2, 3] input, one per op the layers differentiate. */
const OPS: Record<string, (x: tf.Tensor) => tf.Scalar> = {
  matMul: (x) => tf.matMul(x, tf.tensor2d([0.3, -0.2, 0.5, 0.1, -0.4, 0.2], [3, 2])).sum(),
  'add, sub, mul, div': (x) => tf.div(tf.mul(tf.sub(tf.add(x, 1), 0.5), x), 2).sum(),
  'neg, square, sqrt': (x) => tf.sqrt(tf.add(tf.square(tf.neg(x)), 1)).sum(),
  sigmoid: (x) => tf.sigmoid(x).sum(),
  relu: (x) => tf.relu(x).sum(),
  tanh: (x) => tf.tanh(x).sum(),
  softplus: (x) => tf.softplus(x).sum(),
  'log, log1p, exp': (x) => tf.add(tf.log(tf.add(tf.exp(x), 1)), tf.log1p(tf.square(x))).sum(),
  'softmax cross-entropy': (x) => tf.losses.softmaxCrossEntropy(tf.tensor2d([1, 0, 0, 0, 0, 1], [2, 3]), x) as tf.Scalar,
  'sigmoid cross-entropy as in the dA': (x) => {
    const z = tf.sigmoid(x);
    const target = tf.tensor2d([1, 0, 0.5, 0.2, 0.9, 0], [2, 3]);
    return tf
      .neg(tf.add(tf.mul(target, tf.log(z)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, z)))))
      .sum(1)
      .mean();
  },
  'squared difference, mean': (x) => tf.squaredDifference(x, tf.onesLike(x)).mean(),
  'maximum, minimum, clip': (x) =>
    tf
      .add(tf.maximum(x, 0.1), tf.minimum(x, -0.1))
      .add(tf.clipByValue(x, -0.5, 0.5))
      .sum(),
  'max, reshape, transpose': (x) => tf.max(tf.transpose(tf.reshape(x, [3, 2])), 1).sum(),
  'slice, concat, tile, pad': (x) =>
    tf
      .concat(
        [
          tf.slice(x, [0, 1], [2, 2]),
          tf.tile(x, [1, 2]),
          tf.pad(x, [
            [0, 0],
            [1, 1],
          ]),
        ],
        1,
      )
      .square()
      .sum(),
  'conv2d, maxPool, avgPool': (x) => {
    const image = tf.reshape(x, [1, 2, 3, 1]) as tf.Tensor4D;
    const filter = tf.tensor4d([0.5, -0.3, 0.2, 0.8], [2, 2, 1, 1]);
    const features = tf.conv2d(image, filter, 1, 'same');
    return tf.add(tf.maxPool(features, 2, 1, 'valid').sum(), tf.avgPool(features, 2, 1, 'valid').sum());
  },
};

const POINT = [0.3, -0.7, 0.45, -0.15, 0.8, -0.35];

describeBackends(['cpu', 'wasm'], 'gradients of every op the layers use', () => {
  for (const [name, f] of Object.entries(OPS)) {
    it(`${name}: matches central finite differences`, () => {
      const analytic = tf.tidy(() =>
        tf
          .grad(f)(tf.tensor2d(POINT, [2, 3]))
          .dataSync(),
      );
      const epsilon = 1e-2;
      const value = (values: number[]) => tf.tidy(() => f(tf.tensor2d(values, [2, 3])).dataSync()[0]!);
      POINT.forEach((_, index) => {
        const plus = POINT.map((v, i) => (i === index ? v + epsilon : v));
        const minus = POINT.map((v, i) => (i === index ? v - epsilon : v));
        const numeric = (value(plus) - value(minus)) / (2 * epsilon);
        expect(Math.abs(analytic[index]! - numeric), `element ${index}: ${analytic[index]} vs ${numeric}`).toBeLessThan(
          5e-3 + 1e-2 * Math.abs(numeric),
        );
      });
    });
  }
});
