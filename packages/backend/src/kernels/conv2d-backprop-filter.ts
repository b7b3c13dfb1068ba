import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { InvalidArgumentError, describeValue } from '@sdae/core';
import { kernelOf, type HeapBackend } from './heap-backend';
import { im2col, type Conv2DInfo } from './im2col';

/** What the kernel needs from a backend beyond its own kernels: making the im2col matrix, freeing. */
export interface ColumnsAccess {
  /**
   * Returns a float32 tensor holding `im2col(x)^T`, `[depth, rows]`, so that the filter gradient
   * `im2col(x)^T dy` is one untransposed product with the large matrix on the left (XNNPACK
   * packs only the right operand, the small `dy`).
   */
  columns(backend: unknown, x: TensorInfo, info: Conv2DInfo, rows: number, depth: number): TensorInfo;
  /** Releases an intermediate tensor made inside the kernel. */
  release(backend: unknown, tensor: TensorInfo): void;
  /**
   * Computes `columns dy` (`[depth, outChannels]`) when the backend's own BatchMatMul is not the
   * fastest way; when absent, BatchMatMul does it.
   */
  transposedProduct?(backend: unknown, columns: TensorInfo, dy: TensorInfo, rows: number, depth: number, outChannels: number): TensorInfo;
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
  disposeIntermediateTensorInfo(tensor: TensorInfo): void;
}

/**
 * The cpu backend keeps values in JS typed arrays, and its BatchMatMul is slow for this tall,
 * thin product, so the product is one JS loop over `columns^T` (made transposed, so each pass
 * reads contiguously) with four output channels accumulated in registers at a time.
 */
export const CPU_COLUMNS: ColumnsAccess = {
  columns(backend, x, info, rows, depth) {
    const cpu = backend as CpuBackend;
    const columnsTransposed = new Float32Array(rows * depth);
    im2col(cpu.data.get(x.dataId).values as Float32Array, info, columnsTransposed, true);
    return cpu.makeTensorInfo([depth, rows], 'float32', columnsTransposed);
  },
  release: (backend, tensor) => (backend as CpuBackend).disposeIntermediateTensorInfo(tensor),
  transposedProduct(backend, columnsTransposed, dy, rows, depth, outChannels) {
    const cpu = backend as CpuBackend;
    const a = cpu.data.get(columnsTransposed.dataId).values as Float32Array;
    const b = cpu.data.get(dy.dataId).values as Float32Array;
    const out = new Float32Array(depth * outChannels);
    for (let k = 0; k < depth; k++) {
      const base = k * rows;
      for (let channel = 0; channel < outChannels; channel += 4) {
        const width = Math.min(4, outChannels - channel);
        let sum0 = 0,
          sum1 = 0,
          sum2 = 0,
          sum3 = 0;
        for (let row = 0; row < rows; row++) {
          const value = a[base + row];
          if (value === 0) continue;
          const offset = row * outChannels + channel;
          sum0 += value * b[offset];
          if (width > 1) sum1 += value * b[offset + 1];
          if (width > 2) sum2 += value * b[offset + 2];
          if (width > 3) sum3 += value * b[offset + 3];
        }
        const target = k * outChannels + channel;
        out[target] = sum0;
        if (width > 1) out[target + 1] = sum1;
        if (width > 2) out[target + 2] = sum2;
        if (width > 3) out[target + 3] = sum3;
      }
    }
    return cpu.makeTensorInfo([depth, outChannels], 'float32', out);
  },
};

/** The wasm backend keeps values on its heap: write the columns there, with no copy. */
export const WASM_COLUMNS: ColumnsAccess = {
  columns(backend, x, info, rows, depth) {
    const wasm = backend as HeapBackend;
    // Allocate first: a heap growth would detach views taken earlier.
    const columns = wasm.makeOutput([depth, rows], 'float32');
    im2col(wasm.typedArrayFromHeap(x), info, wasm.typedArrayFromHeap(columns), true);
    return columns;
  },
  release: (backend, tensor) => void (backend as HeapBackend).disposeData(tensor.dataId),
};

/**
 * Makes a `Conv2DBackpropFilter` kernel for a backend: im2col, then `im2col(x)^T dy`, by the
 * backend's own `BatchMatMul` (wasm: XNNPACK) unless the access brings a faster product.
 * NHWC only; `fallback` (the stock kernel, when the backend has one) handles NCHW.
 */
export function conv2DBackpropFilterKernel(backendName: string, access: ColumnsAccess, fallback?: KernelConfig): KernelFunc {
  return (params) => {
    const { inputs, backend } = params;
    const attrs = params.attrs as unknown as Conv2DBackpropFilterAttrs;
    const x = inputs.x as TensorInfo;
    const dy = inputs.dy as TensorInfo;
    if (backend_util.convertConv2DDataFormat(attrs.dataFormat) !== 'channelsLast') {
      if (fallback !== undefined) return fallback.kernelFunc(params);
      throw new InvalidArgumentError(
        'dataFormat',
        attrs.dataFormat,
        `Conv2DBackpropFilter on ${backendName}: dataFormat must be 'NHWC' (channels last), the only layout this kernel supports; ` +
          `received ${describeValue(attrs.dataFormat)}. Pass dataFormat 'NHWC' to the convolution.`,
      );
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const depth = info.filterHeight * info.filterWidth * info.inChannels;
    const reshape = kernelOf('Conv2DBackpropFilter', 'Reshape', backendName);

    const columns = access.columns(backend, x, info, rows, depth);
    const dyMatrix = reshape({ inputs: { x: dy }, backend, attrs: { shape: [rows, info.outChannels] } }) as TensorInfo;
    const product =
      access.transposedProduct?.(backend, columns, dyMatrix, rows, depth, info.outChannels) ??
      (kernelOf(
        'Conv2DBackpropFilter',
        'BatchMatMul',
        backendName,
      )({
        inputs: { a: columns, b: dyMatrix },
        backend,
        attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
      }) as TensorInfo);
    const filterGradient = reshape({ inputs: { x: product }, backend, attrs: { shape: attrs.filterShape } }) as TensorInfo;
    for (const tensor of [columns, dyMatrix, product]) access.release(backend, tensor);
    return filterGradient;
  };
}
