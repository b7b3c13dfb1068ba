import { resolveDenoisingAutoencoderOptions, resolveReluCnnOptions, resolveStackedDenoisingAutoencoderOptions } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { scheduledLearningRate } from './optim/learning-rate-schedule';
import { CNN_PRESETS, DEEPLEARNTOOLBOX_SAE, LENET_CNN, NOTEBOOK_CNN, NOTEBOOK_CNN_SUMMED, TUTORIAL_DA, TUTORIAL_SDA } from './presets';

describe('TUTORIAL_DA', () => {
  it("holds the dA tutorial's 784-500 sigmoid dA with tied weights, cross-entropy and 30% masking", () => {
    const config = resolveDenoisingAutoencoderOptions(TUTORIAL_DA.model);
    expect(config).toMatchObject({
      visibleSize: 784,
      hiddenSize: 500,
      activation: 'sigmoid',
      corruption: 'mask',
      corruptionLevel: 0.3,
      loss: 'cross-entropy',
      tiedWeights: true,
    });
  });

  it("holds the dA tutorial's training: SGD at 0.1, batch 20, 15 epochs", () => {
    expect(TUTORIAL_DA.training).toEqual({ epochs: 15, batchSize: 20, learningRate: 0.1 });
  });
});

describe('TUTORIAL_SDA', () => {
  it("holds the SdA tutorial's three layers of 1000 with corruption 0.1, 0.2 and 0.3", () => {
    const config = resolveStackedDenoisingAutoencoderOptions(TUTORIAL_SDA.model);
    expect(config).toMatchObject({
      inputSize: 784,
      hiddenSizes: [1000, 1000, 1000],
      corruptionLevels: [0.1, 0.2, 0.3],
      activation: 'sigmoid',
      numClasses: 10,
    });
  });

  it('pretrains 15 epochs per layer at 0.001 and fine-tunes up to 1000 epochs at 0.1, batch 1 throughout', () => {
    expect(TUTORIAL_SDA.pretraining).toEqual({ epochs: 15, batchSize: 1, learningRate: 0.001 });
    expect(TUTORIAL_SDA.finetuning).toEqual({ epochs: 1000, batchSize: 1, learningRate: 0.1 });
  });
});

describe('DEEPLEARNTOOLBOX_SAE', () => {
  it('holds the 784-100-100-10 sigmoid SAE of untied squared-error autoencoders with 50% masking and sigmoid outputs', () => {
    const config = resolveStackedDenoisingAutoencoderOptions(DEEPLEARNTOOLBOX_SAE.model);
    expect(config).toMatchObject({
      inputSize: 784,
      hiddenSizes: [100, 100],
      numClasses: 10,
      activation: 'sigmoid',
      corruption: 'mask',
      corruptionLevels: [0.5, 0.5],
      reconstructionLoss: 'squared-error',
      tiedWeights: false,
      output: 'sigmoid-squared-error',
      initialization: 'deeplearntoolbox',
    });
  });

  it('trains one shuffled epoch of pretraining and one of fine-tuning at lr 1, momentum 0.5, batch 100, without early stopping', () => {
    const optimizer = { name: 'momentum', learningRate: 1, momentum: 0.5 };
    expect(DEEPLEARNTOOLBOX_SAE.pretraining).toEqual({ epochs: 1, batchSize: 100, order: 'shuffled', optimizer });
    expect(DEEPLEARNTOOLBOX_SAE.finetuning).toEqual({ epochs: 1, batchSize: 100, order: 'shuffled', optimizer, earlyStopping: false });
  });
});

describe('NOTEBOOK_CNN_SUMMED', () => {
  it("is the notebook network trained with the notebook's own rule: summed gradients at learning rate 0.01", () => {
    expect(NOTEBOOK_CNN_SUMMED.model).toEqual(NOTEBOOK_CNN.model);
    expect(NOTEBOOK_CNN_SUMMED.training).toEqual({
      loop: 'sampled',
      options: { ...NOTEBOOK_CNN.training.options, learningRate: 0.01, gradientReduction: 'sum' },
    });
  });
});

describe('NOTEBOOK_CNN', () => {
  it("holds the notebook's one 5x5 filter with a bias per position of the 24x24 map and a 576->10 softmax", () => {
    const config = resolveReluCnnOptions(NOTEBOOK_CNN.model);
    expect(config.convolutions).toEqual([
      { filters: 1, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', bias: 'per-position', pool: 0 },
    ]);
    expect(config.denseSizes).toEqual([]);
    expect(config.inputShape).toEqual([28, 28, 1]);
  });

  it('trains 3,000 iterations of random minibatches of 100 with SGD', () => {
    expect(NOTEBOOK_CNN.training).toEqual({
      loop: 'sampled',
      options: { iterations: 3000, batchSize: 100, optimizer: 'sgd', learningRate: 0.1 },
    });
  });
});

describe('LENET_CNN', () => {
  it("holds LeNet's conv 20 and 50 layers with max-pooling and a dense 500 layer", () => {
    const config = resolveReluCnnOptions(LENET_CNN.model);
    expect(config.convolutions.map(({ filters, kernelSize, pool }) => ({ filters, kernelSize, pool }))).toEqual([
      { filters: 20, kernelSize: [5, 5], pool: 2 },
      { filters: 50, kernelSize: [5, 5], pool: 2 },
    ]);
    expect(config.denseSizes).toEqual([500]);
  });

  it('trains Adam on shuffled minibatches of 50 for 8 epochs, the last 2 at a tenth of 1e-3, without early stopping', () => {
    const { options } = LENET_CNN.training;
    expect(options).toMatchObject({
      epochs: 8,
      batchSize: 50,
      order: 'shuffled',
      optimizer: 'adam',
      learningRate: 0.001,
      earlyStopping: false,
    });
    const rates = Array.from({ length: options.epochs }, (_, epoch) =>
      scheduledLearningRate(options.learningRateSchedule, options.learningRate, epoch, options.epochs),
    );
    [1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4].forEach((rate, epoch) => expect(rates[epoch]).toBeCloseTo(rate, 12));
  });
});

describe('CNN_PRESETS', () => {
  it('names each CNN recipe by its ReluCnn architecture', () => {
    expect(CNN_PRESETS).toEqual({ notebook: NOTEBOOK_CNN, lenet: LENET_CNN });
    for (const [name, preset] of Object.entries(CNN_PRESETS)) expect(preset.model.preset).toBe(name);
  });
});

describe('presets', () => {
  it('are frozen all the way down, so no caller can change a recipe for the others', () => {
    expect(() => (TUTORIAL_SDA.model.hiddenSizes as number[]).push(5)).toThrow(TypeError);
    expect(() => Object.assign(TUTORIAL_DA.training, { epochs: 1 })).toThrow(TypeError);
    expect(Object.isFrozen(DEEPLEARNTOOLBOX_SAE.pretraining.optimizer)).toBe(true);
    expect(TUTORIAL_SDA.model.hiddenSizes).toEqual([1000, 1000, 1000]);
  });
});
