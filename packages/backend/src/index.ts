// @sdae/backend: importing it registers the cpu and wasm backends, every gradient and the
// training kernels (./register); the rest are explicit re-exports.
import './register';

export { selectBackend, detectPlatform } from './select-backend';
export { listBackends, formatBackendReport, summarizeNativeEngine } from './backend-report';
export { BACKEND_NAMES, DEFAULT_PREFERENCE } from './backend-specs';
export { softwareRendererName } from './gpu-renderer';
export { WASM_FILE_NAMES } from './wasm-check';
export type { SelectBackendOptions } from './select-backend';
export type { BackendName, Platform } from './backend-specs';
export type {
  BackendAttempt,
  BackendReport,
  BackendStatus,
  NativeEngineSummary,
  SelectionRule,
  RendererNote,
  ProbeTiming,
} from './backend-report';
export { BackendUnavailableError, DeviceUnavailableError, SynchronousReadError, UnsupportedKernelError } from './errors';
export { resolveEngine, ENGINE_NAMES, DEVICE_NAMES } from './resolve-engine';
export type { EngineName, DeviceName, DeviceRule, DeviceAttempt, ResolvedEngine, ResolveEngineOptions } from './resolve-engine';
export { loadNativeEngine, formatAdapter, deviceTensorCount } from './native/runtime/native-engine';
export type {
  NativeEngine,
  NativeStep,
  NativeEngineOptions,
  NativeEngineStatus,
  StepFeed,
  StepOutputs,
  PrepareOptions,
  AdapterInfo,
  ExecutionProvider,
} from './native/runtime/native-engine';
export type { ShardedStep, ShardedStepDefinition } from './native/runtime/sharded-step';
export { KERNEL_MAPPINGS } from './native/compiler/lower';
export type { StepDefinition } from './native/compiler/trace';
export type { TracedStep, StepValue } from './native/compiler/ir';
export { NATIVE_THREADS_PER_CORE } from './native/runtime/native-threads';
export { registerTrainingKernels, unregisterTrainingKernels, filledKernels } from './kernels/training-kernels';
export type { FilledKernel } from './kernels/training-kernels';
export { im2col } from './kernels/im2col';
export type { Conv2DInfo } from './kernels/im2col';
export { traceInference, inferenceToOnnx, DynamicBatchError, BATCH_DIMENSION } from './native/compiler/trace-inference';
export type { InferenceDefinition, TraceInferenceOptions } from './native/compiler/trace-inference';
export { encodeOnnxModel } from './native/compiler/encode-onnx';
export type { OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './native/compiler/ir';
