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

const DEVICE_UNAVAILABLE_MARKER = 'sdae.error.DeviceUnavailableError';
const DEVICE_UNAVAILABLE_SYMBOL = Symbol.for(DEVICE_UNAVAILABLE_MARKER);

/**
 * A device asked for by name (`device: 'cuda'`, `--device webgpu`) cannot start here. `backend` is
 * the device, `reason` why it cannot start and `installHint` what to install for it.
 */
export class DeviceUnavailableError extends BackendUnavailableError {
  protected readonly [DEVICE_UNAVAILABLE_SYMBOL] = true;
  readonly installHint: string;

  constructor(device: string, reason: string, installHint: string, message: string) {
    super(device, reason, message);
    this.installHint = installHint;
  }

  /** True when `value` is a {@link DeviceUnavailableError}, from this copy of `@sdae/backend` or any other. */
  static override isInstance(value: unknown): value is DeviceUnavailableError {
    return SdaeError.hasMarker(value, DEVICE_UNAVAILABLE_MARKER);
  }
}
