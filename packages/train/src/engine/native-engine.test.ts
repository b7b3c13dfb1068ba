import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';
import { expectArraysClose } from '@sdae/backend/testing';
import { barsAndStripes, sliceImageSet, type ImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, LogisticRegression, Mlp, ReluCnn, StackedDenoisingAutoencoder, type Model } from '@sdae/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineName, EngineReport } from './engine-options';
import type { TrainingResult } from '../events';
import { fitClassifier } from '../loops/fit-classifier';
import type { OptimizerName } from '../optim/optimizers';
import { DEEPLEARNTOOLBOX_SAE } from '../presets';
import { pretrainStack } from '../loops/pretrain-stack';
import { trainAutoencoder } from '../loops/train-autoencoder';
import { trainSampled, type TrainSampledOptions } from '../loops/train-sampled';

// Equivalence of the two engines: the same seeded run on the native engine (each step one ONNX
// graph in onnxruntime) and on tfjs's cpu backend gives the same losses and weights.

/** The native engine runs this many steps as one graph (the tiny models here would run one by one). */
const STEPS = 8;
const flat = barsAndStripes({ size: 4, count: 96, seed: 5, flipProbability: 0.05 });
const images = barsAndStripes({ size: 8, count: 48, seed: 6, flipProbability: 0.05 });
const OPTIMIZERS: OptimizerName[] = ['sgd', 'momentum', 'adam'];

interface Run {
  result: TrainingResult;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  engines: EngineReport[];
}

async function trainOn(
  engine: EngineName,
  build: () => Model,
  train: (model: Model, engine: EngineName, onEngine: (report: EngineReport) => void) => Promise<TrainingResult>,
): Promise<Run> {
  const model = build();
  const engines: EngineReport[] = [];
  const result = await train(model, engine, (report) => void engines.push(report));
  const weights = model.getWeights();
  model.dispose();
  return { result, weights, engines };
}

async function expectSameRun(
  build: () => Model,
  train: (model: Model, engine: EngineName, onEngine: (report: EngineReport) => void) => Promise<TrainingResult>,
): Promise<void> {
  const native = await trainOn('native', build, train);
  const tfjs = await trainOn('tfjs', build, train);
  expect(native.engines.length).toBeGreaterThan(0);
  expect(native.engines.map((report) => report.engine)).toEqual(native.engines.map(() => 'native'));
  expect(tfjs.engines.every((report) => report.engine === 'tfjs')).toBe(true);
  expect(native.result.history.length).toBe(tfjs.result.history.length);
  expectArraysClose(
    native.result.history.map((log) => log.cost),
    tfjs.result.history.map((log) => log.cost),
    1e-4,
  );
  for (const [name, { values }] of tfjs.weights) {
    const scale = Math.max(1e-6, ...Array.from(values, Math.abs));
    const difference = Math.max(...Array.from(values, (value, index) => Math.abs(value - native.weights.get(name)!.values[index]!)));
    expect(difference / scale, `${name}: largest difference relative to the largest weight`).toBeLessThan(1e-4);
  }
}

/** A small CNN: a first layer the pooled-convolution pass computes by window position, a second on the blocked kernels. */
const smallCnn = () =>
  new ReluCnn({
    inputShape: [8, 8, 1],
    convolutions: [
      { filters: 4, kernelSize: 3, pool: 2 },
      { filters: 16, kernelSize: 2, pool: 2 },
    ],
    numClasses: 2,
    seed: 11,
  });

