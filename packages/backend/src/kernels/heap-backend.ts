import { getKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { SdaeError } from '@sdae/core';

/** What sdae's wasm kernels use of the wasm backend: values on its heap, handed out as typed arrays. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  /** How many tensors hold `dataId`'s values; 0 once they are freed. */
  refCount(dataId: object): number;
}

/**
 * A backend's own kernel, to run inside another kernel (`caller`, named in the error when the
 * backend lacks it).
 */
export function kernelOf(caller: string, kernelName: string, backendName: string): KernelFunc {
  const config = getKernel(kernelName, backendName);
  if (config === undefined) {
    throw new SdaeError(
      `${caller} on ${backendName} needs the ${kernelName} kernel, but none is registered for ${backendName}. ` +
        `Import @sdae/backend (or tfjs's ${backendName} backend) before running ${caller}, or run it on another backend.`,
    );
  }
  return config.kernelFunc;
}
