import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchToTensors } from './batch-tensors';
import { epochBatches } from './batches';
import { barsAndStripes } from './synthetic';

describe('batchToTensors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const set = barsAndStripes({ size: 3, count: 6, seed: 1 });
  const batch = epochBatches(set, { batchSize: 4 }).next().value!;

  it('makes flat rows, one-hot targets and int32 labels with the batch values', () => {
    const { x, y, labels } = batchToTensors(batch);
    expect(x.shape).toEqual([4, 9]);
    expect(Array.from(x.dataSync())).toEqual(Array.from(set.images.subarray(0, 36)));
    expect(y.shape).toEqual([4, 2]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(batch.labels).flatMap((label) => (label === 0 ? [1, 0] : [0, 1])));
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync())).toEqual(Array.from(batch.labels));
    tf.dispose([x, y, labels]);
  });

  it('shapes images as NHWC for convolutions', () => {
    const tensors = batchToTensors(batch, { layout: 'image' });
    expect(tensors.x.shape).toEqual([4, 3, 3, 1]);
    tf.dispose(Object.values(tensors));
  });

  it('leaves no tensor behind once the caller disposes what it returned', () => {
    const before = tf.memory().numTensors;
    for (let round = 0; round < 5; round++) tf.dispose(Object.values(batchToTensors(batch)));
    expect(tf.memory().numTensors).toBe(before);
  });
});
