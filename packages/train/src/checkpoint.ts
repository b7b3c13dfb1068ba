import { InvalidArgumentError } from '@sdae/core';
import { ModelFormatError, decodeBundle, encodeBundle, modelToBundle, type BundleTensor, type Model } from '@sdae/layers';
import type { EarlyStoppingState } from './early-stopping';
import type { EpochLog } from './events';
import type { Optimizer, OptimizerState } from './optimizers';

/** Where a loop stands at an epoch boundary: enough to continue exactly. */
export interface LoopState {
  /** The loop that wrote the checkpoint. */
  loop: 'autoencoder' | 'pretrain' | 'classifier' | 'sampled';
  /** The layer being pretrained (`'pretrain'`). */
  layer?: number;
  /** The next epoch to run (the next iteration for `'sampled'`). */
  nextEpoch: number;
  /** Minibatch iterations completed in the current stage. */
  iterations: number;
  history: EpochLog[];
  earlyStopping?: EarlyStoppingState;
  testErrorAtBest?: number;
}

/** A decoded checkpoint. */
export interface Checkpoint {
  className: string;
  config: unknown;
  randomStates: Record<string, number[]>;
  weights: BundleTensor[];
  optimizer: OptimizerState;
  state: LoopState;
  /** The weights of the best validation so far (supervised loops). */
  bestWeights: BundleTensor[];
}

const CHECKPOINT_FORMAT = 'sdae-checkpoint';

/** Serialises model, optimiser, random streams and loop state into one buffer. */
export function encodeCheckpoint(model: Model, optimizer: Optimizer, state: LoopState, bestWeights: BundleTensor[] = []): Uint8Array {
  const { meta, tensors } = modelToBundle(model);
  const optimizerState = optimizer.getState();
  return encodeBundle({
    meta: { format: CHECKPOINT_FORMAT, model: meta, optimizer: { config: optimizerState.config, step: optimizerState.step }, state },
    tensors: [
      ...tensors.map((tensor) => ({ ...tensor, name: `model/${tensor.name}` })),
      ...optimizerState.slots.map((tensor) => ({ ...tensor, name: `optimizer/${tensor.name}` })),
      ...bestWeights.map((tensor) => ({ ...tensor, name: `best/${tensor.name}` })),
    ],
  });
}

/**
 * Reads a checkpoint written by a training loop.
 *
 * @throws {ModelFormatError} for a truncated, corrupt or non-checkpoint buffer.
 */
export function decodeCheckpoint(bytes: Uint8Array, file = '<checkpoint>'): Checkpoint {
  const { meta, tensors } = decodeBundle(bytes, file);
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new ModelFormatError(
      { file, field: 'format', expected: `"${CHECKPOINT_FORMAT}"`, found: JSON.stringify(meta.format) ?? 'nothing' },
      `${file}: this is not a training checkpoint (format ${JSON.stringify(meta.format)}). Pass a file written by a training loop's checkpoint option.`,
    );
  }
  const model = meta.model as { className: string; config: unknown; randomStates: Record<string, number[]> };
  const optimizer = meta.optimizer as { config: OptimizerState['config']; step: number };
  const withPrefix = (prefix: string) =>
    tensors.filter((tensor) => tensor.name.startsWith(prefix)).map((tensor) => ({ ...tensor, name: tensor.name.slice(prefix.length) }));
  return {
    className: model.className,
    config: model.config,
    randomStates: model.randomStates,
    weights: withPrefix('model/'),
    optimizer: { config: optimizer.config, step: optimizer.step, slots: withPrefix('optimizer/') },
    state: meta.state as LoopState,
    bestWeights: withPrefix('best/'),
  };
}

/**
 * Puts a checkpoint's weights, random streams and optimiser state into `model` and `optimizer`,
 * after checking the checkpoint was written for the same model, configuration and loop.
 *
 * @throws {InvalidArgumentError} naming what differs.
 */
export function restoreCheckpoint(checkpoint: Checkpoint, model: Model, optimizer: Optimizer, loop: LoopState['loop']): LoopState {
  const config = JSON.stringify(model.getConfig());
  if (checkpoint.className !== model.className || JSON.stringify(checkpoint.config) !== config) {
    throw new InvalidArgumentError(
      'resume',
      checkpoint.className,
      `resume: the checkpoint holds a ${checkpoint.className} ${JSON.stringify(checkpoint.config)}, but the model to train is a ` +
        `${model.className} ${config}. Build the model with the checkpoint's configuration (or load it) before resuming.`,
    );
  }
  if (checkpoint.state.loop !== loop) {
    throw new InvalidArgumentError(
      'resume',
      checkpoint.state.loop,
      `resume: the checkpoint was written by the ${checkpoint.state.loop} loop; resume it with that loop, not the ${loop} loop.`,
    );
  }
  model.setWeights(Object.fromEntries(checkpoint.weights.map((tensor) => [tensor.name, tensor.values])));
  model.setRandomStates(checkpoint.randomStates);
  optimizer.setState(checkpoint.optimizer);
  return checkpoint.state;
}
