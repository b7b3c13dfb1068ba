import { describe, expect, it } from 'vitest';
import { ProgressTracker, epochPlan, formatDuration, formatProgress, iterationPlan, type ProgressSnapshot } from './progress';

const EPOCH: ProgressSnapshot = {
  unit: 'epoch',
  epoch: 2,
  epochs: 15,
  done: 1250,
  total: 2500,
  imagesPerSecond: 2310.4,
  loss: 71.23456,
  epochSeconds: 2.4,
  runSeconds: 41,
};

describe('formatProgress', () => {
  it('draws the epoch from 1, a bar, the count, the rate, the running loss and both ETAs', () => {
    expect(formatProgress(EPOCH)).toBe(
      'epoch 3/15 [###############...............] 1250/2500  2310 images/s  loss 71.23  ETA 2 s, run 41 s',
    );
  });

  it('names the layer of SdA pretraining', () => {
    expect(formatProgress({ ...EPOCH, layer: 1, epoch: 0, epochs: 2 }, 10)).toMatch(/^layer 1, epoch 1\/2 \[#####\.\.\.\.\.\] /);
  });

  it('says iteration (not epoch 0) for iteration runs, adds the accuracy, and gives one ETA when it is the run', () => {
    const line = formatProgress(
      {
        ...EPOCH,
        unit: 'iteration',
        epoch: 0,
        epochs: 1,
        done: 300,
        total: 3000,
        loss: 0.31234,
        accuracy: 0.9125,
        epochSeconds: 90,
        runSeconds: 90,
      },
      10,
    );
    expect(line).toBe('iteration [#.........] 300/3000  2310 images/s  loss 0.3123  accuracy 91.3 %  ETA 1:30');
  });
});

describe('formatDuration', () => {
  it('reads seconds, minutes and hours as people write them', () => {
    expect([0.4, 42, 59.6, 185, 3723].map(formatDuration)).toEqual(['0 s', '42 s', '1:00', '3:05', '1:02:03']);
  });
});

describe('ProgressTracker', () => {
  it('gives the rate, the epoch mean of the loss and the ETAs of the epoch and of the run from the times passed', () => {
    // 4 minibatches of 10 images an epoch, 3 epochs, one minibatch a second.
    const tracker = new ProgressTracker(epochPlan(4, 10, 3), 0);
    expect(tracker.batchEnd({ stage: 'train', epoch: 0, batch: 0, loss: 4 }, 1000)).toEqual({
      unit: 'epoch',
      epoch: 0,
      epochs: 3,
      done: 1,
      total: 4,
      imagesPerSecond: 10,
      loss: 4,
      epochSeconds: 3,
      runSeconds: 11,
    });
    expect(tracker.batchEnd({ stage: 'train', epoch: 0, batch: 1, loss: 2 }, 2000)).toMatchObject({
      loss: 3,
      epochSeconds: 2,
      runSeconds: 10,
    });
  });

  it('starts each epoch afresh: its time from the last minibatch before it, its mean loss from its own minibatches', () => {
    const tracker = new ProgressTracker(epochPlan(2, 10, 2), 0);
    tracker.batchEnd({ stage: 'train', epoch: 0, batch: 0, loss: 9 }, 1000);
    tracker.batchEnd({ stage: 'train', epoch: 0, batch: 1, loss: 9 }, 2000);
    // Validation took 3 s between the epochs: the first minibatch of epoch 1 took 4 s.
    expect(tracker.batchEnd({ stage: 'train', epoch: 1, batch: 0, loss: 1 }, 6000)).toMatchObject({
      epoch: 1,
      done: 1,
      imagesPerSecond: 2.5,
      loss: 1,
      epochSeconds: 4,
      runSeconds: 4,
    });
  });

  it('smooths the loss over iterations and carries the minibatch accuracy of iteration runs', () => {
    const tracker = new ProgressTracker(iterationPlan(100, 50), 0);
    tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 0, loss: 2 }, 100);
    tracker.epochEnd({ stage: 'sampled', epoch: 0, iterations: 1, cost: 2, accuracy: 0.5, seconds: 0.1 });
    const snapshot = tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 1, loss: 1 }, 200);
    expect(snapshot).toMatchObject({ unit: 'iteration', done: 2, total: 100, accuracy: 0.5, imagesPerSecond: 500 });
    expect(snapshot.loss).toBeCloseTo(2 - 0.02, 10);
    expect(snapshot.runSeconds).toBeCloseTo(9.8, 10);
  });
});
