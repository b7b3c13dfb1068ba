import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { barsAndStripes, imageSetFromBytes, type ImageSet } from '@sdae/datasets';
import { LogisticRegression, Mlp } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { formatEpochLog } from '../events';
import { evaluate } from '../metrics';
import { sampledTraining, trainSampled } from './train-sampled';

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

  it('checkpoints every `every` iterations and after the last, and a longer run continues from the last', async () => {
    const checkpoints: Uint8Array[] = [];
    const epochs: number[] = [];
    const options = { batchSize: 10, seed: 3 } as const;
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const events = sampledTraining(model, set, {
      ...options,
      iterations: 25,
      checkpoint: { every: 10, write: async (bytes) => void checkpoints.push(bytes) },
    });
    for await (const event of events) if (event.type === 'checkpoint') epochs.push(event.epoch);
    expect(epochs).toEqual([9, 19, 24]);
    const longer = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const full = await trainSampled(longer, set, { ...options, iterations: 30 });
    const extended = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const continued = await trainSampled(extended, set, { ...options, iterations: 30, resume: checkpoints[2] });
    expect(continued.history.map((log) => log.cost)).toEqual(full.history.map((log) => log.cost));
    for (const each of [model, longer, extended]) each.dispose();
  });

  it("resumes a checkpoint of a set made elsewhere on the loader's set of the same bytes, and refuses other bytes", async () => {
    // The set's pixels (0 and 1) as bytes: their loader-made set has the same pixels, fingerprinted from the bytes.
    const bytes = Uint8Array.from(set.images, (pixel) => pixel * 255);
    const fromBytes = (changed?: number): ImageSet => {
      const source = bytes.slice();
      if (changed !== undefined) source[changed] = 255 - source[changed];
      return imageSetFromBytes(source, set.labels, { start: 0, count: set.count, height: 4, width: 4, numClasses: 2 });
    };
    const checkpoints: Uint8Array[] = [];
    const options = { iterations: 20, batchSize: 10, seed: 3 } as const;
    const full = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const fullResult = await trainSampled(full, set, {
      ...options,
      checkpoint: { every: 10, write: async (written) => void checkpoints.push(written) },
    });
    const resumed = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const resumedResult = await trainSampled(resumed, fromBytes(), { ...options, resume: checkpoints[0] });
    expect(resumedResult.history.map((log) => log.cost)).toEqual(fullResult.history.map((log) => log.cost));
    const other = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const refused = await trainSampled(other, fromBytes(100), { ...options, resume: checkpoints[0] }).catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(
      /was written by a run with other settings: data "200 images of 4 x 4, crc32 [0-9a-f]{8}" in the checkpoint/,
    );
    for (const model of [full, resumed, other]) model.dispose();
  });
});

describe('trainSampled evaluation [cpu]', () => {
  const mlp = () => new Mlp({ inputSize: 16, hiddenSizes: [12], numClasses: 2, seed: 2 });
  const others = { train: set, test: barsAndStripes({ size: 4, count: 40, seed: 9 }) };

  it.each(['tfjs', 'native'] as const)(
    'measures every set on the weights of iterations every, 2 every, ... and the last (%s engine)',
    async (engine) => {
      // Four steps per native run: iteration 4 ends mid-run, so the loop must run the pending steps before measuring.
      const common = { batchSize: 10, seed: 4, learningRate: 0.3, engine, stepsPerRun: 4 } as const;
      const model = mlp();
      const result = await trainSampled(model, set, { ...common, iterations: 12, evaluation: { every: 5, sets: others } });
      const measured = result.history.flatMap((log) => (log.evaluations === undefined ? [] : [log.epoch]));
      expect(measured).toEqual([4, 9, 11]);
      // The same 5 sampled minibatches, then a plain evaluate: what the long run measured at iteration 4.
      const short = mlp();
      await trainSampled(short, set, { ...common, iterations: 5 });
      for (const [name, data] of Object.entries(others)) {
        const { loss, accuracy } = await evaluate(short, data);
        expect(result.history[4].evaluations![name]!.loss).toBeCloseTo(loss, 5);
        expect(result.history[4].evaluations![name]!.accuracy).toBe(accuracy);
        expect(result.history[11].evaluations![name]!.loss).toBeCloseTo((await evaluate(model, data)).loss, 5);
      }
      model.dispose();
      short.dispose();
    },
  );

  it.each([
    ['every 0', { every: 0, sets: { train: set } }, 'trainSampled: evaluation.every must be a whole number >= 1; received 0'],
    ['no sets', { sets: {} }, 'trainSampled: evaluation.sets must name at least one image set, e.g. { train, test }; received {}.'],
    ['an unknown key', { sets: { train: set }, often: true }, /unknown option 'often'/],
  ])('refuses an evaluation with %s', async (_case, evaluation, message) => {
    const model = mlp();
    await expect(trainSampled(model, set, { iterations: 2, evaluation: evaluation as never })).rejects.toThrow(message);
    model.dispose();
  });
});

describe('trainSampled gradientReduction [cpu]', () => {
  it.each(['tfjs', 'native'] as const)(
    "'sum' at learning rate r takes the steps of 'mean' at r times the batch size (%s engine)",
    async (engine) => {
      const common = { iterations: 6, batchSize: 10, seed: 2, engine, optimizer: 'momentum' } as const;
      const summed = new Mlp({ inputSize: 16, hiddenSizes: [5], numClasses: 2, seed: 3 });
      const averaged = new Mlp({ inputSize: 16, hiddenSizes: [5], numClasses: 2, seed: 3 });
      const summedRun = await trainSampled(summed, set, { ...common, learningRate: 0.02, gradientReduction: 'sum' });
      const averagedRun = await trainSampled(averaged, set, { ...common, learningRate: 0.2 });
      // The logged loss is the mean either way.
      expect(summedRun.history.map((log) => log.cost)).toEqual(averagedRun.history.map((log) => expect.closeTo(log.cost, 5)));
      const weights = averaged.getWeights();
      for (const [name, { values }] of summed.getWeights()) expectArraysClose(values, weights.get(name)!.values, 1e-5);
      summed.dispose();
      averaged.dispose();
    },
  );

  it('refuses an unknown reduction, naming the valid ones', async () => {
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    await expect(trainSampled(model, set, { iterations: 1, gradientReduction: 'total' as never })).rejects.toThrow(
      `trainSampled: gradientReduction must be one of 'mean', 'sum'; received "total".`,
    );
    model.dispose();
  });
});