const autoencoderRun =
  (set: ImageSet, optimizer: OptimizerName) => (model: Model, engine: EngineName, onEngine: (report: EngineReport) => void) =>
    trainAutoencoder(model as DenoisingAutoencoder, set, {
      epochs: 2,
      // 12 batches an epoch: a run of STEPS steps as one graph, then 4 one by one.
      batchSize: 8,
      learningRate: optimizer === 'adam' ? 0.01 : 0.1,
      optimizer,
      engine,
      onEngine,
      stepsPerRun: STEPS,
    });

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('the native engine against tfjs cpu', () => {
  for (const optimizer of OPTIMIZERS) {
    it(`trains the tutorial's tied sigmoid dA with masking noise identically (${optimizer})`, async () => {
      await expectSameRun(
        () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 }),
        autoencoderRun(flat, optimizer),
      );
    });
  }

  it('trains an untied ReLU dA with Gaussian noise and squared error identically', async () => {
    await expectSameRun(
      () =>
        new DenoisingAutoencoder({
          visibleSize: 16,
          hiddenSize: 8,
          activation: 'relu',
          corruption: 'gaussian',
          corruptionLevel: 0.2,
          loss: 'squared-error',
          tiedWeights: false,
          seed: 2,
        }),
      autoencoderRun(flat, 'momentum'),
    );
  });

  it("reports in its engine event how many steps a call runs (the option's, else one for a small model)", async () => {
    const reports: EngineReport[] = [];
    const train = async (stepsPerRun?: number) => {
      const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 6, seed: 3 });
      await trainAutoencoder(da, flat, {
        epochs: 1,
        batchSize: 10,
        engine: 'native',
        onEngine: (report) => void reports.push(report),
        ...(stepsPerRun === undefined ? {} : { stepsPerRun }),
      });
      da.dispose();
    };
    await train(3);
    await train();
    expect(reports.map((report) => report.stepsPerRun)).toEqual([3, 1]);
  });

  it('trains a tanh autoencoder without noise identically, batches of two shapes included', async () => {
    await expectSameRun(
      () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 6, activation: 'tanh', seed: 3 }),
      (model, engine, onEngine) =>
        trainAutoencoder(model as DenoisingAutoencoder, flat, { epochs: 2, batchSize: 10, engine, onEngine, stepsPerRun: STEPS }),
    );
  });

  it('pretrains and fine-tunes an SdA identically', async () => {
    const data = { train: sliceImageSet(flat, 0, 64), validation: sliceImageSet(flat, 64, 32) };
    await expectSameRun(
      () => new StackedDenoisingAutoencoder({ inputSize: 16, hiddenSizes: [12, 8], corruptionLevels: [0.1, 0.2], numClasses: 2, seed: 4 }),
      async (model, engine, onEngine) => {
        const sda = model as StackedDenoisingAutoencoder;
        const pretraining = await pretrainStack(sda, data.train, {
          epochs: 2,
          batchSize: 8,
          learningRate: 0.3,
          engine,
          onEngine,
          stepsPerRun: STEPS,
        });
        const finetuning = await fitClassifier(sda, data, {
          epochs: 3,
          batchSize: 8,
          learningRate: 0.5,
          optimizer: 'adam',
          engine,
          onEngine,
          stepsPerRun: STEPS,
        });
        return { ...finetuning, history: [...pretraining.history, ...finetuning.history] };
      },
    );
  });

  it("pretrains and fine-tunes DeepLearnToolbox's SAE identically (untied squared-error dAs, sigmoid outputs, momentum)", async () => {
    const data = { train: sliceImageSet(flat, 0, 64) };
    // The preset's loops on 16-pixel images: 2 epochs of 8 batches, so that 8 steps run as one graph.
    const { earlyStopping, ...training } = { ...DEEPLEARNTOOLBOX_SAE.finetuning, epochs: 2, batchSize: 8 };
    await expectSameRun(
      () => new StackedDenoisingAutoencoder({ ...DEEPLEARNTOOLBOX_SAE.model, inputSize: 16, hiddenSizes: [12, 8], numClasses: 2, seed: 4 }),
      async (model, engine, onEngine) => {
        const sda = model as StackedDenoisingAutoencoder;
        const pretraining = await pretrainStack(sda, data.train, { ...training, engine, onEngine, stepsPerRun: STEPS });
        const finetuning = await fitClassifier(sda, data, { ...training, earlyStopping, engine, onEngine, stepsPerRun: STEPS });
        return { ...finetuning, history: [...pretraining.history, ...finetuning.history] };
      },
    );
  });

  for (const optimizer of OPTIMIZERS) {
    it(`fits logistic regression and an MLP identically (${optimizer})`, async () => {
      const data = { train: flat };
      const options = (engine: EngineName, onEngine: (report: EngineReport) => void) => ({
        epochs: 3,
        batchSize: 8,
        learningRate: optimizer === 'adam' ? 0.01 : 0.3,
        optimizer,
        earlyStopping: false,
        engine,
        onEngine,
        stepsPerRun: STEPS,
      });
      await expectSameRun(
        () => new LogisticRegression({ inputSize: 16, numClasses: 2 }),
        (model, engine, onEngine) => fitClassifier(model as LogisticRegression, data, options(engine, onEngine)),
      );
      await expectSameRun(
        () => new Mlp({ inputSize: 16, hiddenSizes: [10, 6], activation: 'relu', numClasses: 2, seed: 5 }),
        (model, engine, onEngine) => fitClassifier(model as Mlp, data, options(engine, onEngine)),
      );
    });
  }

  it('applies weight decay and a learning-rate schedule identically (an MLP with momentum, a dA with Adam)', async () => {
    await expectSameRun(
      () => new Mlp({ inputSize: 16, hiddenSizes: [10, 6], numClasses: 2, seed: 5 }),
      (model, engine, onEngine) =>
        fitClassifier(
          model as Mlp,
          { train: flat },
          {
            epochs: 4,
            batchSize: 8,
            learningRate: 0.3,
            optimizer: { name: 'momentum', momentum: 0.9, weightDecay: 0.01 },
            learningRateSchedule: { kind: 'step', epochs: 2, factor: 0.1 },
            earlyStopping: false,
            engine,
            onEngine,
            stepsPerRun: STEPS,
          },
        ),
    );
    await expectSameRun(
      () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 }),
      (model, engine, onEngine) =>
        trainAutoencoder(model as DenoisingAutoencoder, flat, {
          epochs: 3,
          batchSize: 8,
          learningRate: 0.01,
          optimizer: 'adam',
          weightDecay: 0.05,
          learningRateSchedule: { kind: 'cosine' },
          engine,
          onEngine,
          stepsPerRun: STEPS,
        }),
    );
  });

  it('draws the same dropout masks and trains identically (an MLP, an SdA fine-tuned, a CNN with a dense layer)', async () => {
    const options = (engine: EngineName, onEngine: (report: EngineReport) => void) => ({
      epochs: 2,
      batchSize: 8,
      learningRate: 0.3,
      earlyStopping: false,
      engine,
      onEngine,
      stepsPerRun: STEPS,
    });
    await expectSameRun(
      () => new Mlp({ inputSize: 16, hiddenSizes: [10, 6], numClasses: 2, dropout: 0.5, seed: 5 }),
      (model, engine, onEngine) => fitClassifier(model as Mlp, { train: flat }, options(engine, onEngine)),
    );
    await expectSameRun(
      () =>
        new StackedDenoisingAutoencoder({
          inputSize: 16,
          hiddenSizes: [12, 8],
          corruptionLevels: [0.1, 0.2],
          numClasses: 2,
          dropout: 0.2,
          seed: 4,
        }),
      (model, engine, onEngine) => fitClassifier(model as StackedDenoisingAutoencoder, { train: flat }, options(engine, onEngine)),
    );
    await expectSameRun(
      () =>
        new ReluCnn({
          inputShape: [8, 8, 1],
          convolutions: [{ filters: 2, kernelSize: 3, pool: 2 }],
          denseSizes: [5],
          numClasses: 2,
          dropout: 0.3,
          seed: 7,
        }),
      (model, engine, onEngine) =>
        trainSampled(model as ReluCnn, images, { iterations: 10, batchSize: 8, learningRate: 0.1, engine, onEngine, stepsPerRun: STEPS }),
    );
  });

  it("trains the notebook's ReLU CNN on sampled minibatches identically", async () => {
    await expectSameRun(
      () =>
        new ReluCnn({ inputShape: [8, 8, 1], convolutions: [{ filters: 1, kernelSize: 5, bias: 'per-position' }], numClasses: 2, seed: 6 }),
      (model, engine, onEngine) =>
        trainSampled(model as ReluCnn, images, { iterations: 12, batchSize: 10, learningRate: 0.1, engine, onEngine, stepsPerRun: STEPS }),
    );
  });

  it('trains a ReLU CNN with pooling, strides, same padding and dense layers identically (adam)', async () => {
    await expectSameRun(
      () =>
        new ReluCnn({
          inputShape: [8, 8, 1],
          convolutions: [
            { filters: 4, kernelSize: 3, padding: 'same', pool: 2 },
            { filters: 3, kernelSize: 2, strides: 2 },
          ],
          denseSizes: [5],
          numClasses: 2,
          seed: 7,
        }),
      (model, engine, onEngine) =>
        trainSampled(model as ReluCnn, images, {
          iterations: 8,
          batchSize: 12,
          learningRate: 0.01,
          optimizer: 'adam',
          engine,
          onEngine,
          stepsPerRun: STEPS,
        }),
    );
  });

  it('trains a small CNN identically: a first layer pooled by window position, a second on the blocked (NCHWc) kernels', async () => {
    await expectSameRun(smallCnn, (model, engine, onEngine) =>
      trainSampled(model as ReluCnn, images, { iterations: 10, batchSize: 10, learningRate: 0.1, engine, onEngine, stepsPerRun: STEPS }),
    );
  });

  // The loops copy shuffled and sampled batches into arrays they reuse (datasets' `buffers`): a
  // batch waiting in a run of several steps must still hold its own examples when the run starts.
  it('trains on shuffled epochs identically while steps wait to run together in reused batch arrays', async () => {
    await expectSameRun(
      () => new Mlp({ inputSize: 16, hiddenSizes: [6], numClasses: 2, seed: 4 }),
      (model, engine, onEngine) =>
        fitClassifier(
          model as Mlp,
          { train: flat },
          { epochs: 2, batchSize: 8, order: 'shuffled', earlyStopping: false, engine, onEngine, stepsPerRun: 3 },
        ),
    );
  });

  it('trains on sampled minibatches identically while steps wait to run together, with numTensors flat', async () => {
    const counts: number[] = [];
    await expectSameRun(
      () => new ReluCnn({ inputShape: [8, 8, 1], convolutions: [{ filters: 2, kernelSize: 3 }], numClasses: 2, seed: 9 }),
      (model, engine, onEngine) =>
        trainSampled(model as ReluCnn, images, {
          iterations: 13,
          batchSize: 6,
          learningRate: 0.1,
          engine,
          onEngine,
          stepsPerRun: 5,
          onEpochEnd: () => void (engine === 'native' && counts.push(tf.memory().numTensors)),
        }),
    );
    expect(counts).toHaveLength(13);
    expect(new Set(counts).size).toBe(1);
  });

  it('keeps numTensors flat across epochs on the native engine', async () => {
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 8, corruptionLevel: 0.3, seed: 1 });
    const counts: number[] = [];
    await trainAutoencoder(da, flat, {
      epochs: 4,
      stepsPerRun: STEPS,
      batchSize: 16,
      engine: 'native',
      onEpochEnd: () => void counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts).size).toBe(1);
    da.dispose();
  });

  it('resumes a native run bit for bit (a CNN with Adam on sampled minibatches)', async () => {
    const build = () =>
      new ReluCnn({ inputShape: [8, 8, 1], convolutions: [{ filters: 2, kernelSize: 3, pool: 2 }], numClasses: 2, seed: 8 });
    const options = {
      iterations: 10,
      batchSize: 8,
      learningRate: 0.01,
      optimizer: 'adam' as const,
      engine: 'native' as const,
      stepsPerRun: 3,
    };
    const checkpoints: Uint8Array[] = [];
    const uninterrupted = build();
    await trainSampled(uninterrupted, images, {
      ...options,
      checkpoint: { every: 4, write: async (bytes) => void checkpoints.push(bytes) },
    });
    const resumed = build();
    await trainSampled(resumed, images, { ...options, resume: checkpoints[0] });
    for (const [name, { values }] of uninterrupted.getWeights())
      expect(Array.from(resumed.getWeights().get(name)!.values), name).toEqual(Array.from(values));
    uninterrupted.dispose();
    resumed.dispose();
  });

  it('keeps RSS flat across epochs on the native engine (a 784-500 dA)', async () => {
    const digits = barsAndStripes({ size: 28, count: 200, seed: 9 });
    const da = new DenoisingAutoencoder({ visibleSize: 784, hiddenSize: 500, corruptionLevel: 0.3, seed: 1 });
    const rss: number[] = [];
    // 10 steps an epoch, each making a new 1.5 MB W: a leak of the step's outputs would add 15 MB an epoch.
    await trainAutoencoder(da, digits, {
      epochs: 14,
      batchSize: 20,
      engine: 'native',
      onEpochEnd: () => void rss.push(process.memoryUsage().rss / 2 ** 20),
    });
    const settled = rss.slice(4);
    expect(
      Math.max(...settled) - Math.min(...settled),
      `RSS by epoch (MB): ${rss.map((value) => value.toFixed(0)).join(', ')}`,
    ).toBeLessThan(60);
    da.dispose();
  });
});

