import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { expect, it } from 'vitest';
import { MAX_WEIGHT_VALUES } from './dense';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

describeBackends(TEST_BACKENDS, 'sizes that cannot be allocated', () => {
  it.each([
    [
      'DenoisingAutoencoder',
      () => new DenoisingAutoencoder({ hiddenSize: 100_000_000 }),
      /^DenoisingAutoencoder: a weight matrix of \[784, 100000000\] would hold 78400000000 values \(292\.1 GiB as float32\), more than one weight matrix may hold \(268435456 values, 1 GiB\); use a smaller hiddenSize\.$/,
    ],
    [
      'Mlp',
      () => new Mlp({ hiddenSizes: [500, 1_000_000] }),
      /^Mlp: a weight matrix of \[500, 1000000\] would hold 500000000 values .*use a smaller hiddenSizes\.$/,
    ],
    [
      'StackedDenoisingAutoencoder',
      () => new StackedDenoisingAutoencoder({ hiddenSizes: [100_000_000], corruptionLevels: [0] }),
      /^StackedDenoisingAutoencoder: a weight matrix of \[784, 100000000\]/,
    ],
    [
      'LogisticRegression',
      () => new LogisticRegression({ inputSize: 10_000_000, numClasses: 100 }),
      /^LogisticRegression: a weight matrix of \[10000000, 100\]/,
    ],
  ])('%s refuses weights too large for one matrix by name, before allocating anything', (_, build, message) => {
    const before = tf.memory().numTensors;
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('counts the values exactly: one matrix of 2^28 + 2 values is refused', () => {
    expect(MAX_WEIGHT_VALUES).toBe(2 ** 28);
    expect(() => new LogisticRegression({ inputSize: MAX_WEIGHT_VALUES / 2 + 1, numClasses: 2 })).toThrow(/would hold 268435458 values/);
  });
});
