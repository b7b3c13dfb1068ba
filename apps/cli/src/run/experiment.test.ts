import type { BackendReport } from '@sdae/backend';
import { describe, expect, it } from 'vitest';
import { engineSummary } from './engine-lines';

/** A backend report as selectBackend gives it, for `backend` started with `reason`. */
function backendReport(backend: 'wasm' | 'cpu', reason: string): BackendReport {
  return {
    backend,
    platform: 'node',
    requested: undefined,
    tried: [
      { name: 'tensorflow', ok: false, reason: '@tensorflow/tfjs-node is not installed', milliseconds: 1 },
      { name: backend, ok: true, reason, milliseconds: 2 },
    ],
    filledKernels: [],
    explanation: `${backend}: the first backend of the order that started here.`,
    rule: 'order',
    renderers: [],
    probes: [],
    native: { available: true, description: 'onnxruntime-node 1.30.0 (native, 2 threads)' },
  };
}

const NATIVE = { engine: 'native', description: 'onnxruntime-node 1.30.0 (native, 2 threads)', reason: 'faster here' } as const;

describe('engineSummary', () => {
  it('names the native engine and the tfjs backend with what it started with', () => {
    expect(engineSummary(NATIVE, backendReport('wasm', 'started (SIMD on, 2 threads)'), 'auto')).toBe(
      'engine: onnxruntime-node 1.30.0 (native, 2 threads); tfjs backend: wasm (SIMD on, 2 threads)',
    );
  });

  it('names only the tfjs backend when tfjs trains as asked', () => {
    const tfjs = { engine: 'tfjs', description: 'tfjs wasm', reason: "engine 'tfjs' was asked for" } as const;
    expect(engineSummary(tfjs, backendReport('wasm', 'started (SIMD off, single thread)'), 'tfjs')).toBe(
      'engine: tfjs wasm (SIMD off, single thread)',
    );
  });

  it('says why when --engine auto fell back to tfjs', () => {
    const fallback = {
      engine: 'tfjs',
      description: 'tfjs cpu',
      reason: 'the native engine is unavailable: onnxruntime-node is not installed',
    } as const;
    expect(engineSummary(fallback, backendReport('cpu', 'started'), 'auto')).toBe(
      'engine: tfjs cpu: the native engine is unavailable: onnxruntime-node is not installed',
    );
  });

  it('adds no parentheses for a backend that started without details', () => {
    expect(engineSummary(NATIVE, backendReport('cpu', 'started'), 'native')).toBe(
      'engine: onnxruntime-node 1.30.0 (native, 2 threads); tfjs backend: cpu',
    );
  });
});
