import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError, Random } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { DenoisingAutoencoder, type DenoisingAutoencoderOptions } from './denoising-autoencoder';
import { expectFiniteDifferenceGradients } from './finite-differences.test-helper';

function randomInput(rows: number, columns: number, seed: number): tf.Tensor2D {
  const random = new Random(seed);
  return tf.tensor2d(
    Float32Array.from({ length: rows * columns }, () => random.next()),
    [rows, columns],
  );
}

describe('DenoisingAutoencoder options', () => {
  it('refuses shared encoder variables of other shapes, saying what it needs and what it received', () => {
    const W = tf.variable(tf.zeros([3, 2]));
    const b = tf.variable(tf.zeros([2]));
    const bPrime = tf.variable(tf.zeros([3]));
    const build = () => new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2 }, { W, b, bPrime, corruptionRandom: new Random(0) });
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(/DenoisingAutoencoder: a shared encoder needs W \[4, 2\], bPrime \[4\] .*received W \[3, 2\], bPrime \[3\]/);
    tf.dispose([W, b, bPrime]);
  });

  it('fills in the tutorial defaults', () => {
    const da = new DenoisingAutoencoder();
    expect(da.getConfig()).toEqual({
      visibleSize: 784,
      hiddenSize: 500,
      activation: 'sigmoid',
      corruption: 'mask',
      corruptionLevel: 0,
      loss: 'cross-entropy',
      tiedWeights: true,
      seed: 0,
    });
    expect(da.parameterCount()).toBe(784 * 500 + 500 + 784);
    da.dispose();
  });

  it.each<[DenoisingAutoencoderOptions, RegExp]>([
    [{ hiddenSize: 0 }, /DenoisingAutoencoder: hiddenSize must be a whole number >= 1; received 0/],
    [{ visibleSize: 2.5 }, /visibleSize must be a whole number >= 1; received 2.5/],
    [{ corruptionLevel: 1 }, /corruptionLevel must be a finite number in \[0, 1\); received 1/],
    [{ corruptionLevel: -0.1 }, /corruptionLevel must be a finite number in \[0, 1\)/],
    [{ corruption: 'gaussian', corruptionLevel: -1 }, /corruptionLevel must be a finite number in \[0, \+inf\)/],
    [{ activation: 'gelu' as never }, /activation must be one of 'sigmoid', 'relu', 'tanh'; received "gelu"/],
    [{ loss: 'mse' as never }, /loss must be one of 'cross-entropy', 'squared-error'/],
  ])('refuses %o with a clear error', (options, message) => {
    expect(() => new DenoisingAutoencoder(options)).toThrow(InvalidArgumentError);
    expect(() => new DenoisingAutoencoder(options)).toThrow(message);
  });

  it('draws W from Uniform(+-4 sqrt(6/(h+d))) with zero biases', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 784, hiddenSize: 500, seed: 3 });
    const values = da.W.dataSync();
    const bound = 4 * Math.sqrt(6 / (784 + 500));
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const value of values) {
      min = Math.min(min, value);
      max = Math.max(max, value);
      sum += value;
    }
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(sum / values.length)).toBeLessThan(0.01);
    expect(Array.from(da.getVariable('b').dataSync()).every((value) => value === 0)).toBe(true);
    expect(Array.from(da.getVariable('bPrime').dataSync()).every((value) => value === 0)).toBe(true);
    da.dispose();
  });
});

describe('DenoisingAutoencoder.drawNoise', () => {
  for (const corruption of ['mask', 'gaussian'] as const) {
    it(`writes ${corruption} noise into a given array, the values a new array gets from the same seed`, () => {
      const options = { visibleSize: 6, hiddenSize: 2, corruption, corruptionLevel: 0.4, seed: 3 };
      const fresh = new DenoisingAutoencoder(options);
      const reusing = new DenoisingAutoencoder(options);
      const into = new Float32Array(12).fill(7);
      for (let step = 0; step < 3; step++) {
        const expected = fresh.drawNoise(2)!;
        expect(reusing.drawNoise(2, into)).toBe(into);
        expect(Array.from(into)).toEqual(Array.from(expected));
      }
      fresh.dispose();
      reusing.dispose();
    });
  }

  it('refuses an array of another length, naming the length it needs', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 2, corruptionLevel: 0.3, seed: 1 });
    expect(() => da.drawNoise(2, new Float32Array(6))).toThrow(InvalidArgumentError);
    expect(() => da.drawNoise(2, new Float32Array(6))).toThrow(/batchSize x visibleSize = 2 x 6 values; received 6 values/);
    da.dispose();
  });
});

