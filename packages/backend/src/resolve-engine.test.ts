import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import './register';
import { BackendUnavailableError, DeviceUnavailableError } from './errors';
import { resolveEngine } from './resolve-engine';
import { deviceTensorCount } from './native/runtime/native-engine';
import { webgpuSkipReason } from './testing-helpers';

let noWebgpu: string | undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
  noWebgpu = await webgpuSkipReason();
});

describe('resolveEngine', () => {
  it('refuses a CUDA device that cannot start with a named error and what to install', async () => {
    const refusal = await resolveEngine({ device: 'cuda' }).catch((error: unknown) => error);
    expect(DeviceUnavailableError.isInstance(refusal)).toBe(true);
    expect(BackendUnavailableError.isInstance(refusal)).toBe(true);
    expect((refusal as DeviceUnavailableError).message).toMatch(
      /device 'cuda' \(--device cuda\) cannot start here: .*CUDA 12 and cuDNN 9.*ONNXRUNTIME_NODE_INSTALL=skip/,
    );
  });

  it('refuses a GPU device with the tfjs engine, which has no device', async () => {
    await expect(resolveEngine({ engine: 'tfjs', device: 'webgpu' })).rejects.toThrow(/device 'webgpu' .* engine 'tfjs' was asked for/);
  });

  it('answers engine tfjs without loading a device', async () => {
    const resolved = await resolveEngine({ engine: 'tfjs' });
    expect(resolved).toMatchObject({ engine: 'tfjs', rule: 'tfjs', reason: "engine 'tfjs' was asked for" });
  });

  it('keeps auto on the CPU where the only WebGPU adapter renders in software, and says so', async (context) => {
    if (noWebgpu !== undefined) return context.skip(noWebgpu);
    const resolved = await resolveEngine({ device: 'auto' });
    expect(resolved).toMatchObject({ engine: 'native', device: 'cpu', rule: 'software-adapter' });
    expect(resolved.reason).toMatch(/webgpu: its adapter renders in software \(Mesa lavapipe.*Mesa \d+/);
  });

  it('starts WebGPU when asked for and names its adapter', async (context) => {
    if (noWebgpu !== undefined) return context.skip(noWebgpu);
    const resolved = await resolveEngine({ device: 'webgpu', threads: 1 });
    if (resolved.engine !== 'native') throw new Error('expected the native engine');
    expect(resolved.executionProviders).toEqual(['webgpu', 'cpu']);
    expect(resolved.adapter?.software).toBe('lavapipe');
    expect(resolved.description).toMatch(/native on webgpu: Mesa lavapipe \(Vulkan on the CPU\), Mesa [0-9.]+.*, software/);
  });
});

describe('NativeStep on WebGPU', () => {
  it('keeps the weights on the GPU between steps: read back only when pulled, and equal to the CPU provider', async (context) => {
    if (noWebgpu !== undefined) return context.skip(noWebgpu);
    const gpu = await resolveEngine({ device: 'webgpu', threads: 1 });
    const cpu = await resolveEngine({ device: 'cpu', threads: 1 });
    if (gpu.engine !== 'native' || cpu.engine !== 'native') throw new Error('expected the native engine');
    const train = async (engine: typeof gpu.native) => {
      const W = tf.variable(tf.randomNormal([12, 5], 0, 0.3, 'float32', 7));
      const step = engine.prepare({
        name: 'sgd',
        state: new Map([['W', W]]),
        step: ({ x }) => {
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sigmoid(tf.matMul(x as tf.Tensor2D, W)))) as tf.Scalar, [W]);
          W.assign(tf.sub(W, tf.mul(grads[W.name]!, 0.5)));
          return { loss: value };
        },
      });
      const losses: number[] = [];
      const buffers: number[] = [];
      for (let index = 0; index < 20; index++) {
        const x = { values: Float32Array.from({ length: 36 }, (_, k) => Math.sin(k + index)), shape: [3, 12] };
        losses.push((await step.run(x === undefined ? {} : { x }))['loss']![0]!);
        buffers.push(deviceTensorCount());
      }
      const readsBeforePull = step.stateReads;
      await step.pull();
      step.syncToVariables();
      const weights = Array.from(W.dataSync());
      await step.dispose();
      W.dispose();
      return { losses, weights, readsBeforePull, reads: step.stateReads, buffers };
    };
    const onGpu = await train(gpu.native);
    const onCpu = await train(cpu.native);
    expect(onGpu.readsBeforePull).toBe(0);
    expect(onGpu.reads).toBe(1);
    expect(new Set(onGpu.buffers.slice(1)).size, 'device buffers held after each step').toBe(1);
    expect(deviceTensorCount()).toBe(0);
    onGpu.losses.forEach((loss, index) =>
      expect(Math.abs(loss - onCpu.losses[index]!) / Math.abs(onCpu.losses[index]!)).toBeLessThan(1e-4),
    );
    onGpu.weights.forEach((weight, index) =>
      expect(Math.abs(weight - onCpu.weights[index]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(onCpu.weights[index]!))),
    );
  });
});
