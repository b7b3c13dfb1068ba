import type { KnownKeys } from '@sdae/core';
import type * as tf from '@tensorflow/tfjs-core';
import { batchCount, type ImageSet } from '@sdae/datasets';
import type { DenoisingAutoencoder, Model } from '@sdae/layers';
import { restoreCheckpoint, type CheckpointSettings, type LoopState } from '../checkpoint/checkpoint';
import { runWithHooks, type StopReason, type TrainingEvent, type TrainingHooks, type TrainingResult } from '../events';
import {
  dataFingerprint,
  loopSettings,
  requireEpochs,
  resolveCommonOptions,
  type CommonTrainingOptions,
  type ResolvedCommonOptions,
} from './loop-options';
import { requireTrainingImages } from './data-checks';
import { claimTraining } from './exclusive-training';
import { checkpointIfDue, once, scheduleEpoch, writeCheckpoint } from './loop-step';
import { midEpochState, runEpoch, type EpochRun } from './run-steps';
import { DEFAULT_LEARNING_RATE, Optimizer } from '../optim/optimizers';
import { autoencoderStepSpec, createStepRunner } from '../engine/step-engine';

/** The defaults of {@link trainAutoencoder}: the dA tutorial's. */
const DEFAULTS = { epochs: 15, batchSize: 20, learningRate: DEFAULT_LEARNING_RATE } as const;

/** Options of {@link trainAutoencoder}; the defaults are the dA tutorial's. */
export interface TrainAutoencoderOptions extends CommonTrainingOptions {
  /** Epochs over the training set. @default 15 */
  epochs?: number;
  /** Minibatch size. @default 20 (the dA tutorial) */
  batchSize?: number;
  /** The learning rate; overrides the optimiser's. @default 0.1 (the dA tutorial) */
  learningRate?: number;
}

const OPTION_KEYS: KnownKeys<Omit<TrainAutoencoderOptions, keyof CommonTrainingOptions>> = { epochs: true };

/** What the unsupervised epoch loop needs; shared by dA training and SdA pretraining. */
export interface UnsupervisedRun {
  caller: string;
  stage: 'train' | 'pretrain';
  layer?: number;
  /** The dA whose variables are updated. */
  trainee: DenoisingAutoencoder;
  /** The model saved in checkpoints and restored on divergence (the SdA when pretraining). */
  owner: Model;
  set: ImageSet;
  epochs: number;
  options: ResolvedCommonOptions;
  optimizer: Optimizer;
  /** Updated in place as minibatches and epochs complete. */
  state: LoopState;
  /** The settings recorded in checkpoints. */
  settings: () => CheckpointSettings;
  /** Maps a batch of images to the dA's input (an SdA layer's input). */
  transform?: (x: tf.Tensor2D) => tf.Tensor2D;
}

/** The settings of an unsupervised loop: the common ones, the epochs and the data. */
export function unsupervisedSettings(options: ResolvedCommonOptions, epochs: number, set: ImageSet): () => CheckpointSettings {
  return once(() => loopSettings(options, { epochs, data: dataFingerprint(set) }));
}

/**
 * Runs epochs `state.nextEpoch .. epochs-1` of minibatch training of a dA (from minibatch
 * `state.batchInEpoch` of the first, after a mid-epoch checkpoint), yielding events, and returns
 * why it stopped. The mean cost of each epoch is the tutorial's `numpy.mean(c)`. When the signal
 * aborts, the state after the last completed minibatch is checkpointed.
 */
