import { describe, expect, it } from 'vitest';
import {
  ClosingSeconds,
  EpochSteps,
  ProgressTracker,
  epochMetrics,
  epochPlan,
  formatDuration,
  formatEpochClosing,
  formatProgress,
  iterationPlan,
  type ProgressSnapshot,
} from './progress';

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
  it('numbers the epoch as the log does (from 0) with how far through the stage, a bar, the count, the rate, the running loss and both ETAs', () => {
    expect(formatProgress(EPOCH)).toBe(
      'epoch 2 (3 of 15) [###############...............] 1250/2500  2310 images/s  loss 71.23  ETA 2 s, run 41 s',
    );
  });

  it('names the layer of SdA pretraining', () => {
    expect(formatProgress({ ...EPOCH, layer: 1, epoch: 0, epochs: 2 }, 10)).toMatch(/^layer 1, epoch 0 \(1 of 2\) \[#####\.\.\.\.\.\] /);
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
  it('gives no ETA until three steps after the first were timed, then the run ETA from the smoothed step time', () => {
    // 4 minibatches of 10 images an epoch, 3 epochs; the first step took 5 s (start-up), the rest 1 s each.
    const tracker = new ProgressTracker(epochPlan(4, 10, 3), 0);
    const first = tracker.batchEnd({ stage: 'train', epoch: 0, batch: 0, loss: 4 }, 5000);
    expect(first).toMatchObject({ unit: 'epoch', epoch: 0, epochs: 3, done: 1, total: 4, imagesPerSecond: expect.closeTo(2, 9), loss: 4 });
    expect([first.epochSeconds, first.runSeconds]).toEqual([Number.NaN, Number.NaN]);
    expect(formatProgress(first)).toMatch(/ETA \?$/);
    tracker.batchEnd({ stage: 'train', epoch: 0, batch: 1, loss: 2 }, 6000);
    tracker.batchEnd({ stage: 'train', epoch: 0, batch: 2, loss: 3 }, 7000);
    const fourth = tracker.batchEnd({ stage: 'train', epoch: 0, batch: 3, loss: 3 }, 8000);
    // Three timed steps of 1 s (the 5 s start-up left out): 1 s a step, 10 images/s; 0 left in this epoch, 2 x 4 after it.
    expect(fourth).toMatchObject({
      done: 4,
      loss: 3,
      imagesPerSecond: expect.closeTo(10, 9),
      epochSeconds: expect.closeTo(0, 9),
      runSeconds: expect.closeTo(8, 9),
    });
    expect(formatProgress(fourth)).toMatch(/ETA 0 s, run 8 s$/);
  });

  it("leaves each epoch's first step (validation between epochs) out of the rate, and starts the epoch's mean loss afresh", () => {
    const tracker = new ProgressTracker(epochPlan(2, 10, 2), 0);
    for (const [batch, time] of [
      [0, 1000],
      [1, 2000],
    ] as const)
      tracker.batchEnd({ stage: 'train', epoch: 0, batch, loss: 9 }, time);
    // Validation took 3 s between the epochs: the first minibatch of epoch 1 ends 4 s later, the second 1 s after it.
    expect(tracker.batchEnd({ stage: 'train', epoch: 1, batch: 0, loss: 1 }, 6000)).toMatchObject({
      epoch: 1,
      done: 1,
      loss: 1,
      imagesPerSecond: expect.closeTo(10, 9),
    });
    expect(tracker.batchEnd({ stage: 'train', epoch: 1, batch: 1, loss: 3 }, 7000)).toMatchObject({
      loss: 2,
      imagesPerSecond: expect.closeTo(10, 9),
    });
  });

  it('smooths the step time: a slower step moves the rate by a twentieth of the difference', () => {
    const tracker = new ProgressTracker(iterationPlan(100, 10), 0);
    let snapshot = tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 0, loss: 1 }, 1000);
    for (let batch = 1; batch <= 40; batch++)
      snapshot = tracker.batchEnd({ stage: 'sampled', epoch: 0, batch, loss: 1 }, 1000 + batch * 100);
    expect(snapshot.imagesPerSecond).toBeCloseTo(100, 8);
    // One step of 1.1 s: the debiased average of 0.1 s steps becomes about 0.1 + (1.1 - 0.1) / 20 / (1 - 0.95^41) = 0.1571 s.
    snapshot = tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 41, loss: 1 }, 1000 + 40 * 100 + 1100);
    expect(10 / snapshot.imagesPerSecond).toBeCloseTo(0.1 + (1.0 * 0.05) / (1 - 0.95 ** 41), 8);
  });

  it('smooths the loss over iterations and carries the minibatch accuracy of iteration runs', () => {
    const tracker = new ProgressTracker(iterationPlan(100, 50), 0);
    tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 0, loss: 2 }, 100);
    tracker.epochEnd({ stage: 'sampled', epoch: 0, iterations: 1, cost: 2, accuracy: 0.5, seconds: 0.1 });
    const snapshot = tracker.batchEnd({ stage: 'sampled', epoch: 0, batch: 1, loss: 1 }, 200);
    expect(snapshot).toMatchObject({ unit: 'iteration', done: 2, total: 100, accuracy: 0.5, imagesPerSecond: expect.closeTo(500, 9) });
    expect(snapshot.loss).toBeCloseTo(2 - 0.02, 10);
  });
});

