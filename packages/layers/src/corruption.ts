import * as tf from '@tensorflow/tfjs-core';
import { requireNumber, resolveChoice, type Random } from '@sdae/core';

/**
 * How a dA corrupts its input:
 * - `'mask'`: each value is set to 0 with probability `level` (the tutorial's masking noise);
 * - `'gaussian'`: zero-mean Gaussian noise of standard deviation `level` is added.
 */
export type CorruptionKind = 'mask' | 'gaussian';

/** Every valid {@link CorruptionKind}. */
export const CORRUPTION_KINDS: readonly CorruptionKind[] = ['mask', 'gaussian'];

/** Checks a corruption kind and level together: masking needs [0, 1), Gaussian noise >= 0. */
export function resolveCorruption(
  caller: string,
  kind: unknown,
  level: unknown,
  argument = 'corruptionLevel',
): { kind: CorruptionKind; level: number } {
  const resolvedKind = resolveChoice(caller, 'corruption', kind, CORRUPTION_KINDS);
  const resolvedLevel =
    resolvedKind === 'mask'
      ? requireNumber(caller, argument, level, { min: 0, max: 1, excludeMax: true })
      : requireNumber(caller, argument, level, { min: 0 });
  return { kind: resolvedKind, level: resolvedLevel };
}

/**
 * The multiplicative mask of masking noise: each entry is 1 with probability `1 - level`, else 0.
 * Drawn from `random` so that runs repeat exactly and can be resumed. Written into `into` (of
 * `count` values) when given, else into a new array.
 */
export function maskValues(count: number, level: number, random: Random, into?: Float32Array): Float32Array {
  return random.fillMask(into ?? new Float32Array(count), level);
}

/**
 * The noise of `count` corrupted values, drawn from `random`: the multiplicative 0/1 mask of
 * masking noise or the additive Gaussian noise; undefined at level 0 (nothing is drawn). Written
 * into `into` (of `count` values) when given, else into a new array.
 */
export function drawNoise(
  count: number,
  kind: CorruptionKind,
  level: number,
  random: Random,
  into?: Float32Array,
): Float32Array | undefined {
  if (level === 0) return undefined;
  if (kind === 'mask') return maskValues(count, level, random, into);
  const noise = into ?? new Float32Array(count);
  for (let index = 0; index < noise.length; index++) noise[index] = random.nextGaussian() * level;
  return noise;
}

/** Applies noise drawn by {@link drawNoise} to `x`: `x * mask` or `x + noise`. */
export function applyNoise(x: tf.Tensor, kind: CorruptionKind, noise: tf.Tensor): tf.Tensor {
  return kind === 'mask' ? tf.mul(x, noise) : tf.add(x, noise);
}

/** Corrupts `x` (any shape) with noise of the given kind and level drawn from `random`. */
export function corruptTensor(x: tf.Tensor, kind: CorruptionKind, level: number, random: Random): tf.Tensor {
  const noise = drawNoise(x.size, kind, level, random);
  if (noise === undefined) return x.clone();
  return tf.tidy(() => applyNoise(x, kind, tf.tensor(noise, x.shape, 'float32')));
}
