import * as tf from '@tensorflow/tfjs-core';
import { barsAndStripes } from '@sdae/datasets';
import { LogisticRegression, ReluCnn } from '@sdae/layers';
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
  it.each(['tfjs', 'native'] as const)(
    'measures the loss and error of a classifier with known weights on every example (%s)',
    async (engine) => {
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
      const result = await evaluate(model, set, { batchSize: 10, engine });
      expect(tf.memory().numTensors).toBe(before);
      expect(result.engine).toBe(engine);
      expect(result.predictions.length).toBe(37);
      expect(result.errorRate).toBeCloseTo(wrong / 37, 10);
      expect(result.loss).toBeCloseTo(loss / 37, 5);
      model.dispose();
    },
  );

  it('gives a convolutional network the same loss and classes on the native engine as on tfjs', async () => {
    const set = barsAndStripes({ size: 8, count: 23, seed: 2 });
    const cnn = new ReluCnn({
      convolutions: [{ filters: 3, kernelSize: 3, padding: 'valid', pool: 2 }],
      denseSizes: [],
      numClasses: 2,
      inputShape: [8, 8, 1],
      seed: 3,
    });
    const onTfjs = await evaluate(cnn, set, { batchSize: 10, engine: 'tfjs' });
    const native = await evaluate(cnn, set, { batchSize: 10, engine: 'native' });
    expect([native.engine, onTfjs.engine]).toEqual(['native', 'tfjs']);
    expect(Array.from(native.predictions)).toEqual(Array.from(onTfjs.predictions));
    expect(native.loss).toBeCloseTo(onTfjs.loss, 4);
    expect(native.errorRate).toBe(onTfjs.errorRate);
    cnn.dispose();
  });

  it('refuses an unknown engine, naming the valid ones', async () => {
    const set = barsAndStripes({ size: 2, count: 4, seed: 1 });
    const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
    await expect(evaluate(model, set, { engine: 'gpu' as never })).rejects.toThrow(/evaluate: .*engine.*'auto'/);
    model.dispose();
  });
});