describe('formatEpochClosing', () => {
  it("prints Keras' closing line: steps, seconds, time per step, loss and metrics", () => {
    expect(formatEpochClosing(2500, 3.2, [['loss', 81.2]])).toBe('2500/2500 - 3s 1ms/step - loss: 81.2000');
    expect(
      formatEpochClosing(50, 0.04, [
        ['loss', 0.31234],
        ['val_error', 0.0312],
        ['learning_rate', 0.0001],
      ]),
    ).toBe('50/50 - 0s 800us/step - loss: 0.3123 - val_error: 0.0312 - learning_rate: 1.0000e-4');
    expect(formatEpochClosing(3, 6, [['loss', 1]])).toBe('3/3 - 6s 2s/step - loss: 1.0000');
  });

  it('names the metrics of an epoch log as Keras does', () => {
    const log = {
      stage: 'finetune',
      epoch: 0,
      iterations: 10,
      cost: 0.5,
      validationError: 0.1,
      testError: 0.12,
      evaluations: { val: { loss: 0.4, accuracy: 0.9 } },
      seconds: 1,
    };
    expect(epochMetrics(log)).toEqual([
      ['loss', 0.5],
      ['val_loss', 0.4],
      ['val_accuracy', 0.9],
      ['val_error', 0.1],
      ['test_error', 0.12],
    ]);
  });
});

describe('ClosingSeconds', () => {
  it('gives a line the epochs and seconds of those that printed none since the last line of its run and stage', () => {
    const closing = new ClosingSeconds();
    const log = (stage: string, epoch: number, seconds: number) => ({ stage, epoch, iterations: epoch + 1, cost: 1, seconds });
    // A sampled run: iterations 0-98 print nothing, 99 closes a line of 100 iterations of 0.01 s each.
    for (let iteration = 0; iteration < 99; iteration++) closing.skip(log('sampled', iteration, 0.01));
    closing.skip(log('sampled', 0, 5), 'other run');
    const first = closing.of(log('sampled', 99, 0.01));
    expect(first.epochs).toBe(100);
    expect(first.seconds).toBeCloseTo(1, 10);
    // Resumed at iteration 1234: the first line (iteration 1299) covers this process's 66 iterations.
    for (let iteration = 1234; iteration < 1299; iteration++) closing.skip(log('sampled', iteration, 0.02));
    const resumed = closing.of(log('sampled', 1299, 0.02));
    expect(formatEpochClosing(resumed.epochs, resumed.seconds, [])).toBe('66/66 - 1s 20ms/step');
    expect(closing.of(log('sampled', 0, 1), 'other run')).toEqual({ epochs: 2, seconds: 6 });
    // Epochs that each print a line keep their own seconds.
    expect([closing.of(log('finetune', 0, 2.5)), closing.of(log('finetune', 1, 3))]).toEqual([
      { epochs: 1, seconds: 2.5 },
      { epochs: 1, seconds: 3 },
    ]);
  });
});

describe('EpochSteps', () => {
  it("counts each epoch's steps from the running iterations, per stage and layer", () => {
    const steps = new EpochSteps();
    const log = (stage: string, epoch: number, iterations: number, layer?: number) => ({
      stage,
      epoch,
      iterations,
      cost: 1,
      seconds: 1,
      ...(layer === undefined ? {} : { layer }),
    });
    expect([steps.of(log('pretrain', 0, 50, 0)), steps.of(log('pretrain', 1, 100, 0)), steps.of(log('pretrain', 0, 50, 1))]).toEqual([
      50, 50, 50,
    ]);
    // A resumed run's first log: epoch 2 after 150 iterations is 50 a step.
    expect(steps.of(log('finetune', 2, 150))).toBe(50);
    expect(steps.of(log('finetune', 2, 150), 'other run')).toBe(50);
  });
});
