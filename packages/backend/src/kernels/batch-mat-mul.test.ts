import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@sdae/core';
import { beforeEach, expect, it } from 'vitest';
import '../register';
import { describeBackends, expectArraysClose } from '../testing-helpers';
import { MAX_CACHED_TRANSPOSES, SWAPPED_USES, freeCachedTransposes } from './batch-mat-mul';

/** A row-major matrix (or a batch of them) as nested float64 arrays, by definition. */
function reference(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): Float64Array {
  const [batchA, rowsA, columnsA] = aShape.length === 2 ? [1, ...aShape] : aShape;
  const [batchB, rowsB, columnsB] = bShape.length === 2 ? [1, ...bShape] : bShape;
  const [m, k] = transposeA ? [columnsA!, rowsA!] : [rowsA!, columnsA!];
  const n = transposeB ? rowsB! : columnsB!;
  const batch = Math.max(batchA!, batchB!);
  const atA = (index: number, row: number, column: number): number =>
    a[((batchA === 1 ? 0 : index) * rowsA! + (transposeA ? column : row)) * columnsA! + (transposeA ? row : column)]!;
  const atB = (index: number, row: number, column: number): number =>
    b[((batchB === 1 ? 0 : index) * rowsB! + (transposeB ? column : row)) * columnsB! + (transposeB ? row : column)]!;
  const out = new Float64Array(batch * m * n);
  for (let index = 0; index < batch; index++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += atA(index, i, p) * atB(index, p, j);
        out[(index * m + i) * n + j] = sum;
      }
  return out;
}

const CASES: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
  { a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { a: [2, 6, 4], b: [2, 5, 6], transposeA: true, transposeB: true },
  { a: [3, 4, 6], b: [1, 5, 6], transposeA: false, transposeB: true },
  // A minibatch times a large matrix transposed: computed as (b a^T)^T on wasm.
  { a: [3, 40], b: [50, 40], transposeA: false, transposeB: true },
  { a: [1, 2, 30], b: [1, 25, 30], transposeA: false, transposeB: true },
  // A minibatch times a large matrix met for the first time: computed as (b^T a^T)^T on wasm.
  { a: [2, 30], b: [30, 40], transposeA: false, transposeB: false },
];

describeBackends(['cpu', 'wasm'], 'BatchMatMul', () => {
  for (const { a: aShape, b: bShape, transposeA, transposeB } of CASES) {
    it(`matches the definition for [${aShape}] x [${bShape}], transposeA ${transposeA}, transposeB ${transposeB}`, () => {
      const random = new Random(aShape.length * 97 + bShape[0]! * 13 + Number(transposeA) * 2 + Number(transposeB));
      const aValues = Float32Array.from({ length: aShape.reduce((x, y) => x * y, 1) }, () => random.next() * 2 - 1);
      const bValues = Float32Array.from({ length: bShape.reduce((x, y) => x * y, 1) }, () => random.next() * 2 - 1);
      const product = tf.matMul(tf.tensor(aValues, aShape), tf.tensor(bValues, bShape), transposeA, transposeB);
      expectArraysClose(product, reference(aValues, aShape, bValues, bShape, transposeA, transposeB), 1e-5);
    });
  }

  it('gives the gradients of a matrix product (which are transposed products) by their definition', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, -1, 0, 2, 3, 1], [3, 2]);
    // d/da sum(a b) = ones(2, 2) b^T: each row is the row sums of b; d/db = a^T ones(2, 2): each column is the column sums of a.
    const [gradientA, gradientB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
    expectArraysClose(gradientA!, [0, 2, 4, 0, 2, 4], 1e-6);
    expectArraysClose(gradientB!, [5, 5, 7, 7, 9, 9], 1e-6);
    tf.dispose([a, b, gradientA!, gradientB!]);
  });

  it('gives the same product for a large right operand met once (swapped), again (its kept transpose) and a third time (packed)', () => {
    const random = new Random(11);
    const aValues = Float32Array.from({ length: 3 * 50 }, () => random.next() * 2 - 1);
    const bValues = Float32Array.from({ length: 50 * 60 }, () => random.next() * 2 - 1);
    const [a, b] = [tf.tensor2d(aValues, [3, 50]), tf.tensor2d(bValues, [50, 60])];
    const expected = reference(aValues, [3, 50], bValues, [50, 60], false, false);
    const [first, second, third] = [tf.matMul(a, b), tf.matMul(a, b), tf.matMul(a, b)];
    expectArraysClose(first, expected, 1e-5);
    expectArraysClose(second, expected, 1e-5);
    expectArraysClose(third, expected, 1e-5);
    tf.dispose([a, b, first, second, third]);
  });

  for (const [aShape, bShape, transposeA, transposeB] of [
    [[8, 6], [5, 8], true, true],
    [[2, 30], [40, 30], false, true],
    [[2, 30], [30, 40], false, false],
  ] as const) {
    it(`leaves no tensor and no backend memory behind for [${aShape}] x [${bShape}], transposeA ${transposeA}, transposeB ${transposeB}`, () => {
      // A new right operand each round, as in training, so the swapped path runs every time.
      const a = tf.randomUniform([...aShape]) as tf.Tensor2D;
      const round = () => tf.tidy(() => tf.matMul(a, tf.randomUniform([...bShape]) as tf.Tensor2D, transposeA, transposeB));
      tf.dispose(round());
      const before = tf.memory();
      for (let index = 0; index < 3; index++) tf.dispose(round());
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      a.dispose();
    });
  }
});

