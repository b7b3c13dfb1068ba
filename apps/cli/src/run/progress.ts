import type { EpochLog } from '@sdae/train';

/** Where a minibatch falls in a run: its loop's stage, layer (SdA pretraining) and epoch. */
export interface RunPosition {
  stage: string;
  layer?: number;
  epoch: number;
}

/** What a training loop reports after each minibatch (its `batch-end` event). */
export interface BatchEnd extends RunPosition {
  /** The minibatch within the epoch, from 0 (the iteration, for iteration runs). */
  batch: number;
  loss: number;
}

/** How a command's run is laid out, for the progress line's counts and ETAs. */
export interface ProgressPlan {
  /** `'iteration'` for runs of random minibatches (no epochs), `'epoch'` otherwise. */
  unit: 'epoch' | 'iteration';
  /** Minibatches in an epoch; for an iteration run, every iteration. */
  batchesPerEpoch: number;
  /** Images in a minibatch, for the rate. */
  batchSize: number;
  /** Epochs of the stage `position` is in (the "15" of "epoch 3/15"). */
  epochsOf: (position: RunPosition) => number;
  /** Whole epochs of the run left after `position`'s epoch, later stages included. */
  epochsAfter: (position: RunPosition) => number;
  /** Which epoch logs are printed. @default every one */
  logsEpoch?: (log: EpochLog) => boolean;
}

/** The plan of a run of `epochs` epochs of `batchesPerEpoch` minibatches of `batchSize` images, in one stage. */
export function epochPlan(batchesPerEpoch: number, batchSize: number, epochs: number): ProgressPlan {
  return { unit: 'epoch', batchesPerEpoch, batchSize, epochsOf: () => epochs, epochsAfter: ({ epoch }) => Math.max(0, epochs - epoch - 1) };
}

/** The plan of a run of `iterations` random minibatches of `batchSize` images. */
export function iterationPlan(iterations: number, batchSize: number, logsEpoch?: (log: EpochLog) => boolean): ProgressPlan {
  return { unit: 'iteration', batchesPerEpoch: iterations, batchSize, epochsOf: () => 1, epochsAfter: () => 0, logsEpoch };
}

/** What the progress line shows. */
export interface ProgressSnapshot {
  unit: 'epoch' | 'iteration';
  /** The SdA layer being pretrained, shown before the epoch. */
  layer?: number;
  /** The epoch, from 0 (shown from 1, as Keras does), and the stage's epochs. */
  epoch: number;
  epochs: number;
  /** Minibatches (iterations) done in this epoch (run) and in all of it. */
  done: number;
  total: number;
  imagesPerSecond: number;
  /** The running loss: the epoch's mean so far, or a moving average over iterations. */
  loss: number;
  /** The running minibatch accuracy (0-1), where the loop measures one. */
  accuracy?: number;
  /** Seconds left in this epoch and in the whole run. */
  epochSeconds: number;
  runSeconds: number;
}

/** A duration as a person reads it: `42 s`, `3:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(Math.max(0, seconds));
  if (whole < 60) return `${whole} s`;
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(rest)}` : `${minutes}:${pad(rest)}`;
}

/**
 * The progress line, as Keras draws it: what runs, a bar, the count, images per second, the
 * running loss (and accuracy), the ETA of the epoch and of the run.
 *
 * @example formatProgress({ unit: 'epoch', epoch: 2, epochs: 15, done: 1250, total: 2500, imagesPerSecond: 2310, loss: 71.234, epochSeconds: 2, runSeconds: 41 })
 * // "epoch 3/15 [###############...............] 1250/2500  2310 images/s  loss 71.23  ETA 2 s, run 41 s"
 */
export function formatProgress(snapshot: ProgressSnapshot, width = 30): string {
  const { unit, layer, epoch, epochs, done, total } = snapshot;
  const what = unit === 'iteration' ? 'iteration' : `${layer === undefined ? '' : `layer ${layer}, `}epoch ${epoch + 1}/${epochs}`;
  const filled = Math.min(width, Math.round((done / total) * width));
  const parts = [
    `${what} [${'#'.repeat(filled).padEnd(width, '.')}] ${done}/${total}`,
    `${Math.round(snapshot.imagesPerSecond)} images/s`,
    `loss ${Number(snapshot.loss.toPrecision(4))}`,
  ];
  if (snapshot.accuracy !== undefined) parts.push(`accuracy ${(100 * snapshot.accuracy).toFixed(1)} %`);
  const run = snapshot.runSeconds > snapshot.epochSeconds ? `, run ${formatDuration(snapshot.runSeconds)}` : '';
  parts.push(`ETA ${formatDuration(snapshot.epochSeconds)}${run}`);
  return parts.join('  ');
}

/** The weight of the newest value in the moving averages of iteration runs (about the last 50). */
const SMOOTHING = 0.02;

/**
 * Follows a run's minibatches and gives what the progress line shows. Times are passed in
 * (milliseconds), so tests can drive it without waiting.
 */
export class ProgressTracker {
  readonly #plan: ProgressPlan;
  #position = '';
  #epochStarted: number;
  #lastBatch: number;
  #batches = 0;
  #loss = 0;
  #accuracy: number | undefined;

  /** @param started when the run started, in milliseconds (`performance.now()`). */
  constructor(plan: ProgressPlan, started: number) {
    this.#plan = plan;
    this.#epochStarted = started;
    this.#lastBatch = started;
  }

  /** Takes a minibatch's end at time `now` and returns the progress then. */
  batchEnd(event: BatchEnd, now: number): ProgressSnapshot {
    const plan = this.#plan;
    const position = `${event.stage}/${event.layer ?? ''}/${event.epoch}`;
    if (position !== this.#position) {
      // A new epoch is timed from the end of the last minibatch before it.
      this.#position = position;
      this.#epochStarted = this.#lastBatch;
      this.#batches = 0;
      this.#loss = 0;
    }
    this.#lastBatch = now;
    this.#batches++;
    this.#loss =
      plan.unit === 'iteration' && this.#batches > 1
        ? this.#loss + SMOOTHING * (event.loss - this.#loss)
        : this.#loss + (event.loss - this.#loss) / this.#batches;
    const secondsPerBatch = (now - this.#epochStarted) / 1000 / this.#batches;
    const total = plan.batchesPerEpoch;
    const done = Math.min(total, event.batch + 1);
    const epochSeconds = (total - done) * secondsPerBatch;
    return {
      unit: plan.unit,
      ...(event.layer === undefined || event.stage !== 'pretrain' ? {} : { layer: event.layer }),
      epoch: event.epoch,
      epochs: plan.epochsOf(event),
      done,
      total,
      imagesPerSecond: secondsPerBatch > 0 ? plan.batchSize / secondsPerBatch : 0,
      loss: this.#loss,
      ...(this.#accuracy === undefined ? {} : { accuracy: this.#accuracy }),
      epochSeconds,
      runSeconds: epochSeconds + plan.epochsAfter(event) * total * secondsPerBatch,
    };
  }

  /** Takes an epoch's log: the minibatch accuracy of iteration runs joins the line. */
  epochEnd(log: EpochLog): void {
    if (log.accuracy === undefined) return;
    this.#accuracy = this.#accuracy === undefined ? log.accuracy : this.#accuracy + SMOOTHING * (log.accuracy - this.#accuracy);
  }
}
