import { claimTraining } from './exclusive-training';
import type { KnownKeys } from '@sdae/core';
import { requireNonNegativeInteger, resolveChoice } from '@sdae/core';
import { sampledBatches, type Batch, type ImageSet } from '@sdae/datasets';
import type { Classifier } from '@sdae/layers';
import { restoreCheckpoint, type LoopState } from '../checkpoint/checkpoint';
import { runWithHooks, type EpochLog, type StopReason, type TrainingEvent, type TrainingHooks, type TrainingResult } from '../events';
import { dataFingerprint, loopSettings, requireClassifierSet, resolveCommonOptions, type CommonTrainingOptions } from './loop-options';
import { checkpointDue, once, scheduleEpoch, snapshotWeights, writeCheckpoint } from './loop-step';
import { runSteps, type PlannedStep } from './run-steps';
import { classifierBatch } from '../engine/step-batch';
import { evaluateSets, evaluationDue, resolveEvaluation, type EvaluationOptions } from '../metrics';
import { DEFAULT_LEARNING_RATE, Optimizer } from '../optim/optimizers';
import {
  GRADIENT_REDUCTIONS,
  classifierStepSpec,
  createStepRunner,
  type GradientReduction,
  type StepOutcome,
  type StepRunner,
} from '../engine/step-engine';

/** The defaults of {@link trainSampled}: the numpy notebook's. */
const DEFAULTS = { iterations: 3000, batchSize: 100, learningRate: DEFAULT_LEARNING_RATE } as const;

/** Options of {@link trainSampled}; the defaults are the numpy notebook's. */
export interface TrainSampledOptions extends CommonTrainingOptions {
  /** The number of iterations, each on a minibatch sampled at random. @default 3000 */
  iterations?: number;
  /** Minibatch size, sampled at random each iteration. @default 100 (the numpy notebook) */
  batchSize?: number;
  /** The learning rate on the mean loss; overrides the optimiser's. @default 0.1 (the notebook's 0.001 on summed gradients) */
  learningRate?: number;
  /**
   * How a minibatch's gradients combine: `'mean'` (of the mean loss) or `'sum'` (the numpy
   * notebook's summed gradients, batch-size times larger). @default 'mean'
   */
  gradientReduction?: GradientReduction;
  /** Sets whose loss and accuracy are measured every `every` iterations (and after the last), into the logs' `evaluations`. @default none */
  evaluation?: EvaluationOptions;
}

const OPTION_KEYS: KnownKeys<Omit<TrainSampledOptions, keyof CommonTrainingOptions>> = {
  iterations: true,
  gradientReduction: true,
  evaluation: true,
};

/**
 * The numpy notebook's mode: each iteration samples a random minibatch (with replacement across
 * iterations), takes one step, and logs the loss and the accuracy on that minibatch. Logs are
 * `stage: 'sampled'` with `epoch` holding the iteration. Defaults: 3,000 iterations of batch 100,
 * learning rate 0.1 on the mean loss (the notebook's 0.001 on summed gradients). Checkpoints
 * count iterations; the last iteration is checkpointed too.
 */
