import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { expect, it } from 'vitest';
import { MAX_WEIGHT_VALUES } from './dense';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import { ReluCnn } from './relu-cnn';
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
    [
      'ReluCnn (filters)',
      () => new ReluCnn({ convolutions: [{ filters: 100_000_000, kernelSize: 5 }] }),
      /^ReluCnn: a filter tensor of \[5, 5, 1, 100000000\] would hold 2500000000 values \(9\.3 GiB as float32\), more than one filter tensor may hold \(268435456 values, 1 GiB\); use fewer filters or a smaller kernelSize in convolutions\[0\]\.$/,
    ],
    [
      'ReluCnn (kernel size)',
      () => new ReluCnn({ inputShape: [16_384, 16_384, 1], convolutions: [{ filters: 2, kernelSize: 16_384 }] }),
      /^ReluCnn: a filter tensor of \[16384, 16384, 1, 2\] would hold 536870912 values .*in convolutions\[0\]\.$/,
    ],
    [
      'ReluCnn (image size)',
      () => new ReluCnn({ inputShape: [100_000, 100_000, 1] }),
      /^ReluCnn: an? input image of \[100000, 100000, 1\] would hold 10000000000 values .*; use a smaller inputShape\.$/,
    ],
    [
      'ReluCnn (feature map)',
      () => new ReluCnn({ convolutions: [{ filters: 400_000, kernelSize: 1 }] }),
      /^ReluCnn: a feature map of \[28, 28, 400000\] would hold 313600000 values .*; use fewer filters or larger strides in convolutions\[0\], more pooling before it, or a smaller inputShape\.$/,
    ],
    [
      'ReluCnn (dense size)',
      () => new ReluCnn({ preset: 'lenet', denseSizes: [500, 1_000_000_000] }),
      /^ReluCnn: a weight matrix of \[500, 1000000000\] would hold .*; use a smaller denseSizes\[1\]\.$/,
    ],
    [
      'ReluCnn (classes)',
      () => new ReluCnn({ numClasses: 1_000_000 }),
      /^ReluCnn: a weight matrix of \[576, 1000000\] would hold 576000000 values .*; use a smaller numClasses\.$/,
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
