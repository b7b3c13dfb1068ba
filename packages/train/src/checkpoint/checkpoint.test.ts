import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import { barsAndStripes, sliceImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, Mlp, ModelFormatError, StackedDenoisingAutoencoder, decodeBundle, encodeBundle } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, restoreCheckpoint, settingsDifferences } from './checkpoint';
import { DivergenceError } from '../errors';
import { fitClassifier } from '../loops/fit-classifier';
import type { CommonTrainingOptions } from '../loops/loop-options';
import { Optimizer } from '../optim/optimizers';
import { pretrainStack } from '../loops/pretrain-stack';
import { trainAutoencoder } from '../loops/train-autoencoder';
import { trainSampled } from '../loops/train-sampled';

const set = barsAndStripes({ size: 4, count: 48 });
const daOptions = { visibleSize: 16, hiddenSize: 5, corruptionLevel: 0.3, seed: 3 };
const FILE = '/runs/da/checkpoint.sdae';

/** Trains a dA for `epochs` and returns the checkpoint it wrote last. */
async function daCheckpoint(epochs: number, options: CommonTrainingOptions = {}): Promise<Uint8Array> {
  const da = new DenoisingAutoencoder(daOptions);
  let last: Uint8Array | undefined;
  await trainAutoencoder(da, set, { epochs, batchSize: 8, ...options, checkpoint: { write: async (bytes) => void (last = bytes) } });
  da.dispose();
  return last!;
}

/** The checkpoint with its metadata or tensors edited (and its checksums recomputed, as a careful forger would). */
function edited(bytes: Uint8Array, edit: (bundle: ReturnType<typeof decodeBundle>) => void): Uint8Array {
  const bundle = decodeBundle(bytes);
  edit(bundle);
  return encodeBundle(bundle);
}

/** A checkpoint's metadata, as the tests edit it. */
interface Meta {
  [key: string]: unknown;
  model?: { randomStates: Record<string, number[]> };
  state?: Record<string, unknown>;
  optimizer: Record<string, unknown>;
}

