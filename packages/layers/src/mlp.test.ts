import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';

describe('Mlp and LogisticRegression options', () => {
  it('start the softmax layer at zero, as the tutorial, and check sizes', () => {
    const mlp = new Mlp({ inputSize: 3, hiddenSizes: [2], numClasses: 2 });
    expect(Array.from(mlp.getVariable('output.W').dataSync())).toEqual([0, 0, 0, 0]);
    expect(mlp.getConfig()).toEqual({ inputSize: 3, hiddenSizes: [2], activation: 'sigmoid', numClasses: 2, seed: 0, dropout: 0 });
    mlp.dispose();
    expect(() => new Mlp({ hiddenSizes: [0] })).toThrow('Mlp: hiddenSizes[0] must be a whole number >= 1; received 0.');
    expect(() => new LogisticRegression({ numClasses: 0 })).toThrow(InvalidArgumentError);
  });
});

describeBackends(TEST_BACKENDS, 'Mlp', () => {
  it('computes tanh hidden layers, logits and the mean negative log-likelihood by hand', () => {
    const mlp = new Mlp({ inputSize: 2, hiddenSizes: [2], activation: 'tanh', numClasses: 2 });
    mlp.setWeights({
      'layer0.W': Float32Array.of(1, 0, -1, 2),
      'layer0.b': Float32Array.of(0, -0.5),
      'output.W': Float32Array.of(1, -1, 2, 0.5),
      'output.b': Float32Array.of(0.1, 0),
    });
    const x = tf.tensor2d([
      [0.5, 0.25],
      [1, 0],
    ]);
    const y = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const expectedLogits: number[] = [];
    let nll = 0;
    [
      [0.5, 0.25],
      [1, 0],
    ].forEach(([a, b], row) => {
      const h = [Math.tanh(a - b), Math.tanh(2 * b - 0.5)];
      const logits = [h[0] + 2 * h[1] + 0.1, -h[0] + 0.5 * h[1]];
      expectedLogits.push(...logits);
      const logSum = Math.log(Math.exp(logits[0]) + Math.exp(logits[1]));
      nll += logSum - logits[row];
    });
    const logits = mlp.logits(x);
    const loss = mlp.loss(x, y);
    expectArraysClose(logits, expectedLogits, 1e-6);
    expectArraysClose(loss, [nll / 2], 1e-6);
    tf.dispose([x, y, logits, loss]);
    mlp.dispose();
  });

  it('refuses examples of the wrong size with a clear error', () => {
    const mlp = new Mlp({ inputSize: 4, hiddenSizes: [2], numClasses: 2 });
    const x = tf.zeros([3, 5]);
    expect(() => mlp.logits(x)).toThrow(
      "Mlp: x must be a float32 tensor of shape [n, 4] (or any batch of 4 values per example); received a float32 tensor of shape [3, 5]. Check the model's input size against the data.",
    );
    x.dispose();
    mlp.dispose();
  });

  it('reduces to logistic regression with no hidden layer', () => {
    const mlp = new Mlp({ inputSize: 3, hiddenSizes: [], numClasses: 2 });
    const logistic = new LogisticRegression({ inputSize: 3, numClasses: 2 });
    const weights = Float32Array.of(1, 2, 3, 4, 5, 6);
    mlp.setWeights({ 'output.W': weights });
    logistic.setWeights({ W: weights });
    const x = tf.tensor2d([[1, 0.5, -1]]);
    const a = mlp.predict(x);
    const b = logistic.predict(x);
    expectArraysClose(a, b, 1e-7);
    tf.dispose([x, a, b]);
    mlp.dispose();
    logistic.dispose();
  });
});
