import * as tf from '@tensorflow/tfjs-core';
import { expectArraysClose } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { Optimizer } from './optimizers';

function oneVariable(values: number[]): Map<string, tf.Variable> {
  return new Map([['w', tf.variable(tf.tensor1d(values))]]);
}

function step(optimizer: Optimizer, variables: Map<string, tf.Variable>, gradient: number[]): void {
  const g = tf.tensor1d(gradient);
  optimizer.apply(variables, { w: g });
  g.dispose();
}

describe('Optimizer', () => {
  it('takes plain SGD steps w -= lr g', () => {
    const variables = oneVariable([1, -2]);
    const optimizer = new Optimizer({ name: 'sgd', learningRate: 0.5 });
    step(optimizer, variables, [2, 4]);
    expectArraysClose(variables.get('w') as tf.Variable, [0, -4]);
  });

  it('accumulates momentum as v = m v - lr g, w += v', () => {
    const variables = oneVariable([1]);
    const optimizer = new Optimizer({ name: 'momentum', learningRate: 0.1, momentum: 0.5 });
    step(optimizer, variables, [1]); // v = -0.1, w = 0.9
    step(optimizer, variables, [1]); // v = -0.05 - 0.1 = -0.15, w = 0.75
    expectArraysClose(variables.get('w') as tf.Variable, [0.75], 1e-6);
  });

  it('matches Adam worked by hand for two steps', () => {
    const variables = oneVariable([1]);
    const optimizer = new Optimizer({ name: 'adam', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    let w = 1;
    let m = 0;
    let v = 0;
    for (const [t, g] of [
      [1, 0.5],
      [2, -0.25],
    ]) {
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= (0.1 * m) / (1 - 0.9 ** t) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8 / Math.sqrt(1 / (1 - 0.999 ** t)));
      step(optimizer, variables, [g]);
    }
    expectArraysClose(variables.get('w') as tf.Variable, [w], 1e-5);
  });

  it('continues exactly from a saved state', () => {
    const first = oneVariable([1, 2]);
    const optimizer = new Optimizer({ name: 'adam', learningRate: 0.01 });
    step(optimizer, first, [0.3, -0.2]);
    const state = optimizer.getState();
    const second = new Map([['w', tf.variable((first.get('w') as tf.Variable).clone())]]);
    const restored = new Optimizer({ name: 'adam', learningRate: 0.01 });
    restored.setState(state);
    step(optimizer, first, [0.1, 0.4]);
    step(restored, second, [0.1, 0.4]);
    expect(Array.from((second.get('w') as tf.Variable).dataSync())).toEqual(Array.from((first.get('w') as tf.Variable).dataSync()));
    expect(() => new Optimizer({ name: 'sgd', learningRate: 0.01 }).setState(state)).toThrow(/resume with the same optimizer settings/);
  });

  it('adds weight decay lambda W to the gradient of weights, not of biases: w -= lr (g + lambda w)', () => {
    const variables = new Map([
      ['layer0.W', tf.variable(tf.tensor1d([1, -2]))],
      ['layer0.b', tf.variable(tf.tensor1d([1]))],
    ]);
    const optimizer = new Optimizer({ name: 'sgd', learningRate: 0.5, weightDecay: 0.1 });
    const gradients = { 'layer0.W': tf.tensor1d([2, 4]), 'layer0.b': tf.tensor1d([2]) };
    optimizer.apply(variables, gradients);
    // 1 - 0.5 (2 + 0.1 * 1) = -0.05; -2 - 0.5 (4 + 0.1 * -2) = -3.9; the bias: 1 - 0.5 * 2 = 0.
    expectArraysClose(variables.get('layer0.W')!, [-0.05, -3.9], 1e-6);
    expectArraysClose(variables.get('layer0.b')!, [0], 1e-6);
    tf.dispose([...variables.values(), ...Object.values(gradients)]);
  });

  it('feeds the decayed gradient to momentum: v = m v - lr (g + lambda w)', () => {
    const variables = oneVariable([2]);
    const optimizer = new Optimizer({ name: 'momentum', learningRate: 0.1, momentum: 0.5, weightDecay: 0.5 });
    step(optimizer, variables, [1]); // v = -0.1 (1 + 1) = -0.2, w = 1.8
    step(optimizer, variables, [1]); // v = -0.1 - 0.1 (1 + 0.9) = -0.29, w = 1.51
    expectArraysClose(variables.get('w') as tf.Variable, [1.51], 1e-6);
  });

  it('steps at the rate setLearningRate gives, for Adam too, and refuses a rate <= 0', () => {
    const variables = oneVariable([1]);
    const optimizer = new Optimizer({ name: 'sgd', learningRate: 0.5 });
    optimizer.setLearningRate(0.25);
    step(optimizer, variables, [2]);
    expectArraysClose(variables.get('w') as tf.Variable, [0.5], 1e-6);
    expect(optimizer.config.learningRate).toBe(0.5);
    const adam = new Optimizer({ name: 'adam', learningRate: 0.1 });
    adam.setLearningRate(0.01);
    // Adam's first step moves by about the rate: stepSize = 0.01 sqrt(1 - 0.999) / (1 - 0.9).
    expect(adam.advance().stepSize).toBeCloseTo((0.01 * Math.sqrt(0.001)) / 0.1, 12);
    expect(() => optimizer.setLearningRate(0)).toThrow(/Optimizer\.setLearningRate: rate must be a finite number in \(0, \+inf\)/);
  });

  it('refuses a NaN learning rate, an unknown name and a momentum of 1', () => {
    expect(() => new Optimizer({ learningRate: Number.NaN })).toThrow(
      'createOptimizer: learningRate must be a finite number in (0, +inf); received NaN.',
    );
    expect(() => new Optimizer({ name: 'rmsprop' as never })).toThrow(/optimizer must be one of 'sgd', 'momentum', 'adam'/);
    expect(() => new Optimizer({ name: 'momentum', momentum: 1 })).toThrow(InvalidArgumentError);
    expect(() => new Optimizer({ weightDecay: -0.1 })).toThrow(
      'createOptimizer: weightDecay must be a finite number in [0, +inf); received -0.1.',
    );
  });
});
