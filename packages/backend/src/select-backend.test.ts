import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './errors';
import './register';
import { describeWebgpuAdapter, softwareRendererName } from './gpu-renderer';
import { rankSoftwareBelowWasm, selectBackend } from './select-backend';
import { formatBackendReport, listBackends } from './backend-report';

afterEach(() => {
  delete process.env.SDAE_BACKEND;
});

describe('selectBackend', () => {
  it('refuses an unknown option key, listing the valid ones, and changes no backend', async () => {
    const before = tf.getBackend();
    await expect(selectBackend({ bogus: 1 } as never)).rejects.toThrow(
      "selectBackend: unknown option 'bogus' in options. Valid options: 'backend', 'allowFallback', 'preference', 'wasmPaths', 'wasmThreads', 'probe'.",
    );
    expect(tf.getBackend()).toBe(before);
  });

  it('picks wasm in Node when neither tfjs-node package is installed, saying why each was skipped', async () => {
    const report = await selectBackend();
    expect(report.backend).toBe('wasm');
    expect(report.platform).toBe('node');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.tried.map((attempt) => [attempt.name, attempt.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', true],
    ]);
    expect(report.tried[0]!.reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(report.tried[0]!.reason).toContain('CUDA');
    expect(report.tried[1]!.reason).toContain('npm install @tensorflow/tfjs-node');
    // Single-threaded because vitest.shared.ts sets SDAE_WASM_THREADS=1 (wasm-threads.test.ts has threads).
    expect(report.tried[2]!.reason).toMatch(/^started \(SIMD (on|off), single thread\)$/);
    expect(report.rule).toBe('order');
    expect(report.explanation).toMatch(/^wasm: the first backend of the order that started here \(skipped tensorflow-gpu: /);
  });

  it('reports the kernels it filled for the chosen backend', async () => {
    const report = await selectBackend({ backend: 'wasm' });
    expect(report.filledKernels).toEqual([
      { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', reason: 'missing' },
      { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', reason: 'slow' },
      { kernelName: 'MaxPoolGrad', backendName: 'wasm', reason: 'slow' },
      { kernelName: 'BatchMatMul', backendName: 'wasm', reason: 'slow' },
      { kernelName: 'Identity', backendName: 'wasm', reason: 'slow' },
    ]);
    expect(formatBackendReport(report)).toContain('kernel Conv2DBackpropFilter on wasm: added (missing in tfjs)');
    expect(formatBackendReport(report)).toContain('kernel BatchMatMul on wasm: replaced (stock one is slow)');
  });

  it('lists the native engine first, with its version and threads, when onnxruntime-node loads', async () => {
    const report = await selectBackend({ backend: 'cpu' });
    expect(report.native.available).toBe(true);
    expect(report.native.description).toMatch(/^onnxruntime-node 1\.30\.\d+ \(native, \d+ threads?\)$/);
    expect(formatBackendReport(report).split('\n')[0]).toBe(
      `engine: ${report.native.description}, each training step compiled to one ONNX graph; tfjs cpu runs the rest`,
    );
  });

  it('activates a backend asked for by name', async () => {
    const report = await selectBackend({ backend: 'cpu' });
    expect([report.backend, report.requested, tf.getBackend()]).toEqual(['cpu', 'cpu', 'cpu']);
    expect(report.explanation).toBe('cpu: asked for by name.');
  });

  it('reads the SDAE_BACKEND environment variable, the option winning over it', async () => {
    process.env.SDAE_BACKEND = 'cpu';
    expect((await selectBackend()).backend).toBe('cpu');
    expect((await selectBackend({ backend: 'wasm' })).backend).toBe('wasm');
  });

  it('throws BackendUnavailableError with the reason for a requested backend that cannot start', async () => {
    const error = await selectBackend({ backend: 'tensorflow' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).backend).toBe('tensorflow');
    expect((error as BackendUnavailableError).reason).toContain('@tensorflow/tfjs-node is not installed');
    expect((error as Error).message).toMatch(/^selectBackend: backend 'tensorflow' cannot start here: .* or pass allowFallback: true\.$/);
  });

  it('falls back to the default order when allowed', async () => {
    const report = await selectBackend({ backend: 'tensorflow-gpu', allowFallback: true });
    expect(report.backend).toBe('wasm');
    expect(report.explanation).toMatch(/^wasm: fallback, 'tensorflow-gpu' could not start/);
  });

  it('refuses a browser backend in Node, saying where it runs', async () => {
    const error = await selectBackend({ backend: 'webgl' }).catch((caught: unknown) => caught);
    expect((error as BackendUnavailableError).reason).toBe('webgl runs only in browser, not in node');
  });

  it('refuses an unknown name from the option or the environment, listing the valid ones', async () => {
    await expect(selectBackend({ backend: 'gpu' as never })).rejects.toThrowError(
      new InvalidArgumentError(
        'backend',
        'gpu',
        `selectBackend: backend must be one of 'auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'; received "gpu".`,
      ),
    );
    process.env.SDAE_BACKEND = 'cuda';
    await expect(selectBackend()).rejects.toThrow(`selectBackend: SDAE_BACKEND must be one of 'auto',`);
  });
});

describe('listBackends', () => {
  it('shows wasm and cpu working and each other backend unavailable with its reason', async () => {
    await selectBackend({ backend: 'cpu' });
    const statuses = await listBackends();
    const byName = Object.fromEntries(statuses.map((status) => [status.name, status]));
    expect(byName.wasm!.available).toBe(true);
    expect(byName.cpu!.available).toBe(true);
    expect(byName.tensorflow!.available).toBe(false);
    expect(byName.tensorflow!.reason).toContain('@tensorflow/tfjs-node is not installed');
    expect(byName['tensorflow-gpu']!.reason).toContain('@tensorflow/tfjs-node-gpu is not installed');
    expect(byName.webgl!.reason).toBe('webgl runs only in browser, not in node');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('selectBackend with probe: true', () => {
  it('times a probe step on every backend that starts and keeps the fastest, saying so', async () => {
    const report = await selectBackend({ preference: ['cpu', 'wasm'], probe: true });
    expect(report.probes.map((timing) => timing.name)).toEqual(['cpu', 'wasm']);
    for (const timing of report.probes) expect(timing.milliseconds).toBeGreaterThan(0);
    const fastest = [...report.probes].sort((a, b) => a.milliseconds - b.milliseconds)[0]!;
    expect(report.backend).toBe(fastest.name);
    expect(tf.getBackend()).toBe(fastest.name);
    expect(report.rule).toBe('probe');
    expect(report.explanation).toMatch(/^(cpu|wasm): the fastest probe step \(cpu \d+\.\d ms, wasm \d+\.\d ms\)\.$/);
    expect(formatBackendReport(report)).toContain(`probe wasm: ${report.probes[1]!.milliseconds.toFixed(1)} ms per step`);
  });

  it('leaves tensors as it found them', async () => {
    await selectBackend({ preference: ['cpu'], probe: true });
    const before = tf.memory().numTensors;
    await selectBackend({ preference: ['cpu', 'wasm'], probe: true });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ignores probe for a backend asked for by name', async () => {
    const report = await selectBackend({ backend: 'cpu', probe: true });
    expect(report.probes).toEqual([]);
    expect(report.rule).toBe('requested');
  });
});

describe('softwareRendererName', () => {
  it('names the software renderers in real renderer strings and nothing in hardware ones', () => {
    expect(softwareRendererName('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(
      'SwiftShader',
    );
    expect(softwareRendererName('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe('llvmpipe');
    expect(softwareRendererName('mesa lavapipe cpu')).toBe('lavapipe');
    expect(softwareRendererName('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBeUndefined();
    expect(softwareRendererName('Mesa Intel(R) UHD Graphics 620 (KBL GT2)')).toBeUndefined();
  });
});

describe('describeWebgpuAdapter', () => {
  it("names Chromium's SwiftShader adapter and any fallback adapter as software, and a hardware adapter as not", () => {
    // Chromium 156's fallback adapter (its device.adapterInfo), as the web app's end-to-end tests see it.
    expect(describeWebgpuAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' })).toEqual({
      renderer: 'google swiftshader',
      software: 'SwiftShader',
    });
    expect(describeWebgpuAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe' }, true).software).toBe('llvmpipe');
    expect(describeWebgpuAdapter({ vendor: 'acme', isFallbackAdapter: true }).software).toBe('a fallback (software) adapter');
    expect(describeWebgpuAdapter({ vendor: 'acme' }, true).software).toBe('a fallback (software) adapter');
    expect(describeWebgpuAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toEqual({ renderer: 'nvidia ampere', software: undefined });
  });
});

describe('rankSoftwareBelowWasm', () => {
  it('moves software-rendered backends from before wasm to just after it, keeping their order', () => {
    expect(rankSoftwareBelowWasm(['webgpu', 'webgl', 'wasm', 'cpu'], new Set(['webgl']))).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(rankSoftwareBelowWasm(['webgpu', 'webgl', 'wasm', 'cpu'], new Set(['webgpu', 'webgl']))).toEqual([
      'wasm',
      'webgpu',
      'webgl',
      'cpu',
    ]);
    expect(rankSoftwareBelowWasm(['webgl', 'cpu'], new Set(['webgl']))).toEqual(['webgl', 'cpu']);
  });
});
