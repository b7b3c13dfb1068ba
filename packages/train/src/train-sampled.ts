import type { KnownKeys } from '@sdae/core';
import { requireNonNegativeInteger } from '@sdae/core';
import { sampledBatches, type ImageSet } from '@sdae/datasets';
import type { Classifier } from '@sdae/layers';
import { decodeCheckpoint, restoreCheckpoint, type LoopState } from './checkpoint';
import { runWithHooks, type StopReason, type TrainingEvent, type TrainingHooks, type TrainingResult } from './events';
import { requireClassifierSet, resolveCommonOptions, type CommonTrainingOptions } from './loop-options';
import { checkpointIfDue, snapshotWeights } from './loop-step';
import { Optimizer } from './optimizers';
import { classifierBatch, classifierStepSpec, createStepRunner, type StepRunner } from './step-engine';

/** The defaults of {@link trainSampled}: the numpy notebook's. */
const DEFAULTS = { iterations: 3000, batchSize: 100, learningRate: 0.1 } as const;

/** Options of {@link trainSampled}; the defaults are the numpy notebook's. */
export interface TrainSampledOptions extends CommonTrainingOptions {
  /** The number of iterations, each on a minibatch sampled at random. @default 3000 */
  iterations?: number;
  /** Minibatch size, sampled at random each iteration. @default 100 (the numpy notebook) */
  batchSize?: number;
  /** The learning rate on the mean loss; overrides the optimiser's. @default 0.1 (the notebook's 0.001 on summed gradients) */
  learningRate?: number;
}

const OPTION_KEYS: KnownKeys<Omit<TrainSampledOptions, keyof CommonTrainingOptions>> = { iterations: true };

/**
 * The numpy notebook's mode: each iteration samples a random minibatch (with replacement across
 * iterations), takes one step, and logs the loss and the accuracy on that minibatch. Logs are
 * `stage: 'sampled'` with `epoch` holding the iteration. Defaults: 3,000 iterations of batch 100,
 * learning rate 0.1 on the mean loss (the notebook's 0.001 on summed gradients). Checkpoints
 * count iterations.
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
  const started = performance.now();
  const optimizer = new Optimizer(resolved.optimizer);
  let state: LoopState = { loop: 'sampled', nextEpoch: 0, iterations: 0, history: [] };
  let runner: StepRunner | undefined;
  try {
    if (resolved.resume !== undefined) state = restoreCheckpoint(decodeCheckpoint(resolved.resume), model, optimizer, 'sampled');
    // Read once: reading a model's variables syncs the weights a native engine holds.
    const variables = model.variables;
    runner = await createStepRunner(caller, resolved.engine, resolved.threads, classifierStepSpec(model, optimizer, true), optimizer);
    yield { type: 'engine', stage: 'sampled', ...runner.report };
    let stopReason: StopReason = 'completed';
    let lastGood = snapshotWeights(model);
    const remaining = iterations - state.nextEpoch;
    for (const batch of remaining > 0
      ? sampledBatches(set, { batchSize: resolved.batchSize, iterations: remaining, seed: resolved.seed, startIteration: state.nextEpoch })
      : []) {
      if (resolved.signal?.aborted === true) {
        stopReason = 'aborted';
        break;
      }
      const iteration = batch.index;
      const iterationStarted = performance.now();
      const context = { caller, owner: model, variables, optimizer, lastGood, epoch: 0, batch: iteration };
      // One forward pass gives the step and the minibatch accuracy.
      const { cost, classes, engineChange } = await runner.run(classifierBatch(batch, model.inputLayout), context);
      if (engineChange !== undefined) yield { type: 'engine', stage: 'sampled', ...engineChange };
      const accuracy = countCorrect(classes!, batch.labels) / batch.size;
      state.iterations++;
      yield { type: 'batch-end', stage: 'sampled', epoch: 0, batch: iteration, iteration, loss: cost };
      const log = {
        stage: 'sampled',
        epoch: iteration,
        iterations: state.iterations,
        cost,
        accuracy,
        seconds: (performance.now() - iterationStarted) / 1000,
      };
      state.history.push(log);
      state.nextEpoch = iteration + 1;
      yield { type: 'epoch-end', log };
      if ((iteration + 1) % resolved.checkpointEvery === 0) runner.sync();
      const written = await checkpointIfDue(resolved, iteration + 1, model, optimizer, state);
      if (written !== undefined) {
        lastGood = snapshotWeights(model);
        yield { type: 'checkpoint', stage: 'sampled', epoch: iteration, bytes: written };
      }
    }
    const result: TrainingResult = { stopReason, history: state.history, seconds: (performance.now() - started) / 1000 };
    yield { type: 'train-end', result };
    return result;
  } finally {
    await runner?.finish();
    optimizer.dispose();
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
