import { claimTraining } from './exclusive-training';
import type { KnownKeys } from '@sdae/core';
import { InvalidArgumentError, requireBoolean } from '@sdae/core';
import { batchCount, type ImageSet } from '@sdae/datasets';
import type { BundleTensor, Classifier } from '@sdae/layers';
import { restoreCheckpoint, type LoopState, type SettingValue } from '../checkpoint/checkpoint';
import { EarlyStopping, type EarlyStoppingOptions } from './early-stopping';
import { runWithHooks, type EpochLog, type StopReason, type TrainingEvent, type TrainingHooks, type TrainingResult } from '../events';
import {
  dataFingerprint,
  loopSettings,
  requireClassifierSet,
  requireEpochs,
  resolveCommonOptions,
  type CommonTrainingOptions,
} from './loop-options';
import { checkpointIfDue, once, restoreWeights, scheduleEpoch, snapshotWeights, writeCheckpoint } from './loop-step';
import { midEpochState, runEpoch, type EpochRun } from './run-steps';
import { evaluate, evaluateSets, evaluationDue, resolveEvaluation, type EvaluationOptions } from '../metrics';
import { DEFAULT_LEARNING_RATE, Optimizer } from '../optim/optimizers';
import { classifierBatch } from '../engine/step-batch';
import { classifierStepSpec, createStepRunner, type StepRunner } from '../engine/step-engine';

/** The sets of supervised training: validation drives early stopping, test is measured at each new best. */
export interface ClassifierData {
  train: ImageSet;
  validation?: ImageSet;
  test?: ImageSet;
}

/** The defaults of {@link fitClassifier}: the SdA tutorial's fine-tuning epochs and rate, the dA tutorial's batch. */
const DEFAULTS = { epochs: 1000, batchSize: 20, learningRate: DEFAULT_LEARNING_RATE } as const;

/** Options of {@link fitClassifier}. */
export interface FitClassifierOptions extends CommonTrainingOptions {
  /** The most epochs to run. @default 1000 (the SdA tutorial's fine-tuning) */
  epochs?: number;
  /** Minibatch size. @default 20 */
  batchSize?: number;
  /** The learning rate; overrides the optimiser's. @default 0.1 (the SdA tutorial's fine-tuning) */
  learningRate?: number;
  /** The tutorial's patience rule (needs a validation set), its settings, or `false` to run every epoch. @default true */
  earlyStopping?: boolean | EarlyStoppingOptions;
  /** At the end, put back the weights of the best validation error. @default true */
  restoreBestWeights?: boolean;
  /** Sets whose loss and accuracy are measured every `every` epochs (and after the last), into the logs' `evaluations`. @default none */
  evaluation?: EvaluationOptions;
}

const OPTION_KEYS: KnownKeys<Omit<FitClassifierOptions, keyof CommonTrainingOptions>> = {
  epochs: true,
  earlyStopping: true,
  restoreBestWeights: true,
  evaluation: true,
};

/**
 * Supervised minibatch training of a classifier (fine-tuning an SdA, an MLP, a CNN) with the
 * Theano tutorials' early stopping: validate once per epoch; on a new best validation error,
 * measure the test error; stop when the iteration count reaches the patience. As a stream of
 * events; see {@link fitClassifier} for the hooks form.
 */