function expectFormatError(run: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(ModelFormatError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
  expect((caught as Error).message).toContain(FILE);
}

describe('decodeCheckpoint', () => {
  it.each([
    ['no model', (meta: Meta) => delete meta.model, /model is wrong: expected an object, found nothing/],
    ['no state', (meta: Meta) => delete meta.state, /state is wrong: expected an object/],
    ['a history that is not an array', (meta: Meta) => (meta.state!.history = 'x'), /state.history is wrong/],
    ['nextEpoch "x"', (meta: Meta) => (meta.state!.nextEpoch = 'x'), /state.nextEpoch is wrong: expected a whole number/],
    ['nextEpoch 1.5', (meta: Meta) => (meta.state!.nextEpoch = 1.5), /state.nextEpoch is wrong/],
    ['an unknown loop', (meta: Meta) => (meta.state!.loop = 'gan'), /state.loop is wrong/],
    ['an optimizer step of -1', (meta: Meta) => (meta.optimizer.step = -1), /optimizer.step is wrong/],
    ['no settings (an older sdae)', (meta: Meta) => delete meta.settings, /does not record the settings of its run/],
  ])('refuses a checkpoint with %s, naming the file and the field', async (_, edit, pattern) => {
    const bytes = edited(await daCheckpoint(1), (bundle) => edit(bundle.meta as Meta));
    expectFormatError(() => decodeCheckpoint(bytes, FILE), pattern);
  });
});

describe('decodeCheckpoint integrity', () => {
  it('names the file and the tensor of a flipped bit in the weights', async () => {
    const bytes = await daCheckpoint(1);
    const damaged = Uint8Array.from(bytes);
    damaged[damaged.length - 1] ^= 0x01;
    expectFormatError(() => decodeCheckpoint(damaged, FILE), /tensor model\/\w+ fails its checksum/);
  });

  it('refuses a version 1 checkpoint (no checksums, no settings) written by an older sdae', async () => {
    const bytes = await daCheckpoint(1);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const rest = bytes.subarray(16);
    const old = new Uint8Array(12 + rest.length);
    old.set(bytes.subarray(0, 12));
    old[4] = 1;
    new DataView(old.buffer).setUint32(8, view.getUint32(8, true), true);
    old.set(rest, 12);
    expectFormatError(() => decodeCheckpoint(old, FILE), /written by an older sdae, without checksums/);
  });
});

describe('restoreCheckpoint', () => {
  const restore = (bytes: Uint8Array) => {
    const da = new DenoisingAutoencoder(daOptions);
    const optimizer = new Optimizer({ name: 'sgd', learningRate: 0.1 });
    const before = Array.from(da.W.dataSync());
    try {
      restoreCheckpoint(decodeCheckpoint(bytes, FILE), da, optimizer, { loop: 'autoencoder' });
    } finally {
      // A refused checkpoint leaves the model as it was.
      expect(Array.from(da.W.dataSync())).toEqual(before);
      da.dispose();
      optimizer.dispose();
    }
  };

  it('refuses a checkpoint without model/b, naming the file and the tensor', async () => {
    const bytes = edited(
      await daCheckpoint(1),
      (bundle) => (bundle.tensors = bundle.tensors.filter((tensor) => tensor.name !== 'model/b')),
    );
    expectFormatError(() => restore(bytes), /tensor model\/b is wrong: expected shape \[5\], found no such tensor/);
  });

  it('refuses a W of shape [5, 16] for [16, 5] (the same number of values)', async () => {
    const bytes = edited(await daCheckpoint(1), (bundle) => {
      const W = bundle.tensors.find((tensor) => tensor.name === 'model/W')!;
      W.shape = [5, 16];
    });
    expectFormatError(() => restore(bytes), /tensor model\/W is wrong: expected shape \[16, 5\], found shape \[5, 16\]/);
  });

  it('refuses an extra tensor', async () => {
    const bytes = edited(await daCheckpoint(1), (bundle) =>
      bundle.tensors.push({ name: 'model/V', shape: [1], values: Float32Array.of(1) }),
    );
    expectFormatError(() => restore(bytes), /tensor model\/V is wrong: .* found an extra tensor/);
  });

  it('refuses all-NaN weights as a corrupt checkpoint, not as divergence', async () => {
    const bytes = edited(await daCheckpoint(1), (bundle) => {
      for (const tensor of bundle.tensors) tensor.values.fill(Number.NaN);
    });
    let caught: unknown;
    try {
      restore(bytes);
    } catch (error) {
      caught = error;
    }
    expect(DivergenceError.isInstance(caught)).toBe(false);
    expect(ModelFormatError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/holds NaN at index 0: .* corrupt/);
    expect((caught as Error).message).not.toMatch(/learning rate/);
  });

  it('refuses random states of other streams or invalid values', async () => {
    const bytes = await daCheckpoint(1);
    const streams = Object.keys((decodeBundle(bytes).meta.model as { randomStates: object }).randomStates);
    expect(streams.length).toBeGreaterThan(0);
    const renamed = edited(bytes, (bundle) => ((bundle.meta as Meta).model!.randomStates = { other: [1, 2, 3, 4] }));
    expectFormatError(() => restore(renamed), /model.randomStates names the streams other, but the model has/);
    const zeros = edited(
      bytes,
      (bundle) => ((bundle.meta as Meta).model!.randomStates = Object.fromEntries(streams.map((name) => [name, [0, 0, 0, 0]]))),
    );
    expectFormatError(() => restore(zeros), /model.randomStates is wrong: Random.setState/);
  });
});

describe('settingsDifferences', () => {
  it('lists each difference and lets epochs and iterations grow, not shrink', () => {
    expect(settingsDifferences({ batchSize: 10, epochs: 2, split: 'mini' }, { batchSize: 20, epochs: 5, split: 'mini' })).toEqual([
      'batchSize 10 in the checkpoint, 20 now',
    ]);
    expect(settingsDifferences({ epochs: 5, iterations: 10 }, { epochs: 4, iterations: 10, limit: 100 })).toEqual([
      'epochs 5 in the checkpoint, 4 now',
      'limit null in the checkpoint, 100 now',
    ]);
  });

  it('prints learning-rate schedules in their command-line form', () => {
    const step = { kind: 'step', epochs: 1, factor: 0.5 };
    expect(settingsDifferences({ learningRateSchedule: step }, { learningRateSchedule: { kind: 'constant' } })).toEqual([
      'learningRateSchedule step:1:0.5 in the checkpoint, constant now',
    ]);
    expect(
      settingsDifferences({ learningRateSchedule: { kind: 'cosine', epochs: 5 } }, { learningRateSchedule: { kind: 'cosine', epochs: 8 } }),
    ).toEqual(['learningRateSchedule cosine over 5 epochs in the checkpoint, cosine over 8 epochs now']);
    // Something else under that name (a newer kind, say) is shown as JSON.
    expect(
      settingsDifferences({ learningRateSchedule: { kind: 'cyclic' } }, { learningRateSchedule: { kind: 'exponential', gamma: 0.9 } }),
    ).toEqual(['learningRateSchedule {"kind":"cyclic"} in the checkpoint, exponential:0.9 now']);
  });
});

describe('resume refuses a run with other settings [cpu]', () => {
  const resume = (options: Parameters<typeof trainAutoencoder>[2], bytes: Uint8Array, data = set) => {
    const da = new DenoisingAutoencoder(daOptions);
    return trainAutoencoder(da, data, { epochs: 3, batchSize: 8, ...options, resume: bytes }).finally(() => da.dispose());
  };

  it('names every setting that differs: batch size, order, seed, learning rate, engine, caller settings', async () => {
    const bytes = await daCheckpoint(1, { settings: { split: 'mini', limit: 100 } });
    const refusal = resume(
      { batchSize: 4, order: 'shuffled', seed: 9, learningRate: 0.5, engine: 'tfjs', settings: { split: 'theano', limit: 100 } },
      bytes,
    );
    await expect(refusal).rejects.toThrow(InvalidArgumentError);
    const message = await refusal.catch((error: Error) => error.message);
    for (const difference of [
      'split "mini" in the checkpoint, "theano" now',
      'batchSize 8 in the checkpoint, 4 now',
      'order "sequential" in the checkpoint, "shuffled" now',
      'seed 0 in the checkpoint, 9 now',
      '"learningRate":0.1',
      'engine "auto" in the checkpoint, "tfjs" now',
    ]) {
      expect(message).toContain(difference);
    }
  });

  it('refuses another thread count of the native engine, whose results differ bit for bit', async () => {
    const bytes = await daCheckpoint(1, { engine: 'tfjs', threads: 1 });
    await expect(resume({ engine: 'tfjs', threads: 2 }, bytes)).rejects.toThrow(/threads 1 in the checkpoint, 2 now/);
    await expect(resume({ engine: 'tfjs' }, bytes)).rejects.toThrow(/threads 1 in the checkpoint, null now/);
    await expect(resume({ engine: 'tfjs', threads: 1, epochs: 2 }, bytes)).resolves.toMatchObject({ stopReason: 'completed' });
  });

  it('refuses other data of the same size (another split or limit)', async () => {
    const bytes = await daCheckpoint(1);
    const other = barsAndStripes({ size: 4, count: 48, seed: 5 });
    await expect(resume({}, bytes, other)).rejects.toThrow(/data "48 images of 4 x 4, crc32 [0-9a-f]{8}" in the checkpoint, "48 images/);
    await expect(resume({}, bytes, sliceImageSet(set, 0, 40))).rejects.toThrow(/data "48 images .* "40 images/);
  });

  it('refuses another learning-rate schedule or weight decay, naming each', async () => {
    const bytes = await daCheckpoint(1, { learningRateSchedule: { kind: 'step', epochs: 2, factor: 0.5 }, weightDecay: 0.01 });
    const refusal = resume({ learningRateSchedule: { kind: 'step', epochs: 2, factor: 0.1 } }, bytes);
    await expect(refusal).rejects.toThrow(/learningRateSchedule step:2:0\.5 in the checkpoint, step:2:0\.1 now/);
    await expect(refusal).rejects.toThrow(/"weightDecay":0\.01\}.* in the checkpoint, .*"weightDecay":0\}/);
  });

  it('refuses more epochs under a cosine schedule, whose curve they would change', async () => {
    const bytes = await daCheckpoint(1, { epochs: 3, learningRateSchedule: { kind: 'cosine' } } as CommonTrainingOptions);
    await expect(resume({ epochs: 4, learningRateSchedule: { kind: 'cosine' } }, bytes)).rejects.toThrow(
      /learningRateSchedule cosine over 3 epochs in the checkpoint, cosine over 4 epochs now/,
    );
  });

  it('continues when only the epochs grow', async () => {
    const bytes = await daCheckpoint(1);
    const result = await resume({ epochs: 3 }, bytes);
    expect(result.history.map((log) => log.epoch)).toEqual([0, 1, 2]);
  });
});

