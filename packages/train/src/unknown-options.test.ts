import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder, LogisticRegression, StackedDenoisingAutoencoder } from '@sdae/layers';
import { expect, it } from 'vitest';
import { EarlyStopping } from './loops/early-stopping';
import { fitClassifier } from './loops/fit-classifier';
import { evaluate } from './metrics';
import { Optimizer } from './optim/optimizers';
import { pretrainStack } from './loops/pretrain-stack';
import { trainAutoencoder } from './loops/train-autoencoder';
import { trainSampled } from './loops/train-sampled';

const set = barsAndStripes({ size: 4, count: 32, seed: 1 });

describeBackends(TEST_BACKENDS, 'unknown option keys of the loops', () => {
  const classifier = () => new LogisticRegression({ inputSize: 16, numClasses: 2 });
  it.each([
    ['trainAutoencoder', 'epoch', () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4 }), trainAutoencoder],
    ['pretrainStack', 'layerEpochs', () => new StackedDenoisingAutoencoder({ inputSize: 16, hiddenSizes: [4] }), pretrainStack],
    [
      'fitClassifier',
      'patience',
      classifier,
      (model: LogisticRegression, data: typeof set, options: object) => fitClassifier(model, { train: data }, options),
    ],
    ['trainSampled', 'epochs', classifier, trainSampled],
  ] as const)('%s refuses an unknown key %j before training, making no tensor', async (caller, bogus, build, train) => {
    const model = build();
    const before = tf.memory().numTensors;
    const error = await (train as (model: unknown, data: typeof set, options: object) => Promise<unknown>)(model, set, {
      [bogus]: 3,
    }).catch((caught: unknown) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`^${caller}: unknown option '${bogus}' in options\\. Valid options: 'batchSize', 'order', `),
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses an unknown key of the checkpoint option', async () => {
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    await expect(
      fitClassifier(model, { train: set }, { checkpoint: { write: async () => undefined, everyEpochs: 2 } as never }),
    ).rejects.toThrow("fitClassifier: unknown option 'everyEpochs' in checkpoint. Valid options: 'every', 'write'.");
    model.dispose();
  });

  it('refuses an unknown key of the optimizer settings, in a loop and in the Optimizer', async () => {
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    await expect(fitClassifier(model, { train: set }, { optimizer: { name: 'momentum', mommentum: 0.9 } as never })).rejects.toThrow(
      /^fitClassifier: unknown option 'mommentum' in optimizer\. Valid options: 'name', 'learningRate', 'momentum', /,
    );
    expect(() => new Optimizer({ rate: 0.1 } as never)).toThrow(/^createOptimizer: unknown option 'rate' in optimizer\./);
    model.dispose();
  });

  it('EarlyStopping and evaluate refuse unknown keys', async () => {
    expect(() => new EarlyStopping(10, { patient: 5 } as never)).toThrow(
      "EarlyStopping: unknown option 'patient' in options. Valid options: 'patience', 'patienceIncrease', 'improvementThreshold'.",
    );
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    await expect(evaluate(model, set, { batch: 5 } as never)).rejects.toThrow(
      "evaluate: unknown option 'batch' in options. Valid options: 'batchSize', 'engine'.",
    );
    model.dispose();
  });
});
