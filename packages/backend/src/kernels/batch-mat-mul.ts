import {
  getKernel,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { HeapBackend } from './heap-backend';

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/**
 * How many untransposed products a large right operand goes through swapped, on its cached
 * transpose, before the stock kernel packs it: 2, the uses of a weight matrix that changes every
 * step (the tied dA multiplies by its `W` in `x W` and in `delta_z W`).
 */
export const SWAPPED_USES = 2;

/** At most this many transposed right operands are kept between products. */
export const MAX_CACHED_TRANSPOSES = 4;

/**
 * A `BatchMatMul` that never hands a transposed operand to the stock kernel.
 *
 * Why: the stock wasm kernel reaches XNNPACK only for untransposed operands. With `transposeA`
 * or `transposeB` it falls back to a loop that is 13-20x slower on the dA's shapes (a
 * `[20, 784] x [784, 500]` product: 0.8 ms plain, 10 ms with `transposeB`, 16 ms with
 * `transposeA`), and gradients of matrix products are exactly such products.
 *
 * And never packs a large right operand that changes every step. XNNPACK packs the right operand
 * of a product into its own layout and caches the packing per tensor (freed with the tensor).
 * For a weight matrix that changes every training step, the packing is redone every step and
 * costs far more than the product: a `[20, 1000] x [1000, 1000]` product takes 1.5 ms with the
 * packing cached and 11 ms with a new matrix. Model code calls plain products and never asks
 * which backend runs them; this kernel alone decides the orientation.
 *
 * How, by the sizes of the operands (the backend's own `Transpose` does the transposing):
 * - `a bᵀ` with a small `a` (a minibatch's gradient times a weight matrix `b`, the input
 *   gradient of every dense layer) is computed as `(b aᵀ)ᵀ`: only minibatch-sized data is
 *   transposed, and the weight matrix is the left operand, which XNNPACK reads as it is;
 * - `a b` with a small `a` and a large `b` is computed as `(bᵀ aᵀ)ᵀ` the first
 *   {@link SWAPPED_USES} times `b` comes (a dense layer's forward pass during training, and the
 *   tied dA's `delta_z W`): transposing `b` costs about a fifth of packing it, and `bᵀ` is kept,
 *   so a second product with the same `b` in the same step transposes nothing. From the next use
 *   on (evaluating many minibatches with fixed weights) the stock product runs, packs `b` once
 *   and keeps its packing, which is faster than the swapped product from then on; `bᵀ` is freed;
 * - otherwise each flagged operand is transposed first and the product runs untransposed.
 *
 * The kept transposes live on the wasm heap outside tfjs's tensor count: at most
 * {@link MAX_CACHED_TRANSPOSES} of them (the oldest is freed first), and the transpose of a
 * tensor that has been freed is freed at the next product, so memory stays flat across steps.
 * Results equal the stock product's up to float rounding (the sums run in another order).
 */
export function untransposedBatchMatMulKernel(backendName: string, stock: KernelConfig): KernelFunc {
  return (params) => {
    const attrs = params.attrs as unknown as BatchMatMulAttrs;
    const a = params.inputs.a as TensorInfo;
    const b = params.inputs.b as TensorInfo;
    const backend = params.backend as unknown as HeapBackend;
    const transpose = getKernel('Transpose', backendName);
    if (transpose === undefined) return stock.kernelFunc(params);
    const plain = !attrs.transposeA && !attrs.transposeB;
    freeTransposesOfFreedTensors();
    const swap = plain && swapsRightOperand(a, b);
    if (plain && !swap) return stock.kernelFunc(params);
    const transposed = (tensor: TensorInfo): TensorInfo =>
      transpose.kernelFunc({
        inputs: { x: tensor },
        backend: params.backend,
        attrs: { perm: swapLastTwo(tensor.shape.length) } as unknown as NamedAttrMap,
      }) as TensorInfo;
    const product = (a: TensorInfo, b: TensorInfo): TensorInfo =>
      stock.kernelFunc({
        inputs: { a, b },
        backend: params.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as NamedAttrMap,
      }) as TensorInfo;
    // Intermediates, freed once the result exists.
    const made: TensorInfo[] = [];
    const keep = (tensor: TensorInfo) => (made.push(tensor), tensor);
    try {
      if (swap) return transposed(keep(product(cachedTranspose(b, backend, transposed), keep(transposed(a)))));
      if (attrs.transposeB && !attrs.transposeA && smallTimesLarge(a, b)) return transposed(keep(product(b, keep(transposed(a)))));
      return product(attrs.transposeA ? keep(transposed(a)) : a, attrs.transposeB ? keep(transposed(b)) : b);
    } finally {
      for (const tensor of made) backend.disposeData(tensor.dataId);
    }
  };
}

/**
 * The untransposed products each right operand has been through swapped so far; `Infinity` once
 * the stock kernel has packed it (its packing is kept, so it stays there).
 */
const swappedUses = new WeakMap<object, number>();

/** Transposes of right operands (by their `dataId`), oldest first. */
const transposes = new Map<object, { backend: HeapBackend; transposed: TensorInfo }>();

/** Whether the untransposed product `a b` runs swapped; counts the use. */
function swapsRightOperand(a: TensorInfo, b: TensorInfo): boolean {
  const uses = swappedUses.get(b.dataId) ?? 0;
  const swap = uses < SWAPPED_USES && smallTimesLarge(a, b);
  swappedUses.set(b.dataId, swap ? uses + 1 : Infinity);
  if (!swap) freeTranspose(b.dataId);
  return swap;
}

/** `bᵀ`, transposed now or kept from an earlier product; owned by the cache. */
function cachedTranspose(b: TensorInfo, backend: HeapBackend, transposed: (tensor: TensorInfo) => TensorInfo): TensorInfo {
  const cached = transposes.get(b.dataId);
  if (cached !== undefined) return cached.transposed;
  const entry = { backend, transposed: transposed(b) };
  transposes.set(b.dataId, entry);
  while (transposes.size > MAX_CACHED_TRANSPOSES) freeTranspose(transposes.keys().next().value!);
  return entry.transposed;
}

function freeTranspose(dataId: object): void {
  const entry = transposes.get(dataId);
  if (entry === undefined) return;
  transposes.delete(dataId);
  entry.backend.disposeData(entry.transposed.dataId);
}

/** Frees the kept transposes of tensors that have been freed since (a weight matrix of an earlier step). */
function freeTransposesOfFreedTensors(): void {
  for (const [dataId, { backend }] of transposes) if (backend.refCount(dataId) === 0) freeTranspose(dataId);
}

/**
 * Frees every kept transpose, for when the kernel is unregistered.
 * @internal
 */
export function freeCachedTransposes(): void {
  for (const dataId of [...transposes.keys()]) freeTranspose(dataId);
}

/**
 * Whether a product of a small `a` with a large `b` (`a b` or `a bᵀ`) is cheaper with the
 * operands swapped: unbatched (every batch size 1), and transposing `a` and the result moves
 * fewer values (m k + m n) than `b` holds (n k).
 */
function smallTimesLarge(a: TensorInfo, b: TensorInfo): boolean {
  if (a.shape.length !== b.shape.length || ![a, b].every((tensor) => tensor.shape.slice(0, -2).every((size) => size === 1))) return false;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape.reduce((product, size) => product * size, 1) / k;
  return m * k + m * n < n * k;
}
