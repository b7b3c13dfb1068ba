import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the active backend's matrix product packs its right operand before multiplying: wasm,
 * where XNNPACK repacks a new right operand on every product (about 10 ms per million values)
 * and reads the left one as it is. There a weight matrix that changes every step is best kept on
 * the left of each product. The other backends (webgl, webgpu, cpu, libtensorflow) read both
 * operands in place, and the extra transposes only cost time (the dA's step on webgl in headless
 * Chromium with SwiftShader: 72-81 ms with plain products, 88-90 ms with the weights on the left).
 */
export function packsRightOperand(): boolean {
  return tf.getBackend() === 'wasm';
}
