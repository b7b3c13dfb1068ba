import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { barsAndStripes } from '@sdae/datasets';
import { LogisticRegression, Mlp } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { formatEpochLog } from './events';
import { trainSampled } from './train-sampled';

const set = barsAndStripes({ size: 4, count: 200, seed: 6 });

describeBackends(TEST_BACKENDS, 'trainSampled', () => {
  it('logs loss and minibatch accuracy every iteration and learns, with flat memory', async () => {
    const model = new Mlp({ inputSize: 16, hiddenSizes: [12], numClasses: 2, seed: 1 });
    const counts: number[] = [];
    const result = await trainSampled(model, set, {
      iterations: 150,
      batchSize: 20,
      optimizer: 'adam',
      learningRate: 0.05,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(result.history).toHaveLength(150);
    expect(result.history[0].cost).toBeCloseTo(Math.log(2), 5); // zero output weights: uniform softmax
    const lastTen = result.history.slice(-10);
    expect(lastTen.reduce((sum, log) => sum + (log.accuracy ?? 0), 0) / 10).toBeGreaterThan(0.85);
    expect(formatEpochLog(result.history[149])).toMatch(/^iteration 149, loss [\d.]+, accuracy [\d.]+ %$/);
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });
});

describe('trainSampled resume [cpu]', () => {
  it('continues from a checkpoint at an iteration with the same minibatches', async () => {
    const checkpoints: Uint8Array[] = [];
    const full = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const fullResult = await trainSampled(full, set, {
      iterations: 20,
      batchSize: 10,
      seed: 3,
      checkpoint: { every: 10, write: async (bytes) => void checkpoints.push(bytes) },
    });
    const resumed = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const resumedResult = await trainSampled(resumed, set, { iterations: 20, batchSize: 10, seed: 3, resume: checkpoints[0] });
    expect(resumedResult.history.map((log) => log.cost)).toEqual(fullResult.history.map((log) => log.cost));
    full.dispose();
    resumed.dispose();
  });
});
