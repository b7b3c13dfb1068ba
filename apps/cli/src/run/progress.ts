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
  /** The epoch, from 0 as the log prints it, and the stage's epochs. */
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
  /** Seconds left in this epoch and in the whole run; NaN (shown `?`) until a few steps were timed. */
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
 * // "epoch 2 (3 of 15) [###############...............] 1250/2500  2310 images/s  loss 71.23  ETA 2 s, run 41 s"
 */
export function formatProgress(snapshot: ProgressSnapshot, width = 30): string {
  const { unit, layer, epoch, epochs, done, total } = snapshot;
  // The epoch as the log numbers it (from 0, as the tutorials print it), then how far through the stage.
  const what =
    unit === 'iteration' ? 'iteration' : `${layer === undefined ? '' : `layer ${layer}, `}epoch ${epoch} (${epoch + 1} of ${epochs})`;
  const filled = Math.min(width, Math.round((done / total) * width));
  const parts = [
    `${what} [${'#'.repeat(filled).padEnd(width, '.')}] ${done}/${total}`,
    `${Math.round(snapshot.imagesPerSecond)} images/s`,
    `loss ${Number(snapshot.loss.toPrecision(4))}`,
  ];
  if (snapshot.accuracy !== undefined) parts.push(`accuracy ${(100 * snapshot.accuracy).toFixed(1)} %`);
  const run = snapshot.runSeconds > snapshot.epochSeconds ? `, run ${formatDuration(snapshot.runSeconds)}` : '';
  // Until a few steps are timed the ETA is unknown (`ETA ?`), not a guess from the start-up.
  parts.push(`ETA ${formatDuration(snapshot.epochSeconds)}${run}`);
  return parts.join('  ');
}

/** The weight of the newest value in the moving averages of iteration runs (about the last 50). */
const SMOOTHING = 0.02;
/** The weight of the newest step's duration in the smoothed step time (about the last 20 steps). */
const RATE_SMOOTHING = 0.05;
/** Steps timed before an ETA is shown: the first ones carry start-up and compilation. */
const TIMED_STEPS_BEFORE_ETA = 3;

/**
 * Follows a run's minibatches and gives what the progress line shows. Times are passed in
 * (milliseconds), so tests can drive it without waiting. The rate and the ETAs come from a moving
 * average of the step times that leaves out each epoch's first step (it carries the start-up, the
 * compilation of a native step, or the validation between epochs), shown once a few steps are timed.
 */
export class ProgressTracker {
  readonly #plan: ProgressPlan;
  #position = '';
  #epochStarted: number;
  #lastBatch: number;
  #batches = 0;
  #loss = 0;
  #accuracy: number | undefined;
  /** The moving average of step times (seconds), not yet debiased, and how many steps it holds. */
  #stepAverage = 0;
  #timedSteps = 0;

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
    const firstOfEpoch = position !== this.#position;
    if (firstOfEpoch) {
      // A new epoch is timed from the end of the last minibatch before it.
      this.#position = position;
      this.#epochStarted = this.#lastBatch;
      this.#batches = 0;
      this.#loss = 0;
    } else {
      this.#timedSteps++;
      this.#stepAverage += RATE_SMOOTHING * ((now - this.#lastBatch) / 1000 - this.#stepAverage);
    }
    this.#lastBatch = now;
    this.#batches++;
    this.#loss =
      plan.unit === 'iteration' && this.#batches > 1
        ? this.#loss + SMOOTHING * (event.loss - this.#loss)
        : this.#loss + (event.loss - this.#loss) / this.#batches;
    const smoothed = this.#timedSteps === 0 ? Number.NaN : this.#stepAverage / (1 - (1 - RATE_SMOOTHING) ** this.#timedSteps);
    const secondsPerBatch = Number.isNaN(smoothed) ? (now - this.#epochStarted) / 1000 / this.#batches : smoothed;
    const known = this.#timedSteps >= TIMED_STEPS_BEFORE_ETA;
    const total = plan.batchesPerEpoch;
    const done = Math.min(total, event.batch + 1);
    const epochSeconds = known ? (total - done) * secondsPerBatch : Number.NaN;
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
      runSeconds: known ? epochSeconds + plan.epochsAfter(event) * total * secondsPerBatch : Number.NaN,
    };
  }

  /** Takes an epoch's log: the minibatch accuracy of iteration runs joins the line. */
  epochEnd(log: EpochLog): void {
    if (log.accuracy === undefined) return;
    this.#accuracy = this.#accuracy === undefined ? log.accuracy : this.#accuracy + SMOOTHING * (log.accuracy - this.#accuracy);
  }
}

