// The browser build's native engine: onnxruntime-node is a Node addon, so browsers train on tfjs.
// tsup's browser build resolves ./native/native-engine to this module.
import type { AdapterInfo, ExecutionProvider, NativeEngineOptions, NativeEngineStatus } from './native-engine';

export { formatAdapter } from './adapter-info';

export type {
  NativeEngine,
  NativeStep,
  NativeEngineOptions,
  NativeEngineStatus,
  StepFeed,
  PrepareOptions,
  AdapterInfo,
  ExecutionProvider,
} from './native-engine';

/** In a browser: never available; the status says why. */
export async function loadNativeEngine(_options: NativeEngineOptions = {}): Promise<NativeEngineStatus> {
  return { ok: false, reason: 'the native engine (onnxruntime-node) runs in Node only; browsers train on their tfjs backend' };
}

/** In a browser: no native device adapters. */
export function deviceAdapter(_device: ExecutionProvider): AdapterInfo | undefined {
  return undefined;
}

/** In a browser: no native device buffers. */
export function deviceTensorCount(): number {
  return 0;
}
