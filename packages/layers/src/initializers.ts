import type { Random } from '@sdae/core';
import type { ActivationName } from './activations';

/**
 * The half-width of the uniform initialisation of a `fanIn x fanOut` weight matrix, as in the
 * Theano tutorials: `sqrt(6 / (fanIn + fanOut))` for tanh, four times that for sigmoid, and the
 * He bound `sqrt(6 / fanIn)` for ReLU.
 *
 * @example uniformBound(784, 500, 'sigmoid'); // 4 * sqrt(6 / 1284) = 0.2734
 */
export function uniformBound(fanIn: number, fanOut: number, activation: ActivationName): number {
  if (activation === 'relu') return Math.sqrt(6 / fanIn);
  const glorot = Math.sqrt(6 / (fanIn + fanOut));
  return activation === 'sigmoid' ? 4 * glorot : glorot;
}

/** `count` samples of Uniform(-bound, +bound) drawn from `random`. */
export function uniformValues(count: number, bound: number, random: Random): Float32Array {
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) values[index] = (2 * random.next() - 1) * bound;
  return values;
}
