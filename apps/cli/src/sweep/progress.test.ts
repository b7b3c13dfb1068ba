import { describe, expect, it } from 'vitest';
import type { ProgressSnapshot } from '../run/progress';
import { SweepProgress, formatTrialProgress } from './progress';

const snapshot = (overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  unit: 'epoch',
  epoch: 0,
  epochs: 5,
  done: 2,
  total: 5,
  imagesPerSecond: 1000,
  loss: 88.1234,
  epochSeconds: 3,
  runSeconds: 12.4,
  ...overrides,
});

/** A sweep's progress printing into a string, on a terminal of `columns` or not, with a clock the test moves. */
function printer(terminal: boolean, columns = 200) {
  const printed = { text: '' };
  const clock = { now: 0 };
  const progress = new SweepProgress({ out: (text) => (printed.text += text), err: () => {}, isTTY: terminal, columns }, () => clock.now);
  return { progress, printed, clock };
}

describe('formatTrialProgress', () => {
  it('gives the epoch from 1, the share of it done, the running loss and the run’s ETA', () => {
    expect(formatTrialProgress(snapshot())).toBe('epoch 1/5 40% loss 88.12 ETA 12 s');
    expect(formatTrialProgress(snapshot({ layer: 1, epoch: 2 }))).toBe('layer 1 epoch 3/5 40% loss 88.12 ETA 12 s');
    expect(formatTrialProgress(snapshot({ unit: 'iteration', epochs: 1, done: 150, total: 3000, runSeconds: 65 }))).toBe(
      'iteration 150/3000 loss 88.12 ETA 1:05',
    );
  });
});

describe('SweepProgress', () => {
  it('prints a line per finished epoch of each trial when not on a terminal, and no status line', () => {
    const { progress, printed } = printer(false);
    progress.line('trial aaa (learning-rate=0.1): running on local 1');
    progress.start('aaa', 'learning-rate=0.1');
    progress.progress('aaa', { type: 'batch', snapshot: snapshot() });
    progress.progress('aaa', { type: 'epoch', line: 'Training epoch 0, cost 88.1', done: 1, total: 5 });
    progress.close();
    expect(printed.text).toBe(
      'trial aaa (learning-rate=0.1): running on local 1\ntrial aaa (learning-rate=0.1) [1/5]: Training epoch 0, cost 88.1\n',
    );
  });

  it('keeps one status line of the running trials on a terminal, redrawn at most every 200 ms, under the sweep’s lines', () => {
    const { progress, printed, clock } = printer(true);
    progress.start('aaa', 'lr=0.1');
    progress.start('bbb', 'lr=0.2');
    progress.progress('aaa', { type: 'batch', snapshot: snapshot() });
    expect(printed.text).toBe('\r\u001b[Klr=0.1: epoch 1/5 40% loss 88.12 ETA 12 s');
    clock.now = 100;
    progress.progress('bbb', { type: 'batch', snapshot: snapshot({ epoch: 1, done: 1, loss: 90 }) });
    // Too soon to redraw; an epoch's line is not printed on a terminal.
    progress.progress('aaa', { type: 'epoch', line: 'Training epoch 0, cost 88.1', done: 1, total: 5 });
    expect(printed.text).toBe('\r\u001b[Klr=0.1: epoch 1/5 40% loss 88.12 ETA 12 s');
    printed.text = '';
    clock.now = 250;
    progress.progress('aaa', { type: 'batch', snapshot: snapshot({ done: 4 }) });
    expect(printed.text).toBe('\r\u001b[Klr=0.1: epoch 1/5 80% loss 88.12 ETA 12 s | lr=0.2: epoch 2/5 20% loss 90 ETA 12 s');
    // A line of the sweep's own: the status line is cleared, the line printed, the status drawn again below it.
    printed.text = '';
    progress.end('aaa');
    progress.line('trial aaa (lr=0.1): done in 1.2 s');
    expect(printed.text).toBe('\r\u001b[Ktrial aaa (lr=0.1): done in 1.2 s\n\r\u001b[Klr=0.2: epoch 2/5 20% loss 90 ETA 12 s');
    printed.text = '';
    progress.close();
    expect(printed.text).toBe('\r\u001b[K');
  });

  it('cuts the status line to the terminal’s width', () => {
    const { progress, printed } = printer(true, 30);
    progress.start('aaa', 'learning-rate=0.1 hidden=500');
    progress.progress('aaa', { type: 'batch', snapshot: snapshot() });
    // 29 characters: the last column stays free, or the terminal would wrap the cursor to the next line.
    expect(printed.text).toBe('\r\u001b[Klearning-rate=0.1 hidden=500…');
  });
});
