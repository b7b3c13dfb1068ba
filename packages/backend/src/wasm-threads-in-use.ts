import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** The threads the started wasm backend uses (XNNPACK's pool); 1 before it has started. */
export function wasmThreadsInUse(): number {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1;
  }
}
