import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError, Random } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import {
  StackedDenoisingAutoencoder,
  resolveStackedDenoisingAutoencoderOptions,
  type StackedDenoisingAutoencoderOptions,
} from './stacked-denoising-autoencoder';
import { expectFiniteDifferenceGradients } from './finite-differences.test-helper';

describe('StackedDenoisingAutoencoder options', () => {
  it('defaults to the tutorial network', () => {
    const config = new StackedDenoisingAutoencoder({ hiddenSizes: [3, 2], inputSize: 4 }).getConfig();
    expect(config).toMatchObject({
      hiddenSizes: [3, 2],
      corruptionLevels: [0, 0],
      activation: 'sigmoid',
      numClasses: 10,
      tiedWeights: true,
    });
    expect(resolveStackedDenoisingAutoencoderOptions({})).toMatchObject({
      inputSize: 784,
      hiddenSizes: [1000, 1000, 1000],
      corruptionLevels: [0.1, 0.2, 0.3],
    });
  });

  it.each<[StackedDenoisingAutoencoderOptions, string | RegExp]>([
    [
      { hiddenSizes: [500, 500], corruptionLevels: [0.1] },
      'StackedDenoisingAutoencoder: corruptionLevels must have one level per hidden layer (2, for hiddenSizes [500, 500]); received 1 levels [0.1].',
    ],
    [{ hiddenSizes: [] }, /hiddenSizes must be an array of layer sizes with at least one entry/],
    [{ hiddenSizes: [10, -1] }, /hiddenSizes\[1\] must be a whole number >= 1; received -1/],
    [{ hiddenSizes: [10], corruptionLevels: [1.5] }, /corruptionLevels\[0\] must be a finite number in \[0, 1\); received 1.5/],
    [{ activation: 'softmax' as never }, /activation must be one of 'sigmoid', 'relu', 'tanh'/],
    [{ output: 'sigmoid' as never }, /output must be one of 'softmax', 'sigmoid-squared-error'; received "sigmoid"/],
    [{ initialization: 'glorot' as never }, /initialization must be one of 'tutorial', 'deeplearntoolbox'/],
  ])('refuses %o', (options, message) => {
    expect(() => new StackedDenoisingAutoencoder(options)).toThrow(InvalidArgumentError);
    expect(() => new StackedDenoisingAutoencoder(options)).toThrow(message);
  });
});

describe('StackedDenoisingAutoencoder initialization', () => {
  const bound = (fanIn: number, fanOut: number) => 4 * Math.sqrt(6 / (fanIn + fanOut));
  const spread = (values: Float32Array) => Math.max(...Array.from(values, Math.abs));

  it("starts the tutorial's way by default: zero biases and a zero output layer", () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 30, hiddenSizes: [20], numClasses: 5, tiedWeights: false, seed: 1 });
    const weights = sda.getWeights();
    for (const name of ['layer0.b', 'layer0.bPrime', 'output.W', 'output.b']) expect(spread(weights.get(name)!.values), name).toBe(0);
    expect(spread(weights.get('layer0.W')!.values)).toBeLessThanOrEqual(bound(30, 20));
    sda.dispose();
  });

  it("draws every weight and bias, the output layer's included, from DeepLearnToolbox's Uniform(+-4 sqrt(6/(in+out)))", () => {
    const sda = new StackedDenoisingAutoencoder({
      inputSize: 30,
      hiddenSizes: [20],
      numClasses: 5,
      tiedWeights: false,
      initialization: 'deeplearntoolbox',
      seed: 1,
    });
    const weights = sda.getWeights();
    const expected: Record<string, number> = {
      'layer0.W': bound(30, 20),
      'layer0.b': bound(30, 20),
      'layer0.WPrime': bound(20, 30),
      'layer0.bPrime': bound(20, 30),
      'output.W': bound(20, 5),
      'output.b': bound(20, 5),
    };
    for (const [name, limit] of Object.entries(expected)) {
      const largest = spread(weights.get(name)!.values);
      expect(largest, name).toBeLessThanOrEqual(limit);
      // Uniform draws fill the interval: the largest of >= 5 draws is rarely below half the bound.
      expect(largest, name).toBeGreaterThan(0.4 * limit);
    }
    sda.dispose();
  });
});