/** A number as Keras prints a metric: four decimals, or four significant digits in exponent form below 1e-3. */
export function formatMetric(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential(4) : value.toFixed(4);
}

/** The time of one step as Keras prints it: `2s/step`, `41ms/step`, `870us/step`. */
export function formatStepTime(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

/** The metrics of an epoch's closing line, in Keras' names: the loss, then accuracy, validation and test figures. */
export function epochMetrics(log: EpochLog): Array<[string, number]> {
  const metrics: Array<[string, number]> = [['loss', log.cost]];
  if (log.accuracy !== undefined) metrics.push(['accuracy', log.accuracy]);
  for (const [name, evaluation] of Object.entries(log.evaluations ?? {}))
    metrics.push([`${name}_loss`, evaluation.loss], [`${name}_accuracy`, evaluation.accuracy]);
  if (log.validationError !== undefined) metrics.push(['val_error', log.validationError]);
  if (log.testError !== undefined) metrics.push(['test_error', log.testError]);
  if (log.learningRate !== undefined) metrics.push(['learning_rate', log.learningRate]);
  return metrics;
}

/**
 * Keras' closing line of an epoch, printed under the tutorial's own line: the steps, the epoch's
 * seconds, the time per step, the loss and the metrics.
 *
 * @example formatEpochClosing(2500, 3.2, [['loss', 81.2]]); // "2500/2500 - 3s 1ms/step - loss: 81.2000"
 */
export function formatEpochClosing(steps: number, seconds: number, metrics: ReadonlyArray<readonly [string, number]>): string {
  const perStep = steps > 0 ? ` ${formatStepTime(seconds / steps)}` : '';
  return [
    `${steps}/${steps} - ${Math.round(seconds)}s${perStep}`,
    ...metrics.map(([name, value]) => `${name}: ${formatMetric(value)}`),
  ].join(' - ');
}

/**
 * The epochs and seconds each closing line covers: its epoch and those that printed no line since
 * the last of the same run, stage and layer (a sampled run's "epochs" are its iterations, and it
 * prints every 100th; after a resume, the first line covers only this process's iterations).
 */
export class ClosingSeconds {
  readonly #unprinted = new Map<string, { epochs: number; seconds: number }>();

  /** An epoch that gets no line: it joins the next line's. */
  skip(log: EpochLog, run = ''): void {
    const key = epochKey(log, run);
    const { epochs, seconds } = this.#unprinted.get(key) ?? { epochs: 0, seconds: 0 };
    this.#unprinted.set(key, { epochs: epochs + 1, seconds: seconds + log.seconds });
  }

  /** The epochs and seconds of the line that closes `log`. */
  of(log: EpochLog, run = ''): { epochs: number; seconds: number } {
    const key = epochKey(log, run);
    const { epochs, seconds } = this.#unprinted.get(key) ?? { epochs: 0, seconds: 0 };
    this.#unprinted.delete(key);
    return { epochs: epochs + 1, seconds: seconds + log.seconds };
  }
}

const epochKey = (log: EpochLog, run: string) => `${run}/${log.stage}/${log.layer ?? ''}`;

/**
 * The steps of each epoch from the logs' running `iterations` counts: the difference from the
 * stage's previous log; for the first log seen of a stage, its count spread over the epochs so
 * far (a resumed run's first epoch), or the whole count for sampled runs.
 */
export class EpochSteps {
  readonly #last = new Map<string, number>();

  /** The steps of the epoch `log` closes; `run` tells apart the runs of a comparison. */
  of(log: EpochLog, run = ''): number {
    const key = epochKey(log, run);
    const previous = this.#last.get(key);
    this.#last.set(key, log.iterations);
    if (previous !== undefined) return log.iterations - previous;
    return log.stage === 'sampled' ? log.iterations : Math.round(log.iterations / (log.epoch + 1));
  }
}