describeBackends(['wasm'], "BatchMatMul's kept transposes", () => {
  interface WasmBackend {
    numDataIds(): number;
    wasm: { HEAPU8: Uint8Array };
  }
  const backend = () => tf.backend() as unknown as WasmBackend;
  // Buffers on the wasm heap beyond those of tensors (counted over every backend, so relative to
  // when no transpose was kept): the transposes the kernel keeps.
  let unkept = 0;
  const keptBuffers = () => backend().numDataIds() - tf.memory().numDataBuffers - unkept;
  beforeEach(() => {
    freeCachedTransposes();
    unkept = backend().numDataIds() - tf.memory().numDataBuffers;
  });
  const minibatch = () => tf.randomUniform([2, 30]) as tf.Tensor2D;
  const weights = () => tf.randomUniform([30, 40]) as tf.Tensor2D;

  it(`keeps one transpose over a right operand's first ${SWAPPED_USES} products and frees it when the stock kernel packs it`, () => {
    const [a, b] = [minibatch(), weights()];
    const kept: number[] = [];
    for (let use = 0; use <= SWAPPED_USES; use++) {
      tf.dispose(tf.matMul(a, b));
      kept.push(keptBuffers());
    }
    expect(kept).toEqual([...Array<number>(SWAPPED_USES).fill(1), 0]);
    tf.dispose([a, b]);
  });

  it('frees the transpose of a right operand at the next product once that operand is freed', () => {
    const [a, b, c] = [minibatch(), weights(), weights()];
    tf.dispose(tf.matMul(a, b));
    b.dispose();
    tf.dispose(tf.matMul(a, c));
    expect(keptBuffers()).toBe(1);
    tf.dispose([a, c]);
  });

  it(`keeps at most ${MAX_CACHED_TRANSPOSES} transposes however many right operands are alive`, () => {
    const a = minibatch();
    const alive = Array.from({ length: 3 * MAX_CACHED_TRANSPOSES }, () => weights());
    const kept = alive.map((b) => (tf.dispose(tf.matMul(a, b)), keptBuffers()));
    expect(Math.max(...kept)).toBe(MAX_CACHED_TRANSPOSES);
    freeCachedTransposes();
    expect(keptBuffers()).toBe(0);
    tf.dispose([a, ...alive]);
  });

  it('keeps tensors, heap buffers and the wasm heap flat over training steps that use a changing weight matrix twice', () => {
    const initial = tf.randomUniform([784, 500], -0.1, 0.1);
    const W = tf.variable(initial);
    initial.dispose();
    const x = tf.randomUniform([20, 784]) as tf.Tensor2D;
    // The tied dA's products: x W, h W^T, delta W; then W changes.
    const step = () => {
      tf.tidy(() => {
        const hidden = tf.sigmoid(tf.matMul(x, W));
        const delta = tf.sub(tf.sigmoid(tf.matMul(hidden, W, false, true)), x);
        W.assign(tf.sub(W, tf.mul(0.01, tf.matMul(x, tf.mul(hidden, tf.matMul(delta, W)), true, false))));
      });
    };
    for (let index = 0; index < 3; index++) step();
    const before = { numTensors: tf.memory().numTensors, numDataIds: backend().numDataIds(), heapBytes: backend().wasm.HEAPU8.byteLength };
    for (let index = 0; index < 30; index++) step();
    expect({ numTensors: tf.memory().numTensors, numDataIds: backend().numDataIds(), heapBytes: backend().wasm.HEAPU8.byteLength }).toEqual(
      before,
    );
    expect(keptBuffers()).toBeLessThanOrEqual(1);
    tf.dispose([W, x]);
    freeCachedTransposes();
  });
});

it('BatchMatMul on wasm is registered by sdae and reported as replacing a slow kernel', async () => {
  const { filledKernels } = await import('./training-kernels');
  expect(filledKernels('wasm')).toContainEqual({ kernelName: 'BatchMatMul', backendName: 'wasm', reason: 'slow' });
  expect(filledKernels('cpu').map((kernel) => kernel.kernelName)).not.toContain('BatchMatMul');
});
