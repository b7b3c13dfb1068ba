import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect } from 'vitest';
import { selectBackend } from './select-backend';
import { type BackendName } from './backend-specs';
import { resolveEngine } from './resolve-engine';
import { BackendUnavailableError } from './errors';

/** The backends every unit suite runs on: both work in Node and in browsers without a GPU. */
export const TEST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

/**
 * Runs the same tests on each backend: one `describe('<title> [<backend>]')` per backend, with
 * that backend selected before its tests run.
 *
 * @example
 * describeBackends(['cpu', 'wasm'], 'DenoisingAutoencoder', (backend) => {
 *   it('reconstructs', () => { ... });
 * });
 */
export function describeBackends(backends: readonly BackendName[], title: string, body: (backend: BackendName) => void): void {
  for (const backend of backends) {
    describe(`${title} [${backend}]`, () => {
      beforeAll(async () => {
        await selectBackend({ backend });
      });
      body(backend);
    });
  }
}

type Numbers = tf.Tensor | ArrayLike<number> | number;

function toArray(values: Numbers): ArrayLike<number> {
  if (typeof values === 'number') return [values];
  if (values instanceof tf.Tensor) return values.dataSync();
  return values;
}

/**
 * Asserts two arrays (or tensors) have the same length and agree element-wise within
 * `tolerance * max(1, |expected|)`; names the first element that does not.
 */
export function expectArraysClose(actual: Numbers, expected: Numbers, tolerance = 1e-4): void {
  const a = toArray(actual);
  const b = toArray(expected);
  expect(a.length, 'length').toBe(b.length);
  let worst = -1;
  let worstExcess = 0;
  for (let index = 0; index < a.length; index++) {
    const excess = Math.abs(a[index] - b[index]) - tolerance * Math.max(1, Math.abs(b[index]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = index;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: ${a[worst]} differs from ${b[worst]} by more than ${tolerance} (relative beyond 1)`);
  }
}

/**
 * Why the native engine cannot train on WebGPU here (no onnxruntime-node, no Vulkan driver Dawn
 * accepts: Mesa >= 24's lavapipe on a machine without a GPU), or undefined when it can. Device
 * tests skip with this reason, printed once.
 */
export async function webgpuSkipReason(): Promise<string | undefined> {
  try {
    await resolveEngine({ engine: 'native', device: 'webgpu' });
    return undefined;
  } catch (error) {
    if (!BackendUnavailableError.isInstance(error)) throw error;
    const reason = `skipped: the native engine cannot start on WebGPU here (${error.reason}); install Mesa >= 24's software Vulkan (scripts/run.mjs does) or run on a GPU`;
    console.warn(reason);
    return reason;
  }
}
