import type { EngineReport } from './engine/engine-options';

/** The record of one epoch (or, for sampled training, one iteration), as plain JSON. */
export interface EpochLog {
  /** What was trained: `'train'`, `'pretrain'`, `'finetune'` or `'sampled'`. */
  stage: string;
  /** The hidden layer being pretrained (`'pretrain'` only). */
  layer?: number;
  /** The epoch number, from 0 as the tutorial prints it (the iteration for `'sampled'`). */
  epoch: number;
  /** Minibatch iterations completed in this stage so far. */
  iterations: number;
  /** The mean training cost over the epoch's minibatches. */
  cost: number;
  /** The learning rate of the epoch's steps (its schedule's, see `learningRateSchedule`). */
  learningRate?: number;
  /** Training accuracy on the minibatch (`'sampled'` only). */
  accuracy?: number;
  /** Validation error rate after this epoch, when validated. */
  validationError?: number;
  /** Test error rate, measured when the validation error is a new best. */
  testError?: number;
  /** The loss and accuracy on each set of the loop's `evaluation` option, by name, when measured after this epoch (iteration). */
  evaluations?: Record<string, SetEvaluation>;
  /** Wall time of the epoch in seconds. */
  seconds: number;
}

/** A classifier's loss (its output's, as `Classifier.loss`) and accuracy on a whole set. */
export interface SetEvaluation {
  loss: number;
  accuracy: number;
}

/** Why training ended. */
export type StopReason = 'completed' | 'early-stopping' | 'aborted';

/** The outcome of a training run. */
export interface TrainingResult {
  stopReason: StopReason;
  /** Every epoch's log, resumed runs included. */
  history: EpochLog[];
  /** Best validation error and the test error measured then (supervised loops). */
  bestValidationError?: number;
  testErrorAtBest?: number;
  /** Iteration of the best validation error. */
  bestIteration?: number;
  /** Total wall time of this call, in seconds. */
  seconds: number;
}

/** What a loop reports, in order, to hooks and to `for await` consumers. */
export type TrainingEvent =
  | ({ type: 'engine'; stage: string; layer?: number } & EngineReport)
  | { type: 'epoch-begin'; stage: string; layer?: number; epoch: number }
  | { type: 'batch-end'; stage: string; layer?: number; epoch: number; batch: number; iteration: number; loss: number }
  | { type: 'epoch-end'; log: EpochLog }
  | { type: 'checkpoint'; stage: string; epoch: number; bytes: number }
  | { type: 'train-end'; result: TrainingResult };

/** Callbacks in the shape Keras users know; each may be async and is awaited. */
export interface TrainingHooks {
  /** Which engine runs the steps and why (at the start, and if it changes). */
  onEngine?: (report: EngineReport) => void | Promise<void>;
  onEpochBegin?: (event: Extract<TrainingEvent, { type: 'epoch-begin' }>) => void | Promise<void>;
  onBatchEnd?: (event: Extract<TrainingEvent, { type: 'batch-end' }>) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  onTrainEnd?: (result: TrainingResult) => void | Promise<void>;
}

/**
 * Formats an epoch log as the tutorials print it: "Training epoch 3, cost 71.2" for a dA,
 * "Pre-training layer 0, epoch 3, cost 71.2" for an SdA, and the validation and test errors of
 * supervised epochs.
 */
export function formatEpochLog(log: EpochLog): string {
  const cost = Number(log.cost.toPrecision(6));
  if (log.stage === 'pretrain') return `Pre-training layer ${log.layer}, epoch ${log.epoch}, cost ${cost}`;
  if (log.stage === 'train') return `Training epoch ${log.epoch}, cost ${cost}`;
  if (log.stage === 'sampled') {
    return `iteration ${log.epoch}, loss ${cost}${log.accuracy === undefined ? '' : `, accuracy ${(100 * log.accuracy).toFixed(1)} %`}`;
  }
  const parts = [`epoch ${log.epoch}, cost ${cost}`];
  if (log.validationError !== undefined) parts.push(`validation error ${(100 * log.validationError).toFixed(2)} %`);
  if (log.testError !== undefined) parts.push(`test error of best model ${(100 * log.testError).toFixed(2)} %`);
  return parts.join(', ');
}

/**
 * Drives a training generator to its end, calling the hooks for each event, and returns the result.
 */
export async function runWithHooks(
  events: AsyncGenerator<TrainingEvent, TrainingResult>,
  hooks: TrainingHooks = {},
): Promise<TrainingResult> {
  for (;;) {
    const next = await events.next();
    if (next.done === true) return next.value;
    const event = next.value;
    if (event.type === 'engine') {
      const report: EngineReport = { engine: event.engine, description: event.description, reason: event.reason };
      if (event.device !== undefined) report.device = event.device;
      if (event.adapter !== undefined) report.adapter = event.adapter;
      if (event.rule !== undefined) report.rule = event.rule;
      if (event.deviceReason !== undefined) report.deviceReason = event.deviceReason;
      if (event.stepsPerRun !== undefined) report.stepsPerRun = event.stepsPerRun;
      await hooks.onEngine?.(report);
    } else if (event.type === 'epoch-begin') await hooks.onEpochBegin?.(event);
    else if (event.type === 'batch-end') await hooks.onBatchEnd?.(event);
    else if (event.type === 'epoch-end') await hooks.onEpochEnd?.(event.log);
    else if (event.type === 'train-end') await hooks.onTrainEnd?.(event.result);
  }
}
