import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { barsAndStripes } from '@sdae/datasets';
import { StackedDenoisingAutoencoder } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { formatEpochLog } from '../events';
import { pretrainStack } from './pretrain-stack';

const set = barsAndStripes({ size: 4, count: 64, seed: 2 });
const sdaOptions = { inputSize: 16, hiddenSizes: [10, 6], corruptionLevels: [0.1, 0.2], numClasses: 2, seed: 1 };

describeBackends(TEST_BACKENDS, 'pretrainStack', () => {
  it('trains each layer in turn on the clean output of the layers below, lowering each cost', async () => {
    const sda = new StackedDenoisingAutoencoder(sdaOptions);
    const firstBefore = Array.from(sda.getVariable('layer1.W').dataSync());
    const lines: string[] = [];
    const counts: number[] = [];
    const result = await pretrainStack(sda, set, {
      epochs: 5,
      batchSize: 8,
      learningRate: 0.3,
      onEpochEnd: (log) => {
        lines.push(formatEpochLog(log));
        counts.push(tf.memory().numTensors);
      },
    });
    expect(result.history.map((log) => [log.layer, log.epoch])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    for (const layer of [0, 1]) {
      const costs = result.history.filter((log) => log.layer === layer).map((log) => log.cost);
      expect(costs[4]).toBeLessThan(costs[0]);
    }
    expect(lines[5]).toMatch(/^Pre-training layer 1, epoch 0, cost \d/);
    expect(Array.from(sda.getVariable('layer1.W').dataSync())).not.toEqual(firstBefore);
    expect(new Set(counts).size).toBe(1);
    sda.dispose();
  });
});

describe('pretrainStack resume [cpu]', () => {
  it('continues in the middle of the second layer exactly', async () => {
    const checkpoints: Uint8Array[] = [];
    const options = { epochs: 3, batchSize: 8, learningRate: 0.3, order: 'shuffled' as const, seed: 9 };
    const full = new StackedDenoisingAutoencoder(sdaOptions);
    const fullResult = await pretrainStack(full, set, { ...options, checkpoint: { write: async (bytes) => void checkpoints.push(bytes) } });
    expect(checkpoints).toHaveLength(6);
    const resumed = new StackedDenoisingAutoencoder(sdaOptions);
    const resumedResult = await pretrainStack(resumed, set, { ...options, resume: checkpoints[3] }); // after layer 1, epoch 0
    expect(resumedResult.history).toHaveLength(6);
    expect(resumedResult.history[4].cost).toBe(fullResult.history[4].cost);
    expect(resumedResult.history[5].cost).toBe(fullResult.history[5].cost);
    full.dispose();
    resumed.dispose();
  });
});
