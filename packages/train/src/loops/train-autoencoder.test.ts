import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { formatEpochLog, type EpochLog } from '../events';
import { DivergenceError } from '../errors';
import { autoencoderTraining, trainAutoencoder } from './train-autoencoder';

const set = barsAndStripes({ size: 4, count: 64, seed: 2 });
const daOptions = { visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 7 };

describeBackends(TEST_BACKENDS, 'trainAutoencoder', () => {
  it('lowers the mean epoch cost and logs it as the tutorial prints it', async () => {
    const da = new DenoisingAutoencoder(daOptions);
    const lines: string[] = [];
    const result = await trainAutoencoder(da, set, {
      epochs: 6,
      batchSize: 8,
      learningRate: 0.5,
      onEpochEnd: (log) => void lines.push(formatEpochLog(log)),
    });
    const costs = result.history.map((log) => log.cost);
    expect(result.stopReason).toBe('completed');
    expect(costs).toHaveLength(6);
    expect(costs[5]).toBeLessThan(0.85 * costs[0]);
    expect(lines[0]).toMatch(/^Training epoch 0, cost \d+\.\d+$/);
    expect(result.history[5].iterations).toBe(6 * 8);
    da.dispose();
  });

  it('keeps tf.memory().numTensors flat across epochs', async () => {
    const da = new DenoisingAutoencoder(daOptions);
    const counts: number[] = [];
    await trainAutoencoder(da, set, {
      epochs: 4,
      batchSize: 8,
      optimizer: 'adam',
      learningRate: 0.01,
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[3]);
    da.dispose();
  });

  it('repeats exactly for the same seed, with shuffled batches too', async () => {
    const run = async () => {
      const da = new DenoisingAutoencoder(daOptions);
      const { history } = await trainAutoencoder(da, set, { epochs: 2, batchSize: 8, order: 'shuffled', seed: 3 });
      da.dispose();
      return history.map((log) => log.cost);
    };
    expect(await run()).toEqual(await run());
  });
});

describe('trainAutoencoder checkpoints [cpu]', () => {
  it('resumes so that the next epoch cost equals the uninterrupted run', async () => {
    const checkpoints: Uint8Array[] = [];
    const options = {
      epochs: 4,
      batchSize: 8,
      order: 'shuffled' as const,
      seed: 5,
      optimizer: { name: 'momentum' as const, momentum: 0.9 },
      learningRate: 0.05,
    };
    const uninterrupted = new DenoisingAutoencoder(daOptions);
    const full = await trainAutoencoder(uninterrupted, set, {
      ...options,
      checkpoint: { write: async (bytes) => void checkpoints.push(bytes) },
    });
    expect(checkpoints).toHaveLength(4);
    const resumedModel = new DenoisingAutoencoder(daOptions);
    const resumed = await trainAutoencoder(resumedModel, set, { ...options, resume: checkpoints[1] });
    expect(resumed.history.map((log) => log.epoch)).toEqual([0, 1, 2, 3]);
    expect(resumed.history[2].cost).toBe(full.history[2].cost);
    expect(resumed.history[3].cost).toBe(full.history[3].cost);
    expect(Array.from(resumedModel.W.dataSync())).toEqual(Array.from(uninterrupted.W.dataSync()));
    uninterrupted.dispose();
    resumedModel.dispose();
  });

  it('refuses to resume a checkpoint of another configuration', async () => {
    const checkpoints: Uint8Array[] = [];
    const da = new DenoisingAutoencoder(daOptions);
    await trainAutoencoder(da, set, { epochs: 1, batchSize: 8, checkpoint: { write: async (bytes) => void checkpoints.push(bytes) } });
    const other = new DenoisingAutoencoder({ ...daOptions, hiddenSize: 9 });
    await expect(trainAutoencoder(other, set, { epochs: 2, batchSize: 8, resume: checkpoints[0] })).rejects.toThrow(
      /Build the model with the checkpoint's configuration/,
    );
    da.dispose();
    other.dispose();
  });
});

describe('trainAutoencoder control [cpu]', () => {
  // The native engine runs `stepsPerRun` steps at once: a signal stops it after the run that
  // holds the current batch (iterations 8-15 run together here: all of epoch 1).
  for (const [engine, lastIteration, epochsDone] of [
    ['tfjs', 10, 1],
    ['native', 15, 2],
  ] as const) {
    it(`stops cleanly after the current batch (${engine}) or its run when the signal aborts`, async () => {
      const da = new DenoisingAutoencoder(daOptions);
      const controller = new AbortController();
      const seen: number[] = [];
      const result = await trainAutoencoder(da, set, {
        epochs: 5,
        batchSize: 8,
        engine,
        stepsPerRun: 8,
        signal: controller.signal,
        onBatchEnd: (event) => {
          seen.push(event.iteration);
          if (event.iteration === 10) controller.abort();
        },
      });
      expect(result.stopReason).toBe('aborted');
      expect(seen).toEqual(Array.from({ length: lastIteration + 1 }, (_, iteration) => iteration));
      expect(result.history).toHaveLength(epochsDone);
      da.dispose();
    });
  }

  it('stops on a NaN cost naming the epoch and batch, keeping the weights of the epoch start', async () => {
    const da = new DenoisingAutoencoder(daOptions);
    await trainAutoencoder(da, set, { epochs: 1, batchSize: 8 });
    const good = Array.from(da.W.dataSync());
    const error = await trainAutoencoder(da, set, { epochs: 3, batchSize: 8, learningRate: 1e38 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).message).toMatch(
      /trainAutoencoder: the cost became (NaN|Infinity) at epoch 0, batch \d+; training diverged.*lower learning rate/,
    );
    expect(Array.from(da.W.dataSync())).toEqual(good);
    da.dispose();
  });

  it('streams events in order for UIs', async () => {
    const da = new DenoisingAutoencoder(daOptions);
    const types: string[] = [];
    let logs: EpochLog[] = [];
    for await (const event of autoencoderTraining(da, set, { epochs: 2, batchSize: 32 })) {
      types.push(event.type);
      if (event.type === 'train-end') logs = event.result.history;
    }
    expect(types).toEqual([
      'engine',
      'epoch-begin',
      'batch-end',
      'batch-end',
      'epoch-end',
      'epoch-begin',
      'batch-end',
      'batch-end',
      'epoch-end',
      'train-end',
    ]);
    expect(logs).toHaveLength(2);
    da.dispose();
  });

  it('refuses a NaN learning rate before training', async () => {
    const da = new DenoisingAutoencoder(daOptions);
    await expect(trainAutoencoder(da, set, { learningRate: Number.NaN })).rejects.toThrow(
      'trainAutoencoder: learningRate must be a finite number in (0, +inf); received NaN.',
    );
    da.dispose();
  });
});
