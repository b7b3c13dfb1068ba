import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { barsAndStripes, sliceImageSet } from '@sdae/datasets';
import { Mlp, StackedDenoisingAutoencoder } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { fitClassifier } from './fit-classifier';
import { evaluate } from '../metrics';
import { pretrainStack } from './pretrain-stack';

const all = barsAndStripes({ size: 4, count: 160, seed: 3, flipProbability: 0.05 });
const data = { train: sliceImageSet(all, 0, 96), validation: sliceImageSet(all, 96, 32), test: sliceImageSet(all, 128, 32) };

describeBackends(TEST_BACKENDS, 'fitClassifier', () => {
  it('fine-tunes a pretrained SdA to a low test error with flat memory', async () => {
    const sda = new StackedDenoisingAutoencoder({
      inputSize: 16,
      hiddenSizes: [12, 8],
      corruptionLevels: [0.1, 0.1],
      numClasses: 2,
      seed: 4,
    });
    await pretrainStack(sda, data.train, { epochs: 3, batchSize: 8, learningRate: 0.3 });
    const counts: number[] = [];
    const result = await fitClassifier(sda, data, {
      epochs: 30,
      batchSize: 8,
      learningRate: 0.5,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(result.history[0].validationError).toBeDefined();
    expect(result.testErrorAtBest).toBeLessThan(0.2);
    expect(new Set(counts).size).toBe(1);
    // The best weights are restored: the test error of the final model is the one measured at the best validation.
    expect((await evaluate(sda, data.test)).errorRate).toBeCloseTo(result.testErrorAtBest as number, 10);
    sda.dispose();
  });
});

describe('fitClassifier early stopping [cpu]', () => {
  it('stops when the iteration count reaches the patience, as the tutorial', async () => {
    // 12 batches per epoch, patience 30 iterations: validations after iterations 11 and 23 can
    // raise patience to at most 46, so the run stops within 4 epochs, mid-epoch at iteration 30 or 46.
    const mlp = new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 2 });
    const result = await fitClassifier(mlp, data, { epochs: 100, batchSize: 8, learningRate: 0.2, earlyStopping: { patience: 30 } });
    expect(result.stopReason).toBe('early-stopping');
    const last = result.history.at(-1);
    expect([31, 47]).toContain(last?.iterations);
    expect(last?.validationError).toBeUndefined();
    expect(result.bestValidationError).toBeLessThan(1);
    mlp.dispose();
  });

  it('resumes a fine-tuning run exactly, early-stopping state and best weights included', async () => {
    const checkpoints: Uint8Array[] = [];
    const options = { epochs: 4, batchSize: 8, learningRate: 0.3, order: 'shuffled' as const, seed: 2 };
    const full = new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 5 });
    const fullResult = await fitClassifier(full, data, {
      ...options,
      checkpoint: { write: async (bytes) => void checkpoints.push(bytes) },
    });
    const resumed = new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 5 });
    const resumedResult = await fitClassifier(resumed, data, { ...options, resume: checkpoints[1] });
    expect(resumedResult.history.map((log) => log.cost)).toEqual(fullResult.history.map((log) => log.cost));
    expect(resumedResult.bestValidationError).toBe(fullResult.bestValidationError);
    expect(Array.from(resumed.getVariable('layer0.W').dataSync())).toEqual(Array.from(full.getVariable('layer0.W').dataSync()));
    full.dispose();
    resumed.dispose();
  });

  it('refuses earlyStopping settings without a validation set', async () => {
    const mlp = new Mlp({ inputSize: 16, hiddenSizes: [4], numClasses: 2 });
    await expect(fitClassifier(mlp, { train: data.train }, { earlyStopping: { patience: 10 } })).rejects.toThrow(
      /earlyStopping needs data.validation/,
    );
    mlp.dispose();
  });
});

describe('fitClassifier evaluation [cpu]', () => {
  it('measures every set on the weights of epochs every, 2 every, ... and the last', async () => {
    const mlp = () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 5 });
    const common = { batchSize: 16, learningRate: 0.5, earlyStopping: false } as const;
    const model = mlp();
    const result = await fitClassifier(model, { train: data.train }, { ...common, epochs: 5, evaluation: { every: 2, sets: data } });
    expect(result.history.flatMap((log) => (log.evaluations === undefined ? [] : [log.epoch]))).toEqual([1, 3, 4]);
    expect(Object.keys(result.history[1].evaluations!)).toEqual(['train', 'validation', 'test']);
    const short = mlp();
    await fitClassifier(short, { train: data.train }, { ...common, epochs: 2 });
    for (const [name, set] of Object.entries(data)) {
      const { loss, accuracy } = await evaluate(short, set);
      expect(result.history[1].evaluations![name]).toEqual({ loss: expect.closeTo(loss, 6), accuracy });
      expect(result.history[4].evaluations![name]!.loss).toBeCloseTo((await evaluate(model, set)).loss, 6);
    }
    model.dispose();
    short.dispose();
  });
});