describeBackends(TEST_BACKENDS, 'DenoisingAutoencoder', () => {
  it('computes the tutorial cost by hand on a 2-visible, 1-hidden example', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 2, hiddenSize: 1 });
    da.setWeights({ W: Float32Array.of(0.5, -1), b: Float32Array.of(0.1), bPrime: Float32Array.of(0.2, -0.3) });
    const x = tf.tensor2d([
      [1, 0],
      [0.5, 0.25],
    ]);
    const sigmoid = (value: number) => 1 / (1 + Math.exp(-value));
    let expected = 0;
    for (const [x1, x2] of [
      [1, 0],
      [0.5, 0.25],
    ]) {
      const y = sigmoid(x1 * 0.5 + x2 * -1 + 0.1);
      const z = [sigmoid(y * 0.5 + 0.2), sigmoid(y * -1 - 0.3)];
      expected -= x1 * Math.log(z[0]) + (1 - x1) * Math.log(1 - z[0]) + x2 * Math.log(z[1]) + (1 - x2) * Math.log(1 - z[1]);
    }
    expectArraysClose(da.cost(x), [expected / 2], 1e-5);
    tf.dispose(x);
    da.dispose();
  });

  it('masks about the requested fraction of inputs, repeatably for a seed', () => {
    const x = tf.ones([50, 40]) as tf.Tensor2D;
    const first = new DenoisingAutoencoder({ visibleSize: 40, hiddenSize: 3, corruptionLevel: 0.3, seed: 5 });
    const second = new DenoisingAutoencoder({ visibleSize: 40, hiddenSize: 3, corruptionLevel: 0.3, seed: 5 });
    const a = first.corrupt(x);
    const b = second.corrupt(x);
    const zeros = Array.from(a.dataSync()).filter((value) => value === 0).length / a.size;
    expect(zeros).toBeGreaterThan(0.25);
    expect(zeros).toBeLessThan(0.35);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
    first.dispose();
    second.dispose();
  });

  it.each<DenoisingAutoencoderOptions>([
    { activation: 'sigmoid', loss: 'cross-entropy', tiedWeights: true },
    { activation: 'relu', loss: 'cross-entropy', tiedWeights: true },
    { activation: 'tanh', loss: 'squared-error', tiedWeights: false },
    { activation: 'sigmoid', loss: 'squared-error', tiedWeights: false },
  ])('has hand-written gradients equal to automatic differentiation for %o', (options) => {
    const da = new DenoisingAutoencoder({ visibleSize: 12, hiddenSize: 5, corruptionLevel: 0.25, seed: 9, ...options });
    // Nonzero biases so that every term of the gradient is exercised.
    da.setWeights({
      b: Float32Array.from({ length: 5 }, (_, index) => 0.1 * index - 0.2),
      bPrime: Float32Array.from({ length: 12 }, (_, index) => 0.05 * index - 0.3),
    });
    const x = randomInput(7, 12, 2);
    const corrupted = da.corrupt(x);
    const fused = da.lossAndGradients(x, corrupted);
    const variables = [...da.variables.values()];
    const automatic = tf.variableGrads(() => da.cost(x, corrupted), variables);
    expectArraysClose(fused.loss, automatic.value, 1e-5);
    for (const [name, variable] of da.variables) {
      expectArraysClose(fused.gradients[name], automatic.grads[variable.name], 1e-4);
    }
    tf.dispose([x, corrupted, fused.loss, ...Object.values(fused.gradients), automatic.value, ...Object.values(automatic.grads)]);
    da.dispose();
  });

  it("has untied squared-error gradients (DeepLearnToolbox's dA) equal to central finite differences", () => {
    const da = new DenoisingAutoencoder({
      visibleSize: 6,
      hiddenSize: 3,
      corruptionLevel: 0.5,
      loss: 'squared-error',
      tiedWeights: false,
      seed: 4,
    });
    da.setWeights({ b: Float32Array.of(0.2, -0.1, 0.3), bPrime: Float32Array.from({ length: 6 }, (_, index) => 0.1 * index - 0.25) });
    const x = randomInput(4, 6, 3);
    const corrupted = da.corrupt(x);
    const { loss, gradients } = da.lossAndGradients(x, corrupted);
    expectFiniteDifferenceGradients(da, gradients, () => da.cost(x, corrupted));
    tf.dispose([x, corrupted, loss, ...Object.values(gradients)]);
    da.dispose();
  });

  it('refuses input of the wrong width with a clear error', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 4 });
    const x = tf.zeros([2, 5]) as tf.Tensor2D;
    expect(() => da.cost(x)).toThrow(
      "DenoisingAutoencoder.cost: x must be a float32 tensor of shape [n, 6]; received a float32 tensor of shape [2, 5]. Flatten the images to rows of 6 values (visibleSize), or build the dA with the data's size.",
    );
    x.dispose();
    da.dispose();
  });

  it('reconstructs with the shapes of the input and leaks no tensors', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 4, corruptionLevel: 0.5 });
    const x = randomInput(3, 6, 1);
    const before = tf.memory().numTensors;
    const hidden = da.encode(x);
    const reconstruction = da.reconstruct(x);
    expect(hidden.shape).toEqual([3, 4]);
    expect(reconstruction.shape).toEqual([3, 6]);
    tf.dispose([hidden, reconstruction]);
    const { loss, gradients } = da.lossAndGradients(x);
    tf.dispose([loss, ...Object.values(gradients)]);
    tf.dispose(da.cost(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    da.dispose();
  });
});
