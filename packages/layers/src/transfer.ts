import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requireBoolean, requireKnownKeys, requireNumber, type KnownKeys } from '@sdae/core';
import type { Model } from './model';

/** Options of {@link initializeFrom}. */
export interface InitializeFromOptions {
  /**
   * Which source weight initialises which target weight, as `{ targetName: sourceName }`.
   * @default every weight (not bias) whose name and shape exist in both models
   */
  weights?: Record<string, string>;
  /** The factor the copied weights are multiplied by (0.1 tames sigmoid -> ReLU). @default 1 */
  scale?: number;
  /** Set the target's biases to 0. @default true */
  resetBiases?: boolean;
}

/** What {@link initializeFrom} did: the weights copied (target names) and the biases reset. */
export interface InitializeFromReport {
  copied: string[];
  reset: string[];
}

const INITIALIZE_FROM_OPTION_KEYS: KnownKeys<InitializeFromOptions> = { weights: true, scale: true, resetBiases: true };

const BIAS_NAME = /(^|\.)(b|bPrime|bias)$/;

/**
 * Initialises `target`'s weights from `source`'s, scaled, with the target's biases reset: the
 * notebooks' transfer of a trained sigmoid dA into a sigmoid or ReLU dA. The source is not
 * changed; shapes are checked before anything is written.
 *
 * @throws {InvalidArgumentError} for an unknown name, a shape mismatch, a bad scale, or when no weight matches.
 * @example
 * const relu = new DenoisingAutoencoder({ activation: 'relu', hiddenSize: 500 });
 * initializeFrom(relu, trainedSigmoid, { scale: 0.1 });
 */
export function initializeFrom(target: Model, source: Model, options: InitializeFromOptions = {}): InitializeFromReport {
  const caller = 'initializeFrom';
  requireKnownKeys(caller, 'options', options, INITIALIZE_FROM_OPTION_KEYS);
  const scale = requireNumber(caller, 'scale', options.scale ?? 1);
  const resetBiases = requireBoolean(caller, 'resetBiases', options.resetBiases ?? true);
  const targetWeights = target.getWeights();
  const sourceWeights = source.getWeights();
  const mapping =
    options.weights ??
    Object.fromEntries(
      [...targetWeights.keys()]
        .filter((name) => !BIAS_NAME.test(name) && sourceWeights.get(name)?.shape.join(',') === targetWeights.get(name)?.shape.join(','))
        .map((name) => [name, name]),
    );
  if (Object.keys(mapping).length === 0) {
    throw new InvalidArgumentError(
      'weights',
      options.weights,
      `${caller}: no weight of the source (${[...sourceWeights.keys()].join(', ')}) matches a weight of the target ` +
        `(${[...targetWeights.keys()].join(', ')}) by name and shape; pass weights: { targetName: sourceName }.`,
    );
  }
  const updates: Record<string, Float32Array> = {};
  for (const [targetName, sourceName] of Object.entries(mapping)) {
    const to = targetWeights.get(targetName);
    const from = sourceWeights.get(sourceName);
    if (to === undefined || from === undefined || to.shape.join(',') !== from.shape.join(',')) {
      throw new InvalidArgumentError(
        'weights',
        mapping,
        `${caller}: cannot initialise target ${targetName} ${to ? `[${to.shape.join(', ')}]` : '(no such weight)'} from source ` +
          `${sourceName} ${from ? `[${from.shape.join(', ')}]` : '(no such weight)'}; names and shapes must match.`,
      );
    }
    updates[targetName] = scale === 1 ? from.values : from.values.map((value) => value * scale);
  }
  const reset = resetBiases ? [...targetWeights.keys()].filter((name) => BIAS_NAME.test(name) && !(name in updates)) : [];
  for (const name of reset) updates[name] = new Float32Array(tf.util.sizeFromShape(targetWeights.get(name)?.shape ?? []));
  target.setWeights(updates);
  return { copied: Object.keys(mapping), reset };
}
