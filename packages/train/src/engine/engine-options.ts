import { resolveChoice } from '@sdae/core';
import {
  DEVICE_NAMES,
  ENGINE_NAMES,
  type AdapterInfo,
  type DeviceName,
  type DeviceRule,
  type EngineName,
  type ResolvedEngine,
} from '@sdae/backend';

export { ENGINE_NAMES, DEVICE_NAMES };
export type { EngineName, DeviceName };

/** The engine a loop runs on, and why: reported as an `'engine'` event. */
export interface EngineReport {
  engine: 'native' | 'tfjs';
  /** What runs the steps, e.g. "onnxruntime-node 1.30.0 (native, 2 threads)" or "tfjs wasm". */
  description: string;
  /** Why this engine (and device). */
  reason: string;
  /** The native engine's device ('cpu', 'webgpu'...); undefined on tfjs. */
  device?: string;
  /** The GPU adapter the device runs on, where known. */
  adapter?: AdapterInfo;
  /** The rule that chose the device. */
  rule?: DeviceRule;
  /** Why this device, in words (`resolveEngine`'s reason). */
  deviceReason?: string;
  /**
   * Steps the native engine runs per call: their `batch-end` events come together, after the
   * call. Undefined on tfjs (one step at a time).
   */
  stepsPerRun?: number;
}

/** Resolves an engine: a name (the `engine` option), or {@link ResolvedEngine} as `resolveEngine` gave it, once per loop. */
export function resolveEngineName(caller: string, engine: unknown): EngineName {
  if (isResolvedEngine(engine)) return engine.requested.engine;
  return resolveChoice(caller, 'engine', engine ?? 'auto', ENGINE_NAMES);
}

/** Resolves the `device` option (a {@link ResolvedEngine} passed as `engine` brings its own). */
export function resolveDeviceName(caller: string, device: unknown, engine: unknown): DeviceName {
  if (isResolvedEngine(engine)) return engine.requested.device;
  return resolveChoice(caller, 'device', device ?? 'auto', DEVICE_NAMES);
}

/** Whether `engine` is `resolveEngine`'s answer rather than a name. */
export function isResolvedEngine(engine: unknown): engine is ResolvedEngine {
  return typeof engine === 'object' && engine !== null && 'requested' in engine && 'rule' in engine;
}