describe('the native engine with each batch in parts (batchParts)', () => {
  /** A sampled run with each batch in two parts on two threads (SGD 0.1 unless `options` say otherwise). */
  const inParts =
    (iterations: number, batchSize: number, options: Partial<TrainSampledOptions> = {}) =>
    (model: Model, engine: EngineName, onEngine: (report: EngineReport) => void) =>
      trainSampled(model as ReluCnn, images, {
        iterations,
        batchSize,
        learningRate: 0.1,
        engine,
        onEngine,
        threads: 2,
        batchParts: 2,
        ...options,
      });

  it('trains a small CNN identically with its batches in two parts on two threads (sgd, mean gradients)', async () => {
    await expectSameRun(smallCnn, inParts(10, 10));
  });

  const denseCnn = () =>
    new ReluCnn({
      inputShape: [8, 8, 1],
      convolutions: [{ filters: 4, kernelSize: 3, padding: 'same', pool: 2 }],
      denseSizes: [5],
      numClasses: 2,
      seed: 7,
    });

  it('trains a CNN with dense layers identically in two parts with Adam (its slots updated once a step)', async () => {
    await expectSameRun(denseCnn, inParts(8, 12, { learningRate: 0.01, optimizer: 'adam' }));
  });

  // Adam would not tell a sum from a mean (its step is nearly scale-free): plain SGD does.
  it('adds the parts of summed gradients instead of averaging them', async () => {
    await expectSameRun(denseCnn, inParts(8, 12, { learningRate: 0.01, gradientReduction: 'sum' }));
  });

  it("trains the tutorial's dA with masking noise identically, each part drawing its rows' noise", async () => {
    await expectSameRun(
      () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 6, corruptionLevel: 0.3, seed: 3 }),
      (model, engine, onEngine) =>
        trainAutoencoder(model as DenoisingAutoencoder, flat, {
          epochs: 2,
          batchSize: 8,
          learningRate: 0.1,
          engine,
          onEngine,
          threads: 2,
          batchParts: 2,
        }),
    );
  });

  it('runs a batch that does not split into equal parts whole, with the same result', async () => {
    await expectSameRun(smallCnn, inParts(6, 9));
  });

  it('says so in its engine event and keeps numTensors flat', async () => {
    const model = smallCnn();
    const engines: EngineReport[] = [];
    const before = tf.memory().numTensors;
    await trainSampled(model, images, {
      iterations: 6,
      batchSize: 10,
      engine: 'native',
      threads: 2,
      batchParts: 2,
      onEngine: (report) => void engines.push(report),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(engines[0]!.description).toMatch(/each batch in 2 parts at once$/);
    expect(engines[0]!.stepsPerRun).toBe(1);
    model.dispose();
  });

  it('refuses more parts than threads, and parts with several steps a call, naming batchParts', async () => {
    const model = smallCnn();
    const train = (options: { threads: number; batchParts: number; stepsPerRun?: number }) =>
      trainSampled(model, images, { iterations: 2, batchSize: 10, engine: 'native', ...options });
    await expect(train({ threads: 2, batchParts: 3 })).rejects.toThrow(
      'trainSampled: batchParts 3 needs a thread per part, and the native engine has 2. Pass batchParts <= 2 or threads >= 3.',
    );
    await expect(train({ threads: 2, batchParts: 2, stepsPerRun: 4 })).rejects.toThrow(
      'trainSampled: batchParts runs one step per call and stepsPerRun is 4. Pass one of the two.',
    );
    model.dispose();
  });
});
