import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, Random } from '@sdae/core';
import { afterEach, describe, expect, it } from 'vitest';
import './register';
import { selectBackend } from './select-backend';
import { expectArraysClose } from './testing-helpers';
import { MAX_WASM_THREADS, resolveWasmThreads } from './wasm-threads';
import { wasmThreadsInUse } from './wasm-threads-in-use';

// vitest runs each test file in its own process, so wasm starts here for the first time, with
// the threads this file asks for (vitest.shared.ts sets SDAE_WASM_THREADS=1 for the others).
const environmentThreads = process.env.SDAE_WASM_THREADS;
afterEach(() => {
  process.env.SDAE_WASM_THREADS = environmentThreads;
});

describe('resolveWasmThreads', () => {
  it('takes the option, else SDAE_WASM_THREADS, else every core up to 8', () => {
    process.env.SDAE_WASM_THREADS = '3';
    expect(resolveWasmThreads(2)).toBe(2);
    expect(resolveWasmThreads(undefined)).toBe(3);
    delete process.env.SDAE_WASM_THREADS;
    expect(resolveWasmThreads(undefined)).toBe(Math.min(os.availableParallelism(), MAX_WASM_THREADS));
  });

  it('refuses a count that is not a whole number from 1 to 8, naming where it came from', () => {
    expect(() => resolveWasmThreads(0)).toThrow(InvalidArgumentError);
    expect(() => resolveWasmThreads(0)).toThrow('selectBackend: wasmThreads must be a whole number >= 1; received 0.');
    expect(() => resolveWasmThreads(2.5)).toThrow('wasmThreads must be a whole number >= 1; received 2.5');
    expect(() => resolveWasmThreads(9)).toThrow(/wasmThreads .*9/);
    process.env.SDAE_WASM_THREADS = 'many';
    expect(() => resolveWasmThreads(undefined)).toThrow('selectBackend: SDAE_WASM_THREADS must be a whole number >= 1; received "many".');
    // Decimal notation only, as the command's flags read numbers: Number() would read 0x2 as 2.
    process.env.SDAE_WASM_THREADS = '0x2';
    expect(() => resolveWasmThreads(undefined)).toThrow('selectBackend: SDAE_WASM_THREADS must be a whole number >= 1; received "0x2".');
  });
});

describe('wasm with two threads in Node', () => {
  it('starts tfjs’s threaded build, says so, and leaves no patch behind', async () => {
    const [blob, createObjectURL, cpus] = [globalThis.Blob, URL.createObjectURL, os.cpus];
    const report = await selectBackend({ backend: 'wasm', wasmThreads: 2 });
    expect(report.tried.at(-1)!.reason).toMatch(/^started \(SIMD on, 2 threads\)$/);
    expect(wasmThreadsInUse()).toBe(2);
    expect([globalThis.Blob, URL.createObjectURL, os.cpus]).toEqual([blob, createObjectURL, cpus]);
  });

  it('computes what the cpu backend computes: products, convolutions and their gradients', async () => {
    await selectBackend({ backend: 'wasm', wasmThreads: 2 });
    const random = new Random(5);
    const values = (length: number) => Float32Array.from({ length }, () => random.next() * 2 - 1);
    const [a, b] = [values(64 * 300), values(300 * 200)];
    const [x, filter] = [values(8 * 14 * 14 * 3), values(5 * 5 * 3 * 6)];
    const compute = () =>
      tf.tidy(() => {
        const product = tf.matMul(tf.tensor2d(a, [64, 300]), tf.tensor2d(b, [300, 200]));
        const input = tf.tensor4d(x, [8, 14, 14, 3]);
        const weights = tf.tensor4d(filter, [5, 5, 3, 6]);
        const loss = (i: tf.Tensor, w: tf.Tensor) =>
          tf
            .maxPool(tf.relu(tf.conv2d(i as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid')
            .square()
            .sum();
        const [inputGradient, filterGradient] = tf.grads(loss)([input, weights]);
        return [product, inputGradient!, filterGradient!].map((tensor) => tensor.dataSync());
      });
    const threaded = compute();
    await tf.setBackend('cpu');
    const reference = compute();
    await tf.setBackend('wasm');
    for (let index = 0; index < reference.length; index++) expectArraysClose(threaded[index]!, reference[index]!, 1e-4);
  });
});

describe('wasm threads from node -e', () => {
  // The built package, run as a user would from `node -e`; turbo builds @sdae/backend before its tests.
  const run =
    "const report = await selectBackend({ backend: 'wasm', wasmThreads: 2 });" +
    'console.log(report.tried.at(-1).reason, tf.matMul(tf.ones([128, 128]), tf.ones([128, 128])).dataSync()[0]);';
  const moduleScript = `import { selectBackend } from '@sdae/backend'; import * as tf from '@tensorflow/tfjs-core'; ${run}`;
  const commonJsScript = `(async () => { const { selectBackend } = await import('@sdae/backend'); const tf = await import('@tensorflow/tfjs-core'); ${run} })();`;

  it.each([
    ['--input-type=module', ['--input-type=module', '-e', moduleScript]],
    ['-e (CommonJS)', ['-e', commonJsScript]],
  ])(
    'starts two threads under %s instead of crashing its workers',
    (_, args) => {
      const result = spawnSync(process.execPath, args, {
        cwd: dirname(dirname(fileURLToPath(import.meta.url))),
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, SDAE_WASM_THREADS: '' },
      });
      expect(result.stderr).not.toMatch(/require is not defined/);
      expect(result.stdout.trim()).toBe('started (SIMD on, 2 threads) 128');
      expect(result.status).toBe(0);
    },
    120_000,
  );
});
