// @sdae/backend: importing it registers the cpu and wasm backends, every gradient and the
// training kernels (./register); the rest are explicit re-exports.
import './register';

export { selectBackend, listBackends, formatBackendReport, detectPlatform, BACKEND_NAMES, DEFAULT_PREFERENCE } from './select-backend';
export type { BackendName, Platform, BackendAttempt, BackendReport, BackendStatus, SelectBackendOptions } from './select-backend';
export { BackendUnavailableError } from './errors';
export { registerTrainingKernels, unregisterTrainingKernels, filledKernels } from './kernels/training-kernels';
export type { FilledKernel } from './kernels/training-kernels';
export { im2col } from './kernels/im2col';
export type { Conv2DInfo } from './kernels/im2col';