export async function* unsupervisedEpochs(run: UnsupervisedRun): AsyncGenerator<TrainingEvent, StopReason> {
  const { caller, stage, layer, trainee, owner, set, epochs, options, optimizer, state } = run;
  const imageSize = set.height * set.width;
  // The pixels are the dA's input only without a transform (a dA, or an SdA's first layer).
  const crossEntropyOnPixels = trainee.getConfig().loss === 'cross-entropy' && run.transform === undefined;
  requireTrainingImages(
    caller,
    'set',
    set,
    crossEntropyOnPixels ? "the dA's cross-entropy loss, -sum(x log z + (1 - x) log(1 - z)), needs inputs in [0, 1]" : undefined,
  );
  const release = claimTraining(caller, owner);
  const stepsPerEpoch = Math.min(batchCount(set.count, options.batchSize), options.batchesPerEpoch ?? Number.POSITIVE_INFINITY);
  const spec = autoencoderStepSpec(trainee, owner, optimizer, run.transform);
  const runner = await createStepRunner(caller, { ...options, stepsPerEpoch }, spec, optimizer).catch((error: unknown) => {
    release();
    throw error;
  });
  // Read once: reading a model's variables syncs the weights a native engine holds.
  const variables = trainee.variables;
  try {
    yield { type: 'engine', stage, layer, ...runner.report };
    const epochRun: EpochRun = {
      caller,
      runner,
      owner,
      variables,
      optimizer,
      options,
      state,
      set,
      stepBatch: (batch) => ({ x: batch.images, xShape: [batch.size, imageSize] }),
      ...(options.batchesPerEpoch === undefined ? {} : { batchesPerEpoch: options.batchesPerEpoch }),
      stepEvents: function* ({ cost, engineChange, context }, { epoch }) {
        if (engineChange !== undefined) yield { type: 'engine', stage, layer, ...engineChange };
        yield { type: 'batch-end', stage, layer, epoch, batch: context.batch, iteration: state.iterations - 1, loss: cost };
      },
      checkpoint: async (progress) => {
        const written = await writeCheckpoint(options, owner, optimizer, { state: midEpochState(state, progress), settings: run.settings });
        return written === undefined ? undefined : { type: 'checkpoint', stage, epoch: progress.epoch, bytes: written };
      },
    };
    for (let epoch = state.nextEpoch; epoch < epochs; epoch++) {
      yield { type: 'epoch-begin', stage, layer, epoch };
      const learningRate = scheduleEpoch(options, optimizer, epoch, epochs);
      const { progress, end } = yield* runEpoch(epochRun, epoch);
      if (end === 'aborted') return 'aborted';
      const log = {
        stage,
        ...(layer === undefined ? {} : { layer }),
        epoch,
        iterations: state.iterations,
        cost: progress.costSum / progress.batches,
        learningRate,
        seconds: (performance.now() - progress.started) / 1000,
      };
      state.history.push(log);
      state.nextEpoch = epoch + 1;
      yield { type: 'epoch-end', log };
      const written = await checkpointIfDue(options, epoch + 1, owner, optimizer, { state, settings: run.settings });
      if (written !== undefined) yield { type: 'checkpoint', stage, epoch, bytes: written };
    }
    return 'completed';
  } finally {
    await runner.finish();
    release();
  }
}

/**
 * Trains a dA on a set's images with minibatch gradient descent, as a `for await` stream of
 * events (epoch begin, batch end, epoch end with the mean cost, checkpoint, train end).
 *
 * @example
 * for await (const event of autoencoderTraining(da, mnist.train, { epochs: 15 })) {
 *   if (event.type === 'epoch-end') console.log(formatEpochLog(event.log));
 * }
 */
export async function* autoencoderTraining(
  da: DenoisingAutoencoder,
  set: ImageSet,
  options: TrainAutoencoderOptions = {},
): AsyncGenerator<TrainingEvent, TrainingResult> {
  const caller = 'trainAutoencoder';
  const epochs = requireEpochs(caller, options.epochs ?? DEFAULTS.epochs);
  const resolved = resolveCommonOptions(caller, options, DEFAULTS, OPTION_KEYS);
  const started = performance.now();
  const optimizer = new Optimizer(resolved.optimizer);
  try {
    const settings = unsupervisedSettings(resolved, epochs, set);
    let state: LoopState = { loop: 'autoencoder', nextEpoch: 0, iterations: 0, history: [] };
    if (resolved.resume !== undefined)
      state = restoreCheckpoint(resolved.resume, da, optimizer, { loop: 'autoencoder', settings: settings() });
    const stopReason = yield* unsupervisedEpochs({
      caller,
      stage: 'train',
      trainee: da,
      owner: da,
      set,
      epochs,
      options: resolved,
      optimizer,
      state,
      settings,
    });
    const result: TrainingResult = { stopReason, history: state.history, seconds: (performance.now() - started) / 1000 };
    yield { type: 'train-end', result };
    return result;
  } finally {
    optimizer.dispose();
  }
}

/**
 * Trains a dA on a set's images, calling the hooks, and resolves with the history.
 *
 * @example
 * const da = new DenoisingAutoencoder({ corruptionLevel: 0.3 });
 * await trainAutoencoder(da, mnist.train, { epochs: 15, onEpochEnd: (log) => console.log(formatEpochLog(log)) });
 */
export function trainAutoencoder(
  da: DenoisingAutoencoder,
  set: ImageSet,
  options: TrainAutoencoderOptions & TrainingHooks = {},
): Promise<TrainingResult> {
  return runWithHooks(autoencoderTraining(da, set, options), options);
}