export async function* sampledTraining(
  model: Classifier,
  set: ImageSet,
  options: TrainSampledOptions = {},
): AsyncGenerator<TrainingEvent, TrainingResult> {
  const caller = 'trainSampled';
  const iterations = requireNonNegativeInteger(caller, 'iterations', options.iterations ?? DEFAULTS.iterations);
  const resolved = resolveCommonOptions(caller, options, DEFAULTS, OPTION_KEYS);
  requireClassifierSet(caller, 'set', set, model.numClasses);
  const evaluation = resolveEvaluation(caller, options.evaluation, model.numClasses);
  const gradientReduction = resolveChoice(caller, 'gradientReduction', options.gradientReduction ?? 'mean', GRADIENT_REDUCTIONS);
  const started = performance.now();
  const optimizer = new Optimizer(resolved.optimizer);
  let state: LoopState = { loop: 'sampled', nextEpoch: 0, iterations: 0, history: [] };
  let runner: StepRunner | undefined;
  const settings = once(() =>
    loopSettings(resolved, {
      iterations,
      // Recorded only when summed, so that checkpoints written before the option existed still resume.
      ...(gradientReduction === 'sum' ? { gradientReduction } : {}),
      data: dataFingerprint(set),
    }),
  );
  const release = claimTraining(caller, model);
  try {
    if (resolved.resume !== undefined)
      state = restoreCheckpoint(resolved.resume, model, optimizer, { loop: 'sampled', settings: settings() });
    // Read once: reading a model's variables syncs the weights a native engine holds.
    const variables = model.variables;
    runner = await createStepRunner(caller, resolved, classifierStepSpec(model, optimizer, true, gradientReduction), optimizer);
    yield { type: 'engine', stage: 'sampled', ...runner.report };
    let stopReason: StopReason = 'completed';
    let lastGood = await snapshotWeights(model);
    const remaining = iterations - state.nextEpoch;
    let groupStarted = performance.now();
    // The batches submitted and not completed yet, by iteration.
    const submitted = new Map<number, Batch>();
    // Their learning rates, by iteration: each iteration is one step of the schedule.
    const rates = new Map<number, number>();
    // `evaluations` belong to the last of `steps`, measured on the weights after it.
    const completed = function* (steps: StepOutcome[], evaluations?: EpochLog['evaluations']): Generator<TrainingEvent> {
      if (steps.length === 0) return;
      // Steps the engine ran together share the time since the last completed one.
      const seconds = (performance.now() - groupStarted) / 1000 / steps.length;
      groupStarted = performance.now();
      for (const { cost, classes, engineChange, context } of steps) {
        const iteration = context.batch;
        const batch = submitted.get(iteration)!;
        submitted.delete(iteration);
        if (engineChange !== undefined) yield { type: 'engine', stage: 'sampled', ...engineChange };
        const accuracy = countCorrect(classes!, batch.labels) / batch.size;
        state.iterations++;
        yield { type: 'batch-end', stage: 'sampled', epoch: 0, batch: iteration, iteration, loss: cost };
        const learningRate = rates.get(iteration)!;
        rates.delete(iteration);
        const log: EpochLog = { stage: 'sampled', epoch: iteration, iterations: state.iterations, cost, learningRate, accuracy, seconds };
        if (evaluations !== undefined && iteration === steps.at(-1)!.context.batch) log.evaluations = evaluations;
        state.history.push(log);
        state.nextEpoch = iteration + 1;
        yield { type: 'epoch-end', log: state.history.at(-1)! };
      }
    };
    const batches =
      remaining > 0
        ? sampledBatches(set, {
            batchSize: resolved.batchSize,
            iterations: remaining,
            seed: resolved.seed,
            startIteration: state.nextEpoch,
            // A batch is done with once its step completed: reused after that, no batch allocates.
            buffers: runner.maxWaiting + 1,
          })
        : [];
    function* planned(): Generator<PlannedStep> {
      for (const batch of batches) {
        const iteration = batch.index;
        submitted.set(iteration, batch);
        rates.set(iteration, scheduleEpoch(resolved, optimizer, iteration, iterations));
        // One forward pass gives the step and the minibatch accuracy.
        yield {
          batch: classifierBatch(batch, model.inputLayout),
          context: { caller, owner: model, variables, optimizer, lastGood, epoch: 0, batch: iteration },
        };
      }
    }
    const end = yield* runSteps(planned(), {
      runner,
      signal: resolved.signal,
      completed: (steps) => completed(steps),
      checkpoint: async (next) => {
        const written = await writeCheckpoint(resolved, model, optimizer, { state, settings });
        return written === undefined ? undefined : { type: 'checkpoint', stage: 'sampled', epoch: next.context.batch - 1, bytes: written };
      },
      afterSubmit: async function* (step, steps) {
        const iteration = step.context.batch;
        if (evaluationDue(evaluation, iteration, iterations)) {
          // Measured on this iteration's weights: run what is pending (this step last), then read them.
          steps.push(...(await runner!.flush()));
          runner!.sync();
          yield* completed(steps, await evaluateSets(model, evaluation!, runner!.evaluationEngine));
        } else {
          yield* completed(steps);
        }
        // The last iteration too, so that a run given more iterations later continues from its end.
        if (checkpointDue(resolved, iteration + 1) || (resolved.writeCheckpoint !== undefined && iteration + 1 === iterations)) {
          // The checkpoint holds this iteration's weights and slots: run what is pending, then read them.
          yield* completed(await runner!.flush());
          runner!.sync();
          const written = (await writeCheckpoint(resolved, model, optimizer, { state, settings }))!;
          lastGood = await snapshotWeights(model);
          yield { type: 'checkpoint', stage: 'sampled', epoch: iteration, bytes: written };
        }
      },
    });
    if (end === 'aborted') stopReason = 'aborted';
    const result: TrainingResult = { stopReason, history: state.history, seconds: (performance.now() - started) / 1000 };
    yield { type: 'train-end', result };
    return result;
  } finally {
    await runner?.finish();
    optimizer.dispose();
    release();
  }
}

function countCorrect(classes: Int32Array, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let index = 0; index < labels.length; index++) if (classes[index] === labels[index]) correct++;
  return correct;
}

/**
 * Trains a classifier for a number of iterations on randomly sampled minibatches, calling the hooks.
 *
 * @example
 * const cnn = new ReluCnn({ preset: 'notebook' });
 * await trainSampled(cnn, mnist.train, { iterations: 3000, batchSize: 100 });
 */
export function trainSampled(model: Classifier, set: ImageSet, options: TrainSampledOptions & TrainingHooks = {}): Promise<TrainingResult> {
  return runWithHooks(sampledTraining(model, set, options), options);
}
