// The models the ONNX export tests write, one per model kind, with random weights: shared by the
// onnxruntime-node and the Chromium (onnxruntime-web) tests.
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@sdae/core';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { LogisticRegression } from '../logistic-regression';
import { Mlp } from '../mlp';
import type { AnyModel } from '../model-io';
import { ReluCnn } from '../relu-cnn';
import { StackedDenoisingAutoencoder } from '../stacked-denoising-autoencoder';

/** One model to export and the shape of a batch to feed it. */
export interface OnnxCase {
  name: string;
  build: () => AnyModel;
  batchShape: number[];
}

export const ONNX_CASES: OnnxCase[] = [
  { name: 'DenoisingAutoencoder', build: () => new DenoisingAutoencoder({ visibleSize: 12, hiddenSize: 5, seed: 1 }), batchShape: [5, 12] },
  {
    name: 'DenoisingAutoencoder (untied, relu)',
    build: () => new DenoisingAutoencoder({ visibleSize: 12, hiddenSize: 5, tiedWeights: false, activation: 'relu', seed: 1 }),
    batchShape: [4, 12],
  },
  {
    name: 'StackedDenoisingAutoencoder',
    build: () => new StackedDenoisingAutoencoder({ inputSize: 16, hiddenSizes: [7, 5], numClasses: 3, seed: 2 }),
    batchShape: [5, 16],
  },
  {
    name: 'StackedDenoisingAutoencoder (sigmoid outputs)',
    build: () =>
      new StackedDenoisingAutoencoder({
        inputSize: 6,
        hiddenSizes: [5, 4],
        numClasses: 3,
        output: 'sigmoid-squared-error',
        tiedWeights: false,
        seed: 3,
      }),
    batchShape: [4, 6],
  },
  { name: 'ReluCnn (notebook preset)', build: () => new ReluCnn({ preset: 'notebook', seed: 4 }), batchShape: [3, 28, 28, 1] },
  { name: 'ReluCnn (lenet preset)', build: () => new ReluCnn({ preset: 'lenet', seed: 4 }), batchShape: [2, 28, 28, 1] },
  { name: 'LogisticRegression', build: () => new LogisticRegression({ inputSize: 10, numClasses: 4, seed: 5 }), batchShape: [6, 10] },
  { name: 'Mlp', build: () => new Mlp({ inputSize: 10, hiddenSizes: [8, 6], numClasses: 4, seed: 6 }), batchShape: [5, 10] },
];

/** Replaces every weight with uniform values in [-1, 1) (fresh weights hide mistakes: a logistic regression starts at 0). */
export function randomizeWeights(model: AnyModel, seed: number): void {
  const random = new Random(seed);
  const values: Record<string, Float32Array> = {};
  for (const [name, { values: current }] of model.getWeights()) values[name] = Float32Array.from(current, () => random.next() * 2 - 1);
  model.setWeights(values);
}

/** A batch of uniform [0, 1) values. */
export function randomBatch(shape: number[], seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: shape.reduce((product, size) => product * size, 1) }, () => random.next());
}

/** What sdae itself computes for `x`, by output name: a classifier's predict, a dA's encode and reconstruct. */
export function sdaeOutputs(model: AnyModel, x: Float32Array, shape: number[]): Record<string, Float32Array> {
  return tf.tidy(() => {
    const input = tf.tensor(x, shape);
    const read = (tensor: tf.Tensor) => Float32Array.from(tensor.dataSync() as Float32Array);
    if (model instanceof DenoisingAutoencoder)
      return { hidden: read(model.encode(input as tf.Tensor2D)), reconstruction: read(model.reconstruct(input as tf.Tensor2D)) };
    return { [model.output === 'softmax' ? 'probabilities' : 'scores']: read(model.predict(input)) };
  });
}

/** The largest absolute difference of two arrays of the same length (Infinity when the lengths differ). */
export function largestDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let index = 0; index < actual.length; index++) worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
  return worst;
}
