import * as tf from '@tensorflow/tfjs-core';
import { deviceTensorCount, selectBackend, type DeviceName } from '@sdae/backend';
import { webgpuSkipReason } from '@sdae/backend/testing';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder, LogisticRegression, Mlp, ReluCnn, StackedDenoisingAutoencoder, type Model } from '@sdae/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineReport } from './engine-options';
import type { TrainingResult } from '../events';
import { fitClassifier } from '../loops/fit-classifier';
import { pretrainStack } from '../loops/pretrain-stack';
import { trainAutoencoder } from '../loops/train-autoencoder';
import { trainSampled } from '../loops/train-sampled';
import { decodeCheckpoint } from '../checkpoint/checkpoint';

// The native engine on WebGPU (lavapipe here: Mesa's software Vulkan) against onnxruntime's CPU
// provider: the same compiled steps, so the same losses and weights within 1e-4 relative. Runs are
// kept to about 20 steps: lavapipe compiles every new shader on the CPU.

const flat = barsAndStripes({ size: 4, count: 80, seed: 5, flipProbability: 0.05 });
const images = barsAndStripes({ size: 8, count: 48, seed: 6, flipProbability: 0.05 });

type Train = (model: Model, device: DeviceName, onEngine: (report: EngineReport) => void) => Promise<TrainingResult>;

interface Run {
  costs: number[];
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  engines: EngineReport[];
}

async function trainOn(device: DeviceName, build: () => Model, train: Train): Promise<Run> {
  const model = build();
  const engines: EngineReport[] = [];
  const result = await train(model, device, (report) => void engines.push(report));
  const weights = model.getWeights();
  model.dispose();
  return { costs: result.history.map((log) => log.cost), weights, engines };
}

function expectRelativelyClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1e-6, ...Array.from(expected, Math.abs));
  const difference = Math.max(0, ...Array.from(expected, (value, index) => Math.abs(value - actual[index]!)));
  expect(difference / scale, `${what}: largest difference relative to the largest value`).toBeLessThan(1e-4);
}

async function expectSameOnWebgpu(build: () => Model, train: Train): Promise<void> {
  const gpu = await trainOn('webgpu', build, train);
  const cpu = await trainOn('cpu', build, train);
  expect(gpu.engines.map((report) => report.device)).toEqual(gpu.engines.map(() => 'webgpu'));
  expect(cpu.engines.map((report) => report.device)).toEqual(cpu.engines.map(() => 'cpu'));
  expectRelativelyClose(gpu.costs, cpu.costs, 'losses');
  for (const [name, { values }] of cpu.weights) expectRelativelyClose(gpu.weights.get(name)!.values, values, name);
}

let skip: string | undefined;

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
  skip = await webgpuSkipReason();
});

