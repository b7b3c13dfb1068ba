import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { expect, it } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import { ReluCnn } from './relu-cnn';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';
import { initializeFrom } from './transfer';

describeBackends(TEST_BACKENDS, 'unknown option keys', () => {
  it.each([
    [
      'Mlp',
      () => new Mlp({ hidden: 100 } as never),
      /^Mlp: unknown option 'hidden' in options\. Valid options: 'inputSize', 'hiddenSizes', /,
    ],
    [
      'LogisticRegression',
      () => new LogisticRegression({ classes: 3 } as never),
      /^LogisticRegression: unknown option 'classes' in options\./,
    ],
    [
      'DenoisingAutoencoder',
      () => new DenoisingAutoencoder({ corruptionLevels: 0.3 } as never),
      /^DenoisingAutoencoder: unknown option 'corruptionLevels' in options\. Valid options: 'visibleSize', 'hiddenSize', /,
    ],
    [
      'StackedDenoisingAutoencoder',
      () => new StackedDenoisingAutoencoder({ hidden: [10] } as never),
      /^StackedDenoisingAutoencoder: unknown option 'hidden' in options\./,
    ],
    ['ReluCnn', () => new ReluCnn({ preset: 'lenet', dense: [10] } as never), /^ReluCnn: unknown option 'dense' in options\./],
  ])('%s refuses an unknown key instead of building the default model, leaving no tensor behind', (_, build, message) => {
    const before = tf.memory().numTensors;
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('initializeFrom refuses an unknown key and changes no weight', () => {
    const target = new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2, seed: 1 });
    const source = new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2, seed: 2 });
    const before = Array.from(target.getVariable('W').dataSync());
    expect(() => initializeFrom(target, source, { scaling: 0.1 } as never)).toThrow(
      "initializeFrom: unknown option 'scaling' in options. Valid options: 'weights', 'scale', 'resetBiases'.",
    );
    expect(Array.from(target.getVariable('W').dataSync())).toEqual(before);
    target.dispose();
    source.dispose();
  });
});
