// Shared by the convolution and pooling kernel tests (not part of the package's API).
import type { Random } from '@sdae/core';

/** A 2-D convolution to check: NHWC input, HWIO filter. */
export interface ConvolutionCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'valid' | 'same';
}

/**
 * The padding before the first row (or column) that tfjs uses: none for 'valid'; for 'same',
 * half of what the outputs need beyond the input, rounded down.
 */
export function paddingBefore(pad: 'valid' | 'same', inSize: number, outSize: number, stride: number, filterSize: number): number {
  return pad === 'valid' ? 0 : Math.floor(Math.max((outSize - 1) * stride + filterSize - inSize, 0) / 2);
}

/** Values in [-1, 1) from `random`. */
export function randomValues(random: Random, length: number): Float32Array {
  return Float32Array.from({ length }, () => random.next() * 2 - 1);
}