describeBackends(TEST_BACKENDS, 'StackedDenoisingAutoencoder', () => {
  it('shares each hidden layer with its dA: training the dA changes the SdA', () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 6, hiddenSizes: [4, 3], corruptionLevels: [0.1, 0.2], numClasses: 2 });
    const da = sda.autoencoder(1);
    expect(da.getConfig()).toMatchObject({ visibleSize: 4, hiddenSize: 3, corruptionLevel: 0.2 });
    expect(da.W).toBe(sda.getVariable('layer1.W'));
    da.W.assign(tf.onesLike(da.W));
    expect(Array.from(sda.getVariable('layer1.W').dataSync())).toEqual(new Array(12).fill(1));
    expect([...sda.variables.keys()]).not.toContain('layer1.bPrime');
    expect(sda.getWeights().has('layer1.bPrime')).toBe(true);
    sda.dispose();
  });

  it('computes layer inputs, logits and the product of the weights by hand', () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 2, hiddenSizes: [2, 1], numClasses: 2 });
    sda.setWeights({
      'layer0.W': Float32Array.of(1, -1, 0.5, 2),
      'layer0.b': Float32Array.of(0, 0.5),
      'layer1.W': Float32Array.of(2, -3),
      'layer1.b': Float32Array.of(0.1),
      'output.W': Float32Array.of(1, -1),
      'output.b': Float32Array.of(0, 0.2),
    });
    const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));
    const x = tf.tensor2d([[0.2, 0.6]]);
    const h1 = [sigmoid(0.2 * 1 + 0.6 * 0.5), sigmoid(0.2 * -1 + 0.6 * 2 + 0.5)];
    const h2 = sigmoid(h1[0] * 2 + h1[1] * -3 + 0.1);
    const layerInput = sda.layerInput(x, 1);
    const logits = sda.logits(x);
    const product = sda.weightProduct();
    expectArraysClose(layerInput, h1, 1e-6);
    expectArraysClose(logits, [h2, -h2 + 0.2], 1e-6);
    expectArraysClose(product, [1 * 2 + -1 * -3, 0.5 * 2 + 2 * -3], 1e-6);

    expect(() => sda.layerInput(x, 2)).toThrow(
      'StackedDenoisingAutoencoder.layerInput: layer must be a whole number in [0, 1] for this 2-layer SdA; received 2.',
    );
    tf.dispose([x, layerInput, logits, product]);
    sda.dispose();
  });

  it("computes the sigmoid output's squared error and outputs by hand", () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 2, hiddenSizes: [1], numClasses: 2, output: 'sigmoid-squared-error' });
    // W1 = 0, b1 = 0: the hidden unit is 0.5 for every input, so the logits are 0.5 W + b = [1, 0].
    sda.setWeights({ 'layer0.W': Float32Array.of(0, 0), 'output.W': Float32Array.of(2, -2), 'output.b': Float32Array.of(0, 1) });
    const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));
    const x = tf.tensor2d([
      [0.3, 0.9],
      [0.1, 0.4],
    ]);
    const y = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const loss = sda.loss(x, y);
    const outputs = sda.predict(x);
    const classes = sda.predictClasses(x);
    // 1/2 sum (sigmoid(a) - y)^2 over the classes, averaged over the 2 examples.
    const expected = (0.5 * ((sigmoid(1) - 1) ** 2 + (sigmoid(0) - 0) ** 2) + 0.5 * ((sigmoid(1) - 0) ** 2 + (sigmoid(0) - 1) ** 2)) / 2;
    expectArraysClose(loss, [expected], 1e-6);
    expectArraysClose(outputs, [sigmoid(1), sigmoid(0), sigmoid(1), sigmoid(0)], 1e-6);
    expect(Array.from(classes.dataSync())).toEqual([0, 0]);
    expect(sda.output).toBe('sigmoid-squared-error');
    tf.dispose([x, y, loss, outputs, classes]);
    sda.dispose();
  });

  it.each(['softmax', 'sigmoid-squared-error'] as const)('has %s loss gradients equal to central finite differences', (output) => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 5, hiddenSizes: [4, 3], numClasses: 3, output, seed: 3 });
    const random = new Random(1);
    sda.setWeights({ 'output.W': Float32Array.from({ length: 9 }, () => random.next() - 0.5) });
    const x = tf.tensor2d(
      Float32Array.from({ length: 15 }, () => random.next()),
      [3, 5],
    );
    const y = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    const { loss, gradients } = sda.lossAndGradients(x, y);
    expectFiniteDifferenceGradients(sda, gradients, () => sda.loss(x, y));
    tf.dispose([x, y, loss, ...Object.values(gradients)]);
    sda.dispose();
  });
});
