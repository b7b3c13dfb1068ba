import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { freeCachedTransposes, untransposedBatchMatMulKernel } from './batch-mat-mul';
import { CPU_COLUMNS, WASM_COLUMNS, conv2DBackpropFilterKernel } from './conv2d-backprop-filter';
import { filterGradientByConvolution, inputGradientByConvolution } from './conv-gradients-as-convolutions';
import { maxPoolGradOnHeap } from './max-pool-grad';
import { sharedIdentityKernel } from './shared-identity';

/** A kernel sdae registers for training, and why. */
export interface FilledKernel {
  kernelName: string;
  backendName: string;
  /** `'missing'`: tfjs has none for this backend; `'slow'`: sdae replaces a much slower one. */
  reason: 'missing' | 'slow';
}

const stockKernels = new Map<string, KernelConfig>();
let registered: FilledKernel[] = [];

function replace(
  kernelName: string,
  backendName: string,
  make: (stock: KernelConfig | undefined) => KernelConfig['kernelFunc'],
): FilledKernel {
  const stock = getKernel(kernelName, backendName);
  if (stock !== undefined) {
    stockKernels.set(`${kernelName}/${backendName}`, stock);
    unregisterKernel(kernelName, backendName);
  }
  // The stock kernel's setupFunc (wasm: binding its C function) must still run when the backend
  // starts, since the replacement calls the stock kernelFunc.
  registerKernel({ ...stock, kernelName, backendName, kernelFunc: make(stock) });
  return { kernelName, backendName, reason: stock === undefined ? 'missing' : 'slow' };
}

/** Replaces a kernel that exists but is slow; nothing when the backend has no such kernel. */
function speedUp(
  kernelName: string,
  backendName: string,
  make: (stock: KernelConfig) => KernelConfig['kernelFunc'],
): FilledKernel | undefined {
  return getKernel(kernelName, backendName) === undefined ? undefined : replace(kernelName, backendName, (stock) => make(stock!));
}

/**
 * Registers the kernels that training needs and tfjs lacks or runs too slowly:
 * - `Conv2DBackpropFilter` on wasm (missing upstream): a forward `Conv2D` (XNNPACK) of x with dy
 *   as the filter, or im2col plus a matrix product where that does not apply;
 * - `Conv2DBackpropFilter` on cpu (the stock one takes seconds per MNIST batch): im2col and one
 *   JS product;
 * - `Conv2DBackpropInput` on wasm, stride 1: a forward `Conv2D` with the flipped filter, 4-5x
 *   faster than the stock loop;
 * - `MaxPoolGrad` on wasm: one pass over the windows, about 5x faster than the stock kernel;
 * - `BatchMatMul` on wasm, whose stock kernel is 13-20x slower with a transposed operand (every
 *   gradient of a matrix product has one), and whose XNNPACK packing of a new weight matrix
 *   costs more than the product: operands are transposed or swapped, a weight matrix's transpose
 *   kept for its second product in a step;
 * - `Identity` on wasm, which copied every tensor autodiff saves: it shares the memory.
 *
 * Idempotent; importing `@sdae/backend` already calls it.
 *
 * @returns the kernels registered.
 */
export function registerTrainingKernels(): FilledKernel[] {
  if (registered.length > 0) return registered;
  registered = [
    replace('Conv2DBackpropFilter', 'cpu', (stock) => conv2DBackpropFilterKernel('cpu', CPU_COLUMNS, stock)),
    replace('Conv2DBackpropFilter', 'wasm', (stock) =>
      filterGradientByConvolution('wasm', conv2DBackpropFilterKernel('wasm', WASM_COLUMNS, stock)),
    ),
    speedUp('Conv2DBackpropInput', 'wasm', (stock) => inputGradientByConvolution('wasm', stock)),
    speedUp('MaxPoolGrad', 'wasm', () => maxPoolGradOnHeap),
    speedUp('BatchMatMul', 'wasm', (stock) => untransposedBatchMatMulKernel('wasm', stock)),
    speedUp('Identity', 'wasm', (stock) => sharedIdentityKernel(stock)),
  ].filter((kernel): kernel is FilledKernel => kernel !== undefined);
  return registered;
}

/**
 * Puts back the stock tfjs kernels that {@link registerTrainingKernels} replaced and removes the
 * ones it added. For benchmarks and tests that compare against stock tfjs.
 */
export function unregisterTrainingKernels(): void {
  for (const { kernelName, backendName } of registered) {
    unregisterKernel(kernelName, backendName);
    const stock = stockKernels.get(`${kernelName}/${backendName}`);
    if (stock !== undefined) registerKernel(stock);
  }
  registered = [];
  stockKernels.clear();
  freeCachedTransposes();
}

/** The kernels sdae has registered for a backend (or for all backends). */
export function filledKernels(backendName?: string): FilledKernel[] {
  return registered.filter((kernel) => backendName === undefined || kernel.backendName === backendName);
}
