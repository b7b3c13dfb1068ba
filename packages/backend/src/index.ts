// @sdae/backend: importing it registers the cpu and wasm backends, every gradient and the
// training kernels (./register); the rest are explicit re-exports.
import './register';

export {
  selectBackend,
  listBackends,
  formatBackendReport,
  detectPlatform,
  summarizeNativeEngine,
  BACKEND_NAMES,
  DEFAULT_PREFERENCE,
} from './select-backend';
export { softwareRendererName } from './gpu-renderer';
export { WASM_FILE_NAMES } from './wasm-check';
export type {
  BackendName,
  Platform,
  BackendAttempt,
  BackendReport,
  BackendStatus,
  SelectBackendOptions,
  NativeEngineSummary,
  SelectionRule,
  RendererNote,
  ProbeTiming,
} from './select-backend';
export { BackendUnavailableError, UnsupportedKernelError } from './errors';
export { loadNativeEngine } from './native/native-engine';
export type { NativeEngine, NativeStep, NativeEngineOptions, NativeEngineStatus, StepFeed, StepOutputs } from './native/native-engine';
export { KERNEL_MAPPINGS } from './native/onnx-kernels';
export type { StepDefinition, TracedStep, StepValue } from './native/trace-step';
export { registerTrainingKernels, unregisterTrainingKernels, filledKernels } from './kernels/training-kernels';
export type { FilledKernel } from './kernels/training-kernels';
export { im2col } from './kernels/im2col';
export type { Conv2DInfo } from './kernels/im2col';
