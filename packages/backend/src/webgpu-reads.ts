// Synchronous reads on WebGPU. tfjs-backend-webgpu 4.22 reads a tensor synchronously (dataSync,
// arraySync) by copying its buffer into the texture of a WebGPU canvas and drawing that canvas
// onto a 2D one. Chromium backs a WebGPU canvas with a shared image; on its fallback adapter
// (SwiftShader) the GPU process has no shared-image factory for one ("Could not find
// SharedImageBackingFactory ... WebgpuSwapChainTexture"), the page's WebGPU connection is lost,
// and with it every device: the read returns zeros and the next step fails with "A valid external
// Instance reference no longer exists" (mapAsync) or "createBuffer failed ... mappedAtCreation".
// So the webgpu backend sdae registers refuses such reads on a software adapter, with a
// SynchronousReadError naming the fix, before they can break the page.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { SynchronousReadError } from './errors';
import { describeWebgpuAdapter } from './gpu-renderer';

const GUARDED = Symbol.for('sdae.webgpu.guardedFactory');

type BackendFactory = (() => tf.KernelBackend | Promise<tf.KernelBackend>) & { [GUARDED]?: true };

/**
 * Wraps the registered webgpu backend's factory so that each backend it starts on a software
 * adapter refuses synchronous reads of values that are only on the GPU. Idempotent; importing
 * `@sdae/backend/webgpu` calls it.
 */
export function guardWebgpuSynchronousReads(): void {
  const stock = tf.findBackendFactory('webgpu') as BackendFactory | null;
  if (stock === null || stock[GUARDED] === true) return;
  const guarded: BackendFactory = async () => refuseSynchronousReadsOnSoftware((await stock()) as WebGPUBackend);
  guarded[GUARDED] = true;
  tf.removeBackend('webgpu');
  // Priority 3, as tfjs-backend-webgpu registers it.
  tf.registerBackend('webgpu', guarded, 3);
}

/** The backend, its `readSync` refusing values not on the CPU when the adapter renders in software. */
export function refuseSynchronousReadsOnSoftware(backend: WebGPUBackend): WebGPUBackend {
  // The device's adapterInfo where the browser has it, else what tfjs kept of the adapter's (vendor, architecture).
  const info = (backend.device as unknown as { adapterInfo?: Record<string, unknown> }).adapterInfo;
  const adapter = describeWebgpuAdapter(info ?? ((backend.adapterInfo ?? {}) as unknown as Record<string, unknown>));
  if (adapter.software === undefined) return backend;
  const stockRead = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    // Values already on the CPU (uploaded from it, or read with data()) are returned as they are;
    // complex64 tensors read their two parts through this function.
    if (data !== undefined && data.values == null && data.dtype !== 'string' && data.dtype !== 'complex64')
      throw new SynchronousReadError(`${adapter.renderer || 'unnamed adapter'}, software: ${adapter.software}`);
    return stockRead(dataId);
  };
  return backend;
}