export async function* classifierTraining(
  model: Classifier,
  data: ClassifierData,
  options: FitClassifierOptions = {},
): AsyncGenerator<TrainingEvent, TrainingResult> {
  const caller = 'fitClassifier';
  const epochs = requireEpochs(caller, options.epochs ?? DEFAULTS.epochs);
  const resolved = resolveCommonOptions(caller, options, DEFAULTS, OPTION_KEYS);
  const restoreBest = requireBoolean(caller, 'restoreBestWeights', options.restoreBestWeights ?? true);
  const earlyStoppingOption = options.earlyStopping ?? true;
  if (earlyStoppingOption !== false && data.validation === undefined && options.earlyStopping !== undefined) {
    throw new InvalidArgumentError(
      'earlyStopping',
      earlyStoppingOption,
      `${caller}: earlyStopping needs data.validation; pass a validation set or earlyStopping: false.`,
    );
  }
  const { train, validation, test } = data;
  requireClassifierSet(caller, 'data.train', train, model.numClasses, resolved.batchSize);
  if (validation !== undefined) requireClassifierSet(caller, 'data.validation', validation, model.numClasses);
  if (test !== undefined) requireClassifierSet(caller, 'data.test', test, model.numClasses);
  const evaluation = resolveEvaluation(caller, options.evaluation, model.numClasses);
  const batchesPerEpoch = Math.min(batchCount(train.count, resolved.batchSize), resolved.batchesPerEpoch ?? Number.POSITIVE_INFINITY);
  const stopping =
    earlyStoppingOption === false || validation === undefined
      ? undefined
      : new EarlyStopping(batchesPerEpoch, earlyStoppingOption === true ? {} : earlyStoppingOption);
  const started = performance.now();
  const optimizer = new Optimizer(resolved.optimizer);
  let best: BundleTensor[] = [];
  let state: LoopState = { loop: 'classifier', nextEpoch: 0, iterations: 0, history: [] };
  let runner: StepRunner | undefined;
  const settings = once(() =>
    loopSettings(resolved, {
      epochs,
      earlyStopping: earlyStoppingOption as SettingValue,
      restoreBestWeights: restoreBest,
      data: {
        train: dataFingerprint(train),
        validation: validation === undefined ? null : dataFingerprint(validation),
        test: test === undefined ? null : dataFingerprint(test),
      },
    }),
  );
  const release = claimTraining(caller, model);
  try {
    if (resolved.resume !== undefined) {
      const checkpoint = resolved.resume;
      state = restoreCheckpoint(checkpoint, model, optimizer, { loop: 'classifier', settings: settings() });
      best = checkpoint.bestWeights;
      if (state.earlyStopping !== undefined) stopping?.setState(state.earlyStopping);
    }
    // Read once: reading a model's variables syncs the weights a native engine holds.
    const variables = model.variables;
    runner = await createStepRunner(
      caller,
      { ...resolved, stepsPerEpoch: batchesPerEpoch },
      classifierStepSpec(model, optimizer, false),
      optimizer,
    );
    yield { type: 'engine', stage: 'finetune', ...runner.report };
    let stopReason: StopReason = 'completed';
    const epochRun: EpochRun = {
      caller,
      runner,
      owner: model,
      variables,
      optimizer,
      options: resolved,
      state,
      set: train,
      stepBatch: (batch) => classifierBatch(batch, model.inputLayout),
      batchesPerEpoch,
      stepEvents: function* ({ cost, engineChange, context }, { epoch }) {
        if (engineChange !== undefined) yield { type: 'engine', stage: 'finetune', ...engineChange };
        yield { type: 'batch-end', stage: 'finetune', epoch, batch: context.batch, iteration: state.iterations - 1, loss: cost };
      },
      checkpoint: async (progress) => {
        const written = await writeCheckpoint(resolved, model, optimizer, {
          state: { ...midEpochState(state, progress), earlyStopping: stopping?.getState() },
          settings,
          bestWeights: best,
        });
        return written === undefined ? undefined : { type: 'checkpoint', stage: 'finetune', epoch: progress.epoch, bytes: written };
      },
      // The tutorial checks its patience after every minibatch (after validating, on an epoch's
      // last one), so a run may stop mid-epoch: the step it stops after is run at once, and none after it.
      stopsAfter: (iteration, submitted) => submitted < batchesPerEpoch && stopping?.shouldStop(iteration) === true,
    };
    for (let epoch = state.nextEpoch; epoch < epochs && stopReason === 'completed'; epoch++) {
      yield { type: 'epoch-begin', stage: 'finetune', epoch };
      const learningRate = scheduleEpoch(resolved, optimizer, epoch, epochs);
      const { progress, end } = yield* runEpoch(epochRun, epoch);
      if (end === 'aborted') {
        stopReason = 'aborted';
        break;
      }
      if (end === 'stopped') stopReason = 'early-stopping';
      const { batches, costSum, started: epochStarted } = progress;
      if (batches === 0) break;
      const log: EpochLog = { stage: 'finetune', epoch, iterations: state.iterations, cost: costSum / batches, learningRate, seconds: 0 };
      if (validation !== undefined && stopReason === 'completed') {
        log.validationError = (await evaluate(model, validation, { engine: runner.evaluationEngine })).errorRate;
        if (stopping === undefined || stopping.observe(state.iterations - 1, log.validationError)) {
          if (stopping !== undefined && restoreBest) best = await snapshotWeights(model);
          if (test !== undefined && stopping !== undefined) {
            log.testError = (await evaluate(model, test, { engine: runner.evaluationEngine })).errorRate;
            state.testErrorAtBest = log.testError;
          }
        }
        if (stopReason === 'completed' && stopping?.shouldStop(state.iterations - 1) === true) stopReason = 'early-stopping';
      }
      log.seconds = (performance.now() - epochStarted) / 1000;
      if (evaluationDue(evaluation, epoch, epochs) || (evaluation !== undefined && stopReason === 'early-stopping')) {
        log.evaluations = await evaluateSets(model, evaluation!, runner.evaluationEngine);
      }
      state.history.push(log);
      state.nextEpoch = epoch + 1;
      state.earlyStopping = stopping?.getState();
      yield { type: 'epoch-end', log };
      const written = await checkpointIfDue(resolved, epoch + 1, model, optimizer, { state, settings, bestWeights: best });
      if (written !== undefined) yield { type: 'checkpoint', stage: 'finetune', epoch, bytes: written };
    }
    if (restoreBest && best.length > 0 && stopReason !== 'aborted') restoreWeights(model, best);
    const result: TrainingResult = {
      stopReason,
      history: state.history,
      seconds: (performance.now() - started) / 1000,
      ...(stopping === undefined
        ? {}
        : { bestValidationError: stopping.bestError, bestIteration: stopping.bestIteration, testErrorAtBest: state.testErrorAtBest }),
    };
    yield { type: 'train-end', result };
    return result;
  } finally {
    await runner?.finish();
    optimizer.dispose();
    release();
  }
}

/**
 * Trains a classifier with early stopping, calling the hooks; resolves with the result (history,
 * best validation error and the test error measured at it).
 *
 * @example
 * const result = await fitClassifier(sda, { train: mnist.train, validation: mnist.validation, test: mnist.test }, { learningRate: 0.1 });
 * console.log(result.testErrorAtBest);
 */
export function fitClassifier(
  model: Classifier,
  data: ClassifierData,
  options: FitClassifierOptions & TrainingHooks = {},
): Promise<TrainingResult> {
  return runWithHooks(classifierTraining(model, data, options), options);
}
