// The browser build's native engine: onnxruntime-node is a Node addon, so browsers train on tfjs.
// tsup's browser build resolves ./native/native-engine to this module.
import type { NativeEngineOptions, NativeEngineStatus } from './native-engine';

export type { NativeEngine, NativeStep, NativeEngineOptions, NativeEngineStatus, StepFeed } from './native-engine';

/** In a browser: never available; the status says why. */
export async function loadNativeEngine(_options: NativeEngineOptions = {}): Promise<NativeEngineStatus> {
  return { ok: false, reason: 'the native engine (onnxruntime-node) runs in Node only; browsers train on their tfjs backend' };
}
