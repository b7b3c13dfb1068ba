import * as tf from '@tensorflow/tfjs-core';
import { barsAndStripes } from '@sdae/datasets';
import { LogisticRegression } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { accuracy, confusionMatrix, errorRate, evaluate } from './metrics';

describe('errorRate, accuracy and confusionMatrix', () => {
  it('count by hand on a small example', () => {
    const predicted = [0, 1, 1, 2, 2, 0];
    const labels = [0, 1, 2, 2, 0, 0];
    expect(errorRate(predicted, labels)).toBeCloseTo(2 / 6, 12);
    expect(accuracy(predicted, labels)).toBeCloseTo(4 / 6, 12);
    expect(confusionMatrix(predicted, labels, 3)).toEqual([
      [2, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
    ]);
  });

  it('refuses arrays of different lengths and out-of-range classes', () => {
    expect(() => errorRate([1, 2], [1])).toThrow(
      'errorRate: predicted and labels must be non-empty and of the same length; received 2 and 1.',
    );
    expect(() => confusionMatrix([3], [0], 3)).toThrow(/example 0 has label 0 and prediction 3/);
  });
});

describe('evaluate', () => {
  it('measures the loss and error of a classifier with known weights on every example', async () => {
    // 2x2 images: class 1 is "bars". A logistic regression scoring pixel 0 minus pixel 1.
    const set = barsAndStripes({ size: 2, count: 37, seed: 4 });
    const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
    model.setWeights({ W: Float32Array.of(0, 1, 0, 0, 0, 0, 0, 0), b: Float32Array.of(0.5, 0) });
    const logits = (index: number) => [0.5, set.images[index * 4]];
    let loss = 0;
    let wrong = 0;
    for (let index = 0; index < set.count; index++) {
      const [a, b] = logits(index);
      const logSum = Math.log(Math.exp(a) + Math.exp(b));
      loss += logSum - (set.labels[index] === 0 ? a : b);
      if ((b > a ? 1 : 0) !== set.labels[index]) wrong++;
    }
    const before = tf.memory().numTensors;
    const result = await evaluate(model, set, { batchSize: 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.predictions.length).toBe(37);
    expect(result.errorRate).toBeCloseTo(wrong / 37, 10);
    expect(result.loss).toBeCloseTo(loss / 37, 5);
    model.dispose();
  });
});
