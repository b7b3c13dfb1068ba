import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * An `Identity` that shares its input's memory (one more reference to it) instead of copying it,
 * as tfjs's cpu backend and the wasm backend's own `Reshape` do; tensors are immutable, so the
 * copy is never needed. Strings go to the stock kernel.
 *
 * Why: automatic differentiation clones every tensor it saves for the backward pass
 * (`Engine.saveTensorsForBackwardMode`), and the stock wasm kernel copies each one in JS. A
 * training step of the small CNN made 24 such copies, up to 1.8 MB each.
 */
export function sharedIdentityKernel(stock: KernelConfig): KernelFunc {
  return (params) => {
    const x = params.inputs.x as TensorInfo;
    if (x.dtype === 'string') return stock.kernelFunc(params);
    (params.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
