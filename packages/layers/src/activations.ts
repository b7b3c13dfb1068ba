import * as tf from '@tensorflow/tfjs-core';
import { resolveChoice } from '@sdae/core';

/** The hidden-layer nonlinearities the models accept. */
export type ActivationName = 'sigmoid' | 'relu' | 'tanh';

/** Every valid {@link ActivationName}, in the order error messages list them. */
export const ACTIVATION_NAMES: readonly ActivationName[] = ['sigmoid', 'relu', 'tanh'];

/** A nonlinearity and its derivative written in terms of its output (for fused gradients). */
export interface Activation {
  readonly name: ActivationName;
  apply(x: tf.Tensor): tf.Tensor;
  /** d activation / d input, given the pre-activation `input` and the `output`. */
  derivative(input: tf.Tensor, output: tf.Tensor): tf.Tensor;
}

const ACTIVATIONS: Record<ActivationName, Activation> = {
  sigmoid: {
    name: 'sigmoid',
    apply: (x) => tf.sigmoid(x),
    derivative: (_input, output) => tf.mul(output, tf.sub(1, output)),
  },
  relu: {
    name: 'relu',
    apply: (x) => tf.relu(x),
    derivative: (input) => tf.step(input),
  },
  tanh: {
    name: 'tanh',
    apply: (x) => tf.tanh(x),
    derivative: (_input, output) => tf.sub(1, tf.square(output)),
  },
};

/**
 * Looks up an activation by name.
 *
 * @throws {InvalidArgumentError} listing the valid names when `name` is not one of them.
 * @example resolveActivation('Mlp', 'activation', 'relu').apply(x);
 */
export function resolveActivation(caller: string, argument: string, name: unknown): Activation {
  return ACTIVATIONS[resolveChoice(caller, argument, name, ACTIVATION_NAMES)];
}
