import { getKernel, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/**
 * A `BatchMatMul` that never hands a transposed operand to the stock kernel: a flagged operand is
 * transposed first (the backend's own `Transpose`) and the stock product runs untransposed.
 *
 * Why: the stock wasm kernel reaches XNNPACK only for untransposed operands. With `transposeA`
 * or `transposeB` it falls back to a loop that is 13-20x slower on the dA's shapes (a
 * `[20, 784] x [784, 500]` product: 0.8 ms plain, 10 ms with `transposeB`, 16 ms with
 * `transposeA`), and gradients of matrix products are exactly such products.
 */
export function untransposedBatchMatMulKernel(backendName: string, stock: KernelConfig): KernelFunc {
  return (params) => {
    const attrs = params.attrs as unknown as BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(params);
    const transpose = getKernel('Transpose', backendName);
    if (transpose === undefined) return stock.kernelFunc(params);
    const backend = params.backend as unknown as DisposingBackend;
    const made: TensorInfo[] = [];
    const plain = (tensor: TensorInfo, flagged: boolean): TensorInfo => {
      if (!flagged) return tensor;
      const transposed = transpose.kernelFunc({
        inputs: { x: tensor },
        backend: params.backend,
        attrs: { perm: swapLastTwo(tensor.shape.length) } as unknown as NamedAttrMap,
      }) as TensorInfo;
      made.push(transposed);
      return transposed;
    };
    try {
      return stock.kernelFunc({
        inputs: { a: plain(params.inputs.a as TensorInfo, attrs.transposeA), b: plain(params.inputs.b as TensorInfo, attrs.transposeB) },
        backend: params.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as NamedAttrMap,
      });
    } finally {
      for (const tensor of made) backend.disposeData(tensor.dataId);
    }
  };
}
