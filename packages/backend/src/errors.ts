import { SdaeError } from '@sdae/core';

/**
 * A backend that was asked for by name cannot start here. `backend` is the name asked for,
 * `reason` why it cannot start (not installed, no GPU, not this platform...).
 */
export class BackendUnavailableError extends SdaeError {
  readonly backend: string;
  readonly reason: string;

  constructor(backend: string, reason: string, message: string) {
    super(message);
    this.backend = backend;
    this.reason = reason;
  }
}

/**
 * A training step runs a tfjs kernel, or a kernel with an attribute or dtype, that the native
 * engine has no ONNX form for. The step is not compiled; training runs on the tfjs backend
 * instead, with this reason in its report. `kernelName` names the kernel, `detail` (when the
 * kernel itself is supported) the attribute or dtype that is not.
 */
export class UnsupportedKernelError extends SdaeError {
  readonly kernelName: string;
  readonly detail: string | undefined;

  constructor(kernelName: string, detail?: string) {
    super(
      `compileStep: the step runs the tfjs kernel ${kernelName}${detail === undefined ? '' : ` with ${detail}`}, which the native ` +
        `engine cannot express yet, so it cannot be compiled; run it on tfjs (engine 'tfjs'), or add an ONNX mapping for ` +
        `${kernelName} to @sdae/backend's native/compiler/lower/ (its rule table is index.ts).`,
    );
    this.kernelName = kernelName;
    this.detail = detail;
  }
}

/**
 * A synchronous read (`dataSync`, `arraySync`, `bufferSync`) of a tensor on a WebGPU adapter that
 * renders in software. tfjs-backend-webgpu reads synchronously by drawing through a WebGPU
 * canvas, which Chromium cannot back on its fallback (SwiftShader) adapter: the page would lose
 * every WebGPU device. `adapter` names the adapter.
 */
export class SynchronousReadError extends SdaeError {
  readonly adapter: string;

  constructor(adapter: string) {
    super(
      `dataSync/arraySync: the webgpu backend cannot read a tensor synchronously on this adapter (${adapter}): tfjs reads ` +
        `synchronously through a WebGPU canvas, which this browser cannot back on a software adapter, and the page would lose its ` +
        `WebGPU device. Read it with await tensor.data() or await tensor.array(), or choose the wasm backend.`,
    );
    this.adapter = adapter;
  }
}

/**
 * A device asked for by name (`device: 'cuda'`, `--device webgpu`) cannot start here. `backend` is
 * the device, `reason` why it cannot start and `installHint` what to install for it.
 */
export class DeviceUnavailableError extends BackendUnavailableError {
  readonly installHint: string;

  constructor(device: string, reason: string, installHint: string, message: string) {
    super(device, reason, message);
    this.installHint = installHint;
  }
}
