import * as tf from '@tensorflow/tfjs-core';
import { expectArraysClose } from '@sdae/backend/testing';
import { InvalidArgumentError, Random } from '@sdae/core';
import { oneHot } from '@sdae/datasets';
import { describe, expect, it } from 'vitest';
import { dropoutMaskValues } from './dropout';
import { Mlp } from './mlp';
import { ReluCnn } from './relu-cnn';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

const random = new Random(7);
const x = tf.tensor2d(
  Float32Array.from({ length: 6 * 8 }, () => random.next()),
  [6, 8],
);
const y = tf.tensor2d(oneHot(Uint8Array.of(0, 1, 2, 0, 1, 2), 3), [6, 3]);
const mlpOptions = { inputSize: 8, hiddenSizes: [5, 4], numClasses: 3, seed: 2 };

/** Gives the output layer non-zero weights (the MLP starts it at 0), the same in every model built from `seed`. */
function withOutputWeights(mlp: Mlp, scale = 1): Mlp {
  const values = Float32Array.from({ length: 4 * 3 }, (_, index) => scale * Math.sin(index + 1));
  mlp.setWeights({ 'output.W': values, 'output.b': Float32Array.of(0.1, -0.2, 0.3) });
  return mlp;
}

describe('dropoutMaskValues', () => {
  it('keeps each value with probability 1 - rate, scaled by 1 / (1 - rate)', () => {
    const mask = dropoutMaskValues(20_000, 0.25, new Random(1));
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const dropped = mask.filter((value) => value === 0).length / mask.length;
    expect(dropped).toBeGreaterThan(0.24);
    expect(dropped).toBeLessThan(0.26);
    // The mean of the mask is 1: a masked layer keeps its expected value.
    expect(mask.reduce((sum, value) => sum + value, 0) / mask.length).toBeCloseTo(1, 1);
  });
});

describe('dropout in a classifier', () => {
  it('leaves evaluation unchanged: logits, predictions and loss equal a model without dropout', () => {
    const plain = withOutputWeights(new Mlp(mlpOptions));
    const dropped = withOutputWeights(new Mlp({ ...mlpOptions, dropout: 0.5 }));
    expect(Array.from(dropped.logits(x).dataSync())).toEqual(Array.from(plain.logits(x).dataSync()));
    expect(Array.from(dropped.predict(x).dataSync())).toEqual(Array.from(plain.predict(x).dataSync()));
    expect(dropped.loss(x, y).dataSync()[0]).toBe(plain.loss(x, y).dataSync()[0]);
    plain.dispose();
    dropped.dispose();
  });

  it('scales the kept units by 1 / (1 - rate) in training: an all-kept mask at 0.5 doubles what the next layer sees', () => {
    // Only the last hidden layer feeds output.W: doubling its units equals doubling output.W.
    const dropped = withOutputWeights(new Mlp({ ...mlpOptions, dropout: 0.5 }));
    const doubled = withOutputWeights(new Mlp(mlpOptions), 2);
    const masks = [tf.ones([6, 5]), tf.fill([6, 4], 2)];
    const step = dropped.lossAndGradients(x, y, masks);
    expectArraysClose(step.loss, doubled.loss(x, y), 1e-6);
    // With every unit of the last layer dropped, only the output bias is left.
    const none = dropped.lossGradientsAndClasses(x, y, [tf.ones([6, 5]), tf.zeros([6, 4])]);
    const biasOnly = tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(tf.tile(tf.tensor2d([[0.1, -0.2, 0.3]]), [6, 1]))), 1))));
    expectArraysClose(none.loss, biasOnly, 1e-6);
    expect(Array.from(none.classes.dataSync())).toEqual([2, 2, 2, 2, 2, 2]);
    expect(Array.from(none.gradients['output.W']!.dataSync()).every((value) => value === 0)).toBe(true);
    tf.dispose([
      step.loss,
      ...Object.values(step.gradients),
      none.loss,
      none.classes,
      ...Object.values(none.gradients),
      biasOnly,
      ...masks,
    ]);
    dropped.dispose();
    doubled.dispose();
  });

  it('draws reproducible masks from its seeded dropout stream, one per site, and leaks no tensor', () => {
    const first = new Mlp({ ...mlpOptions, dropout: 0.3 });
    const second = new Mlp({ ...mlpOptions, dropout: 0.3 });
    expect(first.dropoutShapes(6)).toEqual([
      [6, 5],
      [6, 4],
    ]);
    expect(Object.keys(first.getRandomStates())).toEqual(['dropout']);
    const masks = first.drawDropoutMasks(6);
    expect(masks.map((mask) => mask.length)).toEqual([30, 24]);
    expect(second.drawDropoutMasks(6)).toEqual(masks);
    // The training step draws the next masks itself: two steps differ, as the stream moves on.
    const before = tf.memory().numTensors;
    const losses = [0, 1].map(() => {
      const { loss, gradients } = withOutputWeights(first).lossAndGradients(x, y);
      tf.dispose(Object.values(gradients));
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    });
    expect(losses[0]).not.toBe(losses[1]);
    expect(tf.memory().numTensors).toBe(before);
    expect(new Mlp(mlpOptions).dropoutShapes(6)).toEqual([]);
    first.dispose();
    second.dispose();
  });

  it('drops the flattened feature maps and dense units of a CNN, and the hidden units of an SdA', () => {
    const cnn = new ReluCnn({
      inputShape: [6, 6, 1],
      convolutions: [{ filters: 2, kernelSize: 3, pool: 2 }],
      denseSizes: [5],
      dropout: 0.5,
    });
    expect(cnn.dropoutShapes(3)).toEqual([
      [3, 8],
      [3, 5],
    ]);
    const sda = new StackedDenoisingAutoencoder({ inputSize: 8, hiddenSizes: [6, 4], corruptionLevels: [0.1, 0.2], dropout: 0.2 });
    expect(sda.dropoutShapes(2)).toEqual([
      [2, 6],
      [2, 4],
    ]);
    expect(Object.keys(sda.getRandomStates()).sort()).toEqual(['dropout', 'layer0.corruption', 'layer1.corruption']);
    cnn.dispose();
    sda.dispose();
  });

  it('refuses a rate of 1, dropout without hidden layers and masks of the wrong shape', () => {
    expect(() => new Mlp({ ...mlpOptions, dropout: 1 })).toThrow('Mlp: dropout must be a finite number in [0, 1); received 1.');
    expect(() => new Mlp({ inputSize: 8, hiddenSizes: [], dropout: 0.5 })).toThrow(/dropout drops hidden units, but hiddenSizes is \[\]/);
    const mlp = new Mlp({ ...mlpOptions, dropout: 0.5 });
    const wrong = [tf.ones([6, 4])];
    expect(() => mlp.lossAndGradients(x, y, wrong)).toThrow(InvalidArgumentError);
    expect(() => mlp.lossAndGradients(x, y, wrong)).toThrow(/dropoutMasks must have the shapes \[\[6,5\],\[6,4\]\]/);
    tf.dispose(wrong);
    mlp.dispose();
  });
});
