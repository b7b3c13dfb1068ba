import { SdaeError } from '@sdae/core';

const BACKEND_UNAVAILABLE_MARKER = 'sdae.error.BackendUnavailableError';
const BACKEND_UNAVAILABLE_SYMBOL = Symbol.for(BACKEND_UNAVAILABLE_MARKER);

/**
 * A backend that was asked for by name cannot start here. `backend` is the name asked for,
 * `reason` why it cannot start (not installed, no GPU, not this platform...).
 */
export class BackendUnavailableError extends SdaeError {
  protected readonly [BACKEND_UNAVAILABLE_SYMBOL] = true;
  readonly backend: string;
  readonly reason: string;

  constructor(backend: string, reason: string, message: string) {
    super(message);
    this.backend = backend;
    this.reason = reason;
  }

  /** True when `value` is a {@link BackendUnavailableError}, from this copy of `@sdae/backend` or any other. */
  static override isInstance(value: unknown): value is BackendUnavailableError {
    return SdaeError.hasMarker(value, BACKEND_UNAVAILABLE_MARKER);
  }
}

/**
 * A training step runs a tfjs kernel that the native engine has no ONNX form for. The step is
 * not compiled; training runs on the tfjs backend instead, with this reason in its report.
 */
export class UnsupportedKernelError extends SdaeError {
  readonly kernelName: string;

  constructor(kernelName: string) {
    super(
      `compileStep: the step runs the tfjs kernel ${kernelName}, which the native engine cannot express yet, so it cannot be ` +
        `compiled; run it on tfjs (engine 'tfjs'), or add an ONNX mapping for ${kernelName} to @sdae/backend's native/onnx-kernels.ts.`,
    );
    this.kernelName = kernelName;
  }
}

const SYNCHRONOUS_READ_MARKER = 'sdae.error.SynchronousReadError';
const SYNCHRONOUS_READ_SYMBOL = Symbol.for(SYNCHRONOUS_READ_MARKER);

/**
 * A synchronous read (`dataSync`, `arraySync`, `bufferSync`) of a tensor on a WebGPU adapter that
 * renders in software. tfjs-backend-webgpu reads synchronously by drawing through a WebGPU
 * canvas, which Chromium cannot back on its fallback (SwiftShader) adapter: the page would lose
 * every WebGPU device. `adapter` names the adapter.
 */
export class SynchronousReadError extends SdaeError {
  protected readonly [SYNCHRONOUS_READ_SYMBOL] = true;
  readonly adapter: string;

  constructor(adapter: string) {
    super(
      `dataSync/arraySync: the webgpu backend cannot read a tensor synchronously on this adapter (${adapter}): tfjs reads ` +
        `synchronously through a WebGPU canvas, which this browser cannot back on a software adapter, and the page would lose its ` +
        `WebGPU device. Read it with await tensor.data() or await tensor.array(), or choose the wasm backend.`,
    );
    this.adapter = adapter;
  }

  /** True when `value` is a {@link SynchronousReadError}, from this copy of `@sdae/backend` or any other. */
  static override isInstance(value: unknown): value is SynchronousReadError {
    return SdaeError.hasMarker(value, SYNCHRONOUS_READ_MARKER);
  }
}