describe('the native engine on WebGPU against the CPU provider', () => {
  it('trains the tied dA with masking noise identically (SGD, then Adam with weight decay)', async (context) => {
    if (skip !== undefined) return context.skip(skip);
    const build = () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 });
    await expectSameOnWebgpu(build, (model, device, onEngine) =>
      trainAutoencoder(model as DenoisingAutoencoder, flat, {
        epochs: 2,
        batchSize: 8,
        learningRate: 0.1,
        engine: 'native',
        device,
        onEngine,
      }),
    );
    await expectSameOnWebgpu(build, (model, device, onEngine) =>
      trainAutoencoder(model as DenoisingAutoencoder, flat, {
        epochs: 2,
        batchSize: 8,
        learningRate: 0.01,
        optimizer: 'adam',
        weightDecay: 0.05,
        engine: 'native',
        device,
        onEngine,
      }),
    );
  });

  it('pretrains and fine-tunes an SdA with dropout identically (momentum)', async (context) => {
    if (skip !== undefined) return context.skip(skip);
    const training = { epochs: 1, batchSize: 8, learningRate: 0.1, optimizer: 'momentum' as const, engine: 'native' as const };
    await expectSameOnWebgpu(
      () =>
        new StackedDenoisingAutoencoder({
          inputSize: 16,
          hiddenSizes: [12, 8],
          corruptionLevels: [0.1, 0.2],
          numClasses: 2,
          dropout: 0.2,
          seed: 4,
        }),
      async (model, device, onEngine) => {
        const sda = model as StackedDenoisingAutoencoder;
        const pretraining = await pretrainStack(sda, flat, { ...training, device, onEngine });
        const finetuning = await fitClassifier(sda, { train: flat }, { ...training, earlyStopping: false, device, onEngine });
        return { ...finetuning, history: [...pretraining.history, ...finetuning.history] };
      },
    );
  });

  it('fits logistic regression and an MLP with dropout identically (Adam, momentum with weight decay)', async (context) => {
    if (skip !== undefined) return context.skip(skip);
    const options = { epochs: 2, batchSize: 8, earlyStopping: false, engine: 'native' as const };
    await expectSameOnWebgpu(
      () => new LogisticRegression({ inputSize: 16, numClasses: 2 }),
      (model, device, onEngine) =>
        fitClassifier(
          model as LogisticRegression,
          { train: flat },
          { ...options, learningRate: 0.01, optimizer: 'adam', device, onEngine },
        ),
    );
    await expectSameOnWebgpu(
      () => new Mlp({ inputSize: 16, hiddenSizes: [10, 6], activation: 'relu', numClasses: 2, dropout: 0.5, seed: 5 }),
      (model, device, onEngine) =>
        fitClassifier(
          model as Mlp,
          { train: flat },
          { ...options, learningRate: 0.3, optimizer: { name: 'momentum', momentum: 0.9, weightDecay: 0.01 }, device, onEngine },
        ),
    );
  });

  it("trains the notebook's CNN and a two-convolution CNN with max pooling identically", async (context) => {
    if (skip !== undefined) return context.skip(skip);
    await expectSameOnWebgpu(
      () =>
        new ReluCnn({ inputShape: [8, 8, 1], convolutions: [{ filters: 1, kernelSize: 5, bias: 'per-position' }], numClasses: 2, seed: 6 }),
      (model, device, onEngine) =>
        trainSampled(model as ReluCnn, images, { iterations: 20, batchSize: 10, learningRate: 0.1, engine: 'native', device, onEngine }),
    );
    await expectSameOnWebgpu(
      () =>
        new ReluCnn({
          inputShape: [8, 8, 1],
          convolutions: [
            { filters: 4, kernelSize: 3, padding: 'same', pool: 2 },
            { filters: 3, kernelSize: 2, pool: 2 },
          ],
          denseSizes: [5],
          numClasses: 2,
          seed: 7,
        }),
      (model, device, onEngine) =>
        trainSampled(model as ReluCnn, images, {
          iterations: 20,
          batchSize: 12,
          learningRate: 0.01,
          optimizer: 'adam',
          engine: 'native',
          device,
          onEngine,
        }),
    );
  });

  it('keeps tf.memory() and the GPU buffers flat over epochs', async (context) => {
    if (skip !== undefined) return context.skip(skip);
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 });
    const tensors: number[] = [];
    const buffers: number[] = [];
    await trainAutoencoder(da, flat, {
      epochs: 4,
      batchSize: 8,
      engine: 'native',
      device: 'webgpu',
      onEpochEnd: () => {
        tensors.push(tf.memory().numTensors);
        buffers.push(deviceTensorCount());
      },
    });
    expect(new Set(tensors.slice(1)).size, `tensors after each epoch: ${tensors.join(', ')}`).toBe(1);
    expect(new Set(buffers).size, `GPU buffers after each epoch: ${buffers.join(', ')}`).toBe(1);
    expect(deviceTensorCount(), 'GPU buffers after training').toBe(0);
    da.dispose();
  });
});

describe('checkpoints on WebGPU', () => {
  it('stops at an abort with a checkpoint of the device state, records the device and resumes it exactly', async (context) => {
    if (skip !== undefined) return context.skip(skip);
    const build = () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 });
    const options = { epochs: 2, batchSize: 8, optimizer: 'momentum' as const, engine: 'native' as const, device: 'webgpu' as const };
    const weights = (model: Model) => [...model.getWeights().values()].map(({ values }) => Array.from(values));
    const wholeModel = build();
    await trainAutoencoder(wholeModel, flat, options);
    const whole = weights(wholeModel);
    wholeModel.dispose();
    const controller = new AbortController();
    let checkpoint: Uint8Array | undefined;
    let batches = 0;
    const first = build();
    await trainAutoencoder(first, flat, {
      ...options,
      signal: controller.signal,
      checkpoint: { every: 1000, write: async (bytes) => void (checkpoint = bytes) },
      onBatchEnd: () => {
        if (++batches === 13) controller.abort();
      },
    });
    first.dispose();
    expect(decodeCheckpoint(checkpoint!).settings.loop.device).toBe('webgpu');
    const second = build();
    await trainAutoencoder(second, flat, { ...options, resume: checkpoint });
    expect(weights(second)).toEqual(whole);
    second.dispose();
    // A checkpoint of the GPU continues on the CPU provider (allowed: the device is recorded, not compared).
    const third = build();
    await expect(trainAutoencoder(third, flat, { ...options, device: 'cpu', resume: checkpoint })).resolves.toBeDefined();
    third.dispose();
    expect(deviceTensorCount()).toBe(0);
  });
});
