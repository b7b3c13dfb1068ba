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
export function resolveCorruption(caller: string, kind: unknown, level: unknown, argument = 'corruptionLevel'): { kind: CorruptionKind; level: number } {
  const resolvedKind = resolveChoice(caller, 'corruption', kind, CORRUPTION_KINDS);
  const resolvedLevel =
    resolvedKind === 'mask'
      ? requireNumber(caller, argument, level, { min: 0, max: 1, excludeMax: true })
      : requireNumber(caller, argument, level, { min: 0 });
  return { kind: resolvedKind, level: resolvedLevel };
}

/**
 * The multiplicative mask of masking noise: each entry is 1 with probability `1 - level`, else 0.
 * Drawn from `random` so that runs repeat exactly and can be resumed.
 */
export function maskValues(count: number, level: number, random: Random): Float32Array {
  const mask = new Float32Array(count);
  for (let index = 0; index < count; index++) mask[index] = random.next() < level ? 0 : 1;
  return mask;
}

/** Corrupts `x` (any shape) with noise of the given kind and level drawn from `random`. */
export function corruptTensor(x: tf.Tensor, kind: CorruptionKind, level: number, random: Random): tf.Tensor {
  if (level === 0) return x.clone();
  return tf.tidy(() => {
    if (kind === 'mask') return tf.mul(x, tf.tensor(maskValues(x.size, level, random), x.shape, 'float32'));
    const noise = new Float32Array(x.size);
    for (let index = 0; index < noise.length; index++) noise[index] = random.nextGaussian() * level;
    return tf.add(x, tf.tensor(noise, x.shape, 'float32'));
  });
}
