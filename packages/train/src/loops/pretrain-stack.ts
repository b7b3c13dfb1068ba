import type { KnownKeys } from '@sdae/core';
import type { ImageSet } from '@sdae/datasets';
import { ModelFormatError, type StackedDenoisingAutoencoder } from '@sdae/layers';
import { restoreCheckpoint, type LoopState } from '../checkpoint/checkpoint';
import { runWithHooks, type StopReason, type TrainingEvent, type TrainingHooks, type TrainingResult } from '../events';
import { requireEpochs, resolveCommonOptions, type CommonTrainingOptions } from './loop-options';
import { Optimizer } from '../optim/optimizers';
import { unsupervisedEpochs, unsupervisedSettings } from './train-autoencoder';

/** The defaults of {@link pretrainStack}: the SdA tutorial's pretraining. */
const DEFAULTS = { epochs: 15, batchSize: 1, learningRate: 0.001 } as const;

/** Options of {@link pretrainStack}; the defaults are the SdA tutorial's. */
export interface PretrainStackOptions extends CommonTrainingOptions {
  /** Pretraining epochs per layer. @default 15 */
  epochs?: number;
  /** Minibatch size. @default 1 (the SdA tutorial's pretraining; pass larger batches for speed) */
  batchSize?: number;
  /** The learning rate; overrides the optimiser's. @default 0.001 (the SdA tutorial's pretraining; pass larger batches for speed) */
  learningRate?: number;
}

const OPTION_KEYS: KnownKeys<Omit<PretrainStackOptions, keyof CommonTrainingOptions>> = { epochs: true };

/**
 * Greedy layer-wise pretraining of an SdA, as a stream of events: the dA of layer i is trained on
 * the output of layers 0..i-1 computed on clean input, with its own corruption level. Each layer
 * gets a fresh optimiser. Defaults: 15 epochs per layer, learning rate 0.001, batch 1 (the
 * tutorial's; pass larger batches for speed).
 */
export async function* pretrainingTraining(
  sda: StackedDenoisingAutoencoder,
  set: ImageSet,
  options: PretrainStackOptions = {},
): AsyncGenerator<TrainingEvent, TrainingResult> {
  const caller = 'pretrainStack';
  const epochs = requireEpochs(caller, options.epochs ?? DEFAULTS.epochs);
  const resolved = resolveCommonOptions(caller, options, DEFAULTS, OPTION_KEYS);
  const started = performance.now();
  const checkpoint = resolved.resume;
  const firstLayer = checkpoint?.state.layer ?? 0;
  if (checkpoint !== undefined && checkpoint.state.loop === 'pretrain' && firstLayer >= sda.layerCount) {
    throw new ModelFormatError(
      { file: checkpoint.file, field: 'state.layer', expected: `a layer below ${sda.layerCount}`, found: String(firstLayer) },
      `${checkpoint.file}: state.layer is ${firstLayer}, but the SdA has ${sda.layerCount} layers. The checkpoint is corrupt; ` +
        'resume from another checkpoint or start the run afresh.',
    );
  }
  const settings = unsupervisedSettings(resolved, epochs, set);
  // Checkpoints carry the whole history so far, so that a resumed run reports every epoch.
  const history: TrainingResult['history'] = checkpoint === undefined ? [] : [...checkpoint.state.history];
  let stopReason: StopReason = 'completed';
  for (let layer = firstLayer; layer < sda.layerCount && stopReason === 'completed'; layer++) {
    const optimizer = new Optimizer(resolved.optimizer);
    try {
      let state: LoopState = { loop: 'pretrain', layer, nextEpoch: 0, iterations: 0, history };
      if (checkpoint !== undefined && layer === firstLayer)
        state = {
          ...restoreCheckpoint(checkpoint, sda, optimizer, {
            loop: 'pretrain',
            settings: settings(),
            trained: sda.autoencoder(layer).variables,
          }),
          history,
        };
      stopReason = yield* unsupervisedEpochs({
        caller,
        stage: 'pretrain',
        layer,
        trainee: sda.autoencoder(layer),
        owner: sda,
        set,
        epochs,
        options: resolved,
        optimizer,
        state,
        settings,
        transform: layer === 0 ? undefined : (x) => sda.layerInput(x, layer),
      });
    } finally {
      optimizer.dispose();
    }
  }
  const result: TrainingResult = { stopReason, history, seconds: (performance.now() - started) / 1000 };
  yield { type: 'train-end', result };
  return result;
}

/**
 * Pretrains every layer of an SdA in turn, calling the hooks; resolves with the history.
 *
 * @example
 * await pretrainStack(sda, mnist.train, { epochs: 15, learningRate: 0.001, batchSize: 1, onEpochEnd: (log) => console.log(formatEpochLog(log)) });
 */
export function pretrainStack(
  sda: StackedDenoisingAutoencoder,
  set: ImageSet,
  options: PretrainStackOptions & TrainingHooks = {},
): Promise<TrainingResult> {
  return runWithHooks(pretrainingTraining(sda, set, options), options);
}
