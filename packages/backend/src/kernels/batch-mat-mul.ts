import { getKernel, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { HeapBackend } from './heap-backend';

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/**
 * A `BatchMatMul` that never hands a transposed operand to the stock kernel.
 *
 * Why: the stock wasm kernel reaches XNNPACK only for untransposed operands. With `transposeA`
 * or `transposeB` it falls back to a loop that is 13-20x slower on the dA's shapes (a
 * `[20, 784] x [784, 500]` product: 0.8 ms plain, 10 ms with `transposeB`, 16 ms with
 * `transposeA`), and gradients of matrix products are exactly such products.
 *
 * And never packs a large right operand that is seen for the first time. XNNPACK packs the right
 * operand of a product into its own layout and caches the packing per tensor. For a weight
 * matrix that changes every training step, the packing is redone every step and costs far more
 * than the product: a `[20, 1000] x [1000, 1000]` product takes 1.5 ms with the packing cached
 * and 11 ms with a new matrix.
 *
 * How, by the sizes of the operands (the backend's own `Transpose` does the transposing):
 * - `a bᵀ` with a small `a` (a minibatch's gradient times a weight matrix `b`, the input
 *   gradient of every dense layer) is computed as `(b aᵀ)ᵀ`: only minibatch-sized data is
 *   transposed, and the weight matrix is the left operand, which XNNPACK reads as it is;
 * - `a b` with a small `a` and a large `b` met for the first time (a dense layer's forward pass
 *   during training) is computed as `(bᵀ aᵀ)ᵀ`: transposing `b` costs about a fifth of packing
 *   it. When the same `b` comes again (evaluating many minibatches with fixed weights), the
 *   stock product runs and its packing is cached from then on;
 * - otherwise each flagged operand is transposed first and the product runs untransposed.
 */
export function untransposedBatchMatMulKernel(backendName: string, stock: KernelConfig): KernelFunc {
  return (params) => {
    const attrs = params.attrs as unknown as BatchMatMulAttrs;
    const a = params.inputs.a as TensorInfo;
    const b = params.inputs.b as TensorInfo;
    const plain = !attrs.transposeA && !attrs.transposeB;
    const unpackedLargeRight = plain && smallTimesLarge(a, b) && !rightOperands.has(b.dataId);
    if (plain) rightOperands.add(b.dataId);
    if (plain && !unpackedLargeRight) return stock.kernelFunc(params);
    const transpose = getKernel('Transpose', backendName);
    if (transpose === undefined) return stock.kernelFunc(params);
    const backend = params.backend as unknown as HeapBackend;
    const transposed = (tensor: TensorInfo): TensorInfo =>
      transpose.kernelFunc({
        inputs: { x: tensor },
        backend: params.backend,
        attrs: { perm: swapLastTwo(tensor.shape.length) } as unknown as NamedAttrMap,
      }) as TensorInfo;
    const product = (a: TensorInfo, b: TensorInfo): TensorInfo =>
      stock.kernelFunc({ inputs: { a, b }, backend: params.backend, attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as NamedAttrMap }) as TensorInfo;
    // Intermediates, freed once the result exists.
    const made: TensorInfo[] = [];
    const keep = (tensor: TensorInfo) => (made.push(tensor), tensor);
    try {
      if (unpackedLargeRight) return transposed(keep(product(keep(transposed(b)), keep(transposed(a)))));
      if (attrs.transposeB && !attrs.transposeA && smallTimesLarge(a, b)) return transposed(keep(product(b, keep(transposed(a)))));
      return product(attrs.transposeA ? keep(transposed(a)) : a, attrs.transposeB ? keep(transposed(b)) : b);
    } finally {
      for (const tensor of made) backend.disposeData(tensor.dataId);
    }
  };
}

/** The right operands of untransposed products so far: met again, they are packed by the stock kernel. */
const rightOperands = new WeakSet<object>();

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
