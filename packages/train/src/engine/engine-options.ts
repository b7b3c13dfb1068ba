import { resolveChoice } from '@sdae/core';

/**
 * What runs the training steps:
 * - `'native'`: each step compiled from the model's own tfjs code into one ONNX graph and run by
 *   onnxruntime-node (Node only; needs the optional `onnxruntime-node` package);
 * - `'tfjs'`: op by op on the active tfjs backend;
 * - `'auto'`: native when it loads here, else tfjs.
 */
export type EngineName = 'auto' | 'native' | 'tfjs';

/** Every valid {@link EngineName}. */
export const ENGINE_NAMES: readonly EngineName[] = ['auto', 'native', 'tfjs'];

/** The engine a loop runs on, and why: reported as an `'engine'` event. */
export interface EngineReport {
  engine: 'native' | 'tfjs';
  /** What runs the steps, e.g. "onnxruntime-node 1.30.0 (native, 2 threads)" or "tfjs wasm". */
  description: string;
  /** Why this engine. */
  reason: string;
}

/** Resolves an engine name (the `engine` option) once per loop. */
export function resolveEngineName(caller: string, engine: unknown): EngineName {
  return resolveChoice(caller, 'engine', engine ?? 'auto', ENGINE_NAMES);
}
