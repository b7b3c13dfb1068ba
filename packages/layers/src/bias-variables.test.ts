import { describe, expect, it } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import { isBiasVariable, type Model } from './model';
import { ReluCnn } from './relu-cnn';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

describe('isBiasVariable', () => {
  it.each([
    ['an untied dA', () => new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 3, tiedWeights: false }), ['b', 'bPrime']],
    [
      'an SdA',
      () => new StackedDenoisingAutoencoder({ inputSize: 4, hiddenSizes: [3, 2], numClasses: 2 }),
      ['layer0.b', 'layer1.b', 'output.b'],
    ],
    [
      'a CNN with a dense layer',
      () => new ReluCnn({ inputShape: [4, 4, 1], convolutions: [{ filters: 2, kernelSize: 3 }], denseSizes: [3], numClasses: 2 }),
      ['conv0.bias', 'dense0.b', 'output.b'],
    ],
    ['logistic regression', () => new LogisticRegression({ inputSize: 4, numClasses: 2 }), ['b']],
    ['an MLP', () => new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }), ['layer0.b', 'output.b']],
  ] as const)('finds exactly the biases of %s among its trained variables', (_, build, biases) => {
    const model: Model = build();
    expect([...model.variables.keys()].filter(isBiasVariable)).toEqual(biases);
    model.dispose();
  });
});
