import * as tf from '@tensorflow/tfjs-core';
import { requireNumber, type Random } from '@sdae/core';

/**
 * Checks a dropout rate: the fraction of hidden units zeroed at each training step, in [0, 1).
 *
 * @throws {InvalidArgumentError} naming `caller` and `dropout` otherwise.
 */
export function resolveDropout(caller: string, rate: unknown): number {
  return requireNumber(caller, 'dropout', rate, { min: 0, max: 1, excludeMax: true });
}

/**
 * An inverted-dropout mask of `count` values drawn from `random`: each is 0 with probability `rate`,
 * else `1 / (1 - rate)`, so that a masked layer keeps its expected value and evaluation (no mask)
 * needs no rescaling.
 *
 * @example dropoutMaskValues(4, 0.5, new Random(1)); // four values, each 0 or 2
 */
export function dropoutMaskValues(count: number, rate: number, random: Random): Float32Array {
  const mask = new Float32Array(count);
  const kept = 1 / (1 - rate);
  for (let index = 0; index < count; index++) mask[index] = random.next() < rate ? 0 : kept;
  return mask;
}

/** `h * mask` with the mask of its dropout site, or `h` when there is none (evaluation). */
export function applyDropout<T extends tf.Tensor>(h: T, mask: tf.Tensor | undefined): T {
  return mask === undefined ? h : tf.mul(h, mask);
}
