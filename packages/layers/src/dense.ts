import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, requirePositiveInteger, type Random } from '@sdae/core';
import type { Activation, ActivationName } from './activations';
import { applyDropout } from './dropout';
import { uniformBound, uniformValues } from './initializers';
import { requireTensor } from './tensor-checks';

/** `x W + b`, the affine map of a fully connected layer. */
export function affine(x: tf.Tensor2D, weights: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, weights), bias);
}

/** The weights and bias of one fully connected layer. */
export interface DenseWeights {
  W: tf.Tensor;
  b: tf.Tensor;
}

/**
 * Checks that `x` is a float32 batch of any shape whose examples hold `inputSize` values.
 *
 * @throws {InvalidArgumentError} naming `caller` otherwise.
 */
export function requireFlatInput(caller: string, x: unknown, inputSize: number): tf.Tensor {
  return requireTensor(caller, 'x', x, {
    shapes: [[null, inputSize]],
    exampleSize: inputSize,
    fix: "Check the model's input size against the data.",
  });
}

/**
 * `x` as rows `[n, inputSize]`: a batch of any shape whose examples hold `inputSize` values.
 *
 * @throws {InvalidArgumentError} naming `caller` when the examples have another size.
 */
export function flattenInput(caller: string, x: tf.Tensor, inputSize: number): tf.Tensor2D {
  requireFlatInput(caller, x, inputSize);
  return x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0], inputSize]);
}

/**
 * Runs `x` (flattened to `[n, inputSize]`) through the first `count` hidden layers, each
 * `activation(h W + b)`, times `dropoutMasks[i]` after layer i when given (training). With
 * `count` 0 it returns the flattened input.
 */
export function forwardHiddenLayers(
  caller: string,
  x: tf.Tensor,
  inputSize: number,
  layers: readonly DenseWeights[],
  activation: Activation,
  count = layers.length,
  dropoutMasks: readonly tf.Tensor[] = [],
): tf.Tensor2D {
  return tf.tidy(() => {
    let activations = flattenInput(caller, x, inputSize);
    for (let index = 0; index < count; index++) {
      const hidden = activation.apply(affine(activations, layers[index].W as tf.Tensor2D, layers[index].b as tf.Tensor1D)) as tf.Tensor2D;
      activations = applyDropout(hidden, dropoutMasks[index]);
    }
    return activations;
  });
}

/** Initial weights of a `fanIn x fanOut` hidden layer with the tutorial's uniform bound for `activation`. */
export function hiddenLayerValues(fanIn: number, fanOut: number, activation: ActivationName, random: Random): Float32Array {
  return uniformValues(fanIn * fanOut, uniformBound(fanIn, fanOut, activation), random);
}

/** The most values one weight matrix (or filter tensor, or one example's feature map) may hold: 2^28 float32 values, 1 GiB. */
export const MAX_WEIGHT_VALUES = 2 ** 28;

/**
 * Checks, before anything is allocated, that a tensor of `shape` can be: at most
 * {@link MAX_WEIGHT_VALUES} values. A size such as `hiddenSize: 1e8` is refused by name instead of
 * ending in a RangeError (or exhausting memory) while the weights are drawn.
 *
 * @param argument the option to make smaller, named in the message and the error.
 * @param value the option's value, kept in the error.
 * @param noun what the tensor is, `'weight matrix'`, `'filter tensor'`.
 * @param fix ends the message: how to make the tensor smaller.
 * @throws {InvalidArgumentError} naming the tensor's shape, the values and bytes it needs, and the limit.
 * @example requireValuesFit('ReluCnn', 'convolutions[0].filters', 20, 'filter tensor', [5, 5, 1, 20]);
 */
export function requireValuesFit(
  caller: string,
  argument: string,
  value: unknown,
  noun: string,
  shape: readonly number[],
  fix = `use a smaller ${argument}`,
): void {
  const values = shape.reduce((product, size) => product * size, 1);
  if (values <= MAX_WEIGHT_VALUES) return;
  throw new InvalidArgumentError(
    argument,
    value,
    `${caller}: ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun} of [${shape.join(', ')}] would hold ${values} values (${((values * 4) / 2 ** 30).toFixed(1)} GiB as float32), ` +
      `more than one ${noun} may hold (${MAX_WEIGHT_VALUES} values, 1 GiB); ${fix}.`,
  );
}

/**
 * Checks, before anything is allocated, that every weight matrix of a chain of fully connected
 * layers `[input, hidden..., output]` can be (see {@link requireValuesFit}).
 *
 * @param argument the option to make smaller, named in the message.
 * @throws {InvalidArgumentError} naming the two layer sizes, the values and bytes they need, and the limit.
 */
export function requireDenseLayersFit(caller: string, argument: string, sizes: readonly number[]): void {
  for (let layer = 1; layer < sizes.length; layer++) {
    requireValuesFit(caller, argument, sizes[layer], 'weight matrix', [sizes[layer - 1]!, sizes[layer]!]);
  }
}

/**
 * Checks a list of layer sizes (`hiddenSizes`, `denseSizes`): an array of whole numbers >= 1,
 * each named by its index in errors. Returns a copy, so the caller's array is never kept.
 */
export function requireLayerSizes(caller: string, argument: string, sizes: unknown, options: { allowEmpty: boolean }): number[] {
  if (!Array.isArray(sizes) || (!options.allowEmpty && sizes.length === 0)) {
    throw new InvalidArgumentError(
      argument,
      sizes,
      `${caller}: ${argument} must be an array of layer sizes${options.allowEmpty ? ' (whole numbers >= 1, [] for none)' : ' with at least one entry'}, e.g. [500, 500]; ` +
        `received ${Array.isArray(sizes) ? '[]' : (JSON.stringify(sizes) ?? String(sizes))}.`,
    );
  }
  return sizes.map((size, index) => requirePositiveInteger(caller, `${argument}[${index}]`, size));
}