describe('a mid-epoch abort and resume [cpu]', () => {
  /** Runs `train` uninterrupted, then aborted after `stopAt` minibatch iterations and resumed; returns both models' weights. */
  async function interruptedAndWhole<M extends { getWeights(): Map<string, { values: Float32Array }>; dispose(): void }>(
    build: () => M,
    train: (model: M, options: CommonTrainingOptions & { onBatchEnd?: () => void }) => Promise<unknown>,
    stopAt: number,
  ): Promise<{ whole: number[][]; resumed: number[][]; checkpoint: Uint8Array }> {
    const weights = (model: M) => [...model.getWeights().values()].map(({ values }) => Array.from(values));
    const wholeModel = build();
    await train(wholeModel, {});
    const whole = weights(wholeModel);
    wholeModel.dispose();
    const controller = new AbortController();
    let checkpoint: Uint8Array | undefined;
    const first = build();
    let batches = 0;
    await train(first, {
      signal: controller.signal,
      checkpoint: { every: 1000, write: async (bytes) => void (checkpoint = bytes) },
      onBatchEnd: () => {
        if (++batches === stopAt) controller.abort();
      },
    });
    first.dispose();
    const second = build();
    await train(second, { resume: checkpoint });
    const resumed = weights(second);
    second.dispose();
    return { whole, resumed, checkpoint: checkpoint! };
  }

  it.each(['tfjs', 'native'] as const)(
    'gives a dA bit-identical weights on engine %s, with shuffled batches, the noise stream and momentum',
    async (engine) => {
      const numTensors = tf.memory().numTensors;
      const { whole, resumed, checkpoint } = await interruptedAndWhole(
        () => new DenoisingAutoencoder(daOptions),
        (da, options) =>
          trainAutoencoder(da, set, { epochs: 3, batchSize: 8, order: 'shuffled', seed: 4, optimizer: 'momentum', engine, ...options }),
        9,
      );
      expect(decodeCheckpoint(checkpoint).state).toMatchObject({ nextEpoch: 1, batchInEpoch: 3, iterations: 9 });
      expect(resumed).toEqual(whole);
      expect(tf.memory().numTensors).toBe(numTensors);
    },
  );

  it.each(['tfjs', 'native'] as const)(
    'gives a classifier bit-identical weights under a step schedule and weight decay on engine %s',
    async (engine) => {
      const { whole, resumed, checkpoint } = await interruptedAndWhole(
        () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 2 }),
        (mlp, options) =>
          fitClassifier(
            mlp,
            { train: set },
            {
              epochs: 4,
              batchSize: 8,
              optimizer: { name: 'momentum', momentum: 0.9, weightDecay: 0.01 },
              learningRate: 0.2,
              learningRateSchedule: { kind: 'step', epochs: 1, factor: 0.5 },
              earlyStopping: false,
              engine,
              ...options,
            },
          ),
        14,
      );
      // Stopped in epoch 2, whose rate (0.05) the resumed run must take up again.
      expect(decodeCheckpoint(checkpoint).state).toMatchObject({ nextEpoch: 2, batchInEpoch: 2 });
      expect(resumed).toEqual(whole);
    },
  );

  it('times a resumed epoch from its start, the minibatches before the checkpoint included', async () => {
    const options = { epochs: 2, batchSize: 8, engine: 'tfjs' as const };
    const controller = new AbortController();
    let checkpoint: Uint8Array | undefined;
    const first = new DenoisingAutoencoder(daOptions);
    // Epoch 1's first three minibatches take at least 3 x 50 ms, then the run stops.
    await trainAutoencoder(first, set, {
      ...options,
      signal: controller.signal,
      checkpoint: { every: 1000, write: async (bytes) => void (checkpoint = bytes) },
      onBatchEnd: async ({ epoch, batch }) => {
        if (epoch === 1) await new Promise((done) => setTimeout(done, 50));
        if (epoch === 1 && batch === 2) controller.abort();
      },
    });
    first.dispose();
    const { state } = decodeCheckpoint(checkpoint!);
    expect(state).toMatchObject({ nextEpoch: 1, batchInEpoch: 3 });
    expect(state.epochSeconds).toBeGreaterThanOrEqual(0.15);
    const second = new DenoisingAutoencoder(daOptions);
    const result = await trainAutoencoder(second, set, { ...options, resume: checkpoint });
    second.dispose();
    expect(result.history.map((log) => log.epoch)).toEqual([0, 1]);
    expect(result.history[1]!.seconds).toBeGreaterThanOrEqual(state.epochSeconds!);
  });

  it('gives a dA bit-identical weights on the native engine running 4 steps per call, stopping after the call', async () => {
    const { whole, resumed, checkpoint } = await interruptedAndWhole(
      () => new DenoisingAutoencoder(daOptions),
      (da, options) =>
        trainAutoencoder(da, set, { epochs: 3, batchSize: 8, order: 'shuffled', seed: 4, engine: 'native', stepsPerRun: 4, ...options }),
      9,
    );
    // The abort comes at iteration 8, inside the call of iterations 6-9 (epoch 1's batches 0-3).
    expect(decodeCheckpoint(checkpoint).state).toMatchObject({ nextEpoch: 1, batchInEpoch: 4, iterations: 10 });
    expect(resumed).toEqual(whole);
  });

  it('gives an SdA bit-identical weights when pretraining stops mid-layer', async () => {
    const { whole, resumed, checkpoint } = await interruptedAndWhole(
      () => new StackedDenoisingAutoencoder({ inputSize: 16, hiddenSizes: [6, 4], corruptionLevels: [0.2, 0.3], numClasses: 2, seed: 1 }),
      (sda, options) => pretrainStack(sda, set, { epochs: 2, batchSize: 8, learningRate: 0.1, engine: 'tfjs', ...options }),
      14,
    );
    expect(decodeCheckpoint(checkpoint).state).toMatchObject({ layer: 1, nextEpoch: 0, batchInEpoch: 2 });
    expect(resumed).toEqual(whole);
  });

  it('gives a classifier bit-identical weights, early-stopping state and best weights included', async () => {
    const data = { train: set, validation: sliceImageSet(set, 0, 16), test: sliceImageSet(set, 16, 16) };
    const { whole, resumed } = await interruptedAndWhole(
      () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 2 }),
      (mlp, options) => fitClassifier(mlp, data, { epochs: 4, batchSize: 8, optimizer: 'adam', learningRate: 0.01, ...options }),
      10,
    );
    expect(resumed).toEqual(whole);
  });

  it.each(['tfjs', 'native'] as const)(
    'gives a classifier with dropout bit-identical weights on engine %s (the mask stream resumes)',
    async (engine) => {
      const { whole, resumed } = await interruptedAndWhole(
        () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, dropout: 0.5, seed: 2 }),
        (mlp, options) => fitClassifier(mlp, { train: set }, { epochs: 3, batchSize: 8, earlyStopping: false, engine, ...options }),
        8,
      );
      expect(resumed).toEqual(whole);
    },
  );

  it('gives sampled training bit-identical weights', async () => {
    const { whole, resumed } = await interruptedAndWhole(
      () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 2 }),
      (mlp, options) => trainSampled(mlp, set, { iterations: 12, batchSize: 8, ...options }),
      5,
    );
    expect(resumed).toEqual(whole);
  });
});

describe('stopping within one minibatch [cpu]', () => {
  it('answers an abort from a timer at the next minibatch, where the cpu backend never yields by itself', async () => {
    const big = barsAndStripes({ size: 8, count: 4000 });
    const da = new DenoisingAutoencoder({ visibleSize: 64, hiddenSize: 32, seed: 1 });
    const controller = new AbortController();
    let batchesAtAbort: number | undefined;
    let batches = 0;
    setTimeout(() => {
      batchesAtAbort = batches;
      controller.abort();
    }, 50);
    const result = await trainAutoencoder(da, big, {
      epochs: 5,
      batchSize: 1,
      engine: 'tfjs',
      signal: controller.signal,
      onBatchEnd: () => void batches++,
    });
    da.dispose();
    expect(result.stopReason).toBe('aborted');
    expect(batchesAtAbort).toBeDefined();
    expect(batches - batchesAtAbort!).toBeLessThanOrEqual(1);
    expect(batches).toBeLessThan(4000);
  });
});
