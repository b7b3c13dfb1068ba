import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { barsAndStripes, type ImageSet } from '@sdae/datasets';
import { Mlp } from '@sdae/layers';
import { expect, it } from 'vitest';
import { fitClassifier } from './fit-classifier';
import { evaluate } from '../metrics';
import { trainSampled } from './train-sampled';

// barsAndStripes labels fit in 2 classes; the models below have 10 outputs, or the set claims 10 classes.
const twoClasses = barsAndStripes({ size: 4, count: 40, seed: 4 });

async function expectRefused(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  for (let attempt = 0; attempt < 3; attempt++) {
    const error = await run().catch((caught: unknown) => caught);
    expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  }
  // Three refused runs leave nothing behind.
  expect(tf.memory().numTensors).toBe(before);
}

describeBackends(TEST_BACKENDS, 'classifier data checks', () => {
  const tenClassMlp = () => new Mlp({ inputSize: 16, hiddenSizes: [4], numClasses: 10 });

  it('fitClassifier refuses a 2-class set for a 10-class model before training, without leaking', async () => {
    const model = tenClassMlp();
    await expectRefused(
      () => fitClassifier(model, { train: twoClasses }, { epochs: 1, batchSize: 10, engine: 'tfjs' }),
      /^fitClassifier: data\.train has 2 classes but the model has 10 \(numClasses\); build the model with numClasses: 2/,
    );
    model.dispose();
  });

  it('trainSampled and evaluate refuse it too', async () => {
    const model = tenClassMlp();
    await expectRefused(
      () => trainSampled(model, twoClasses, { iterations: 2, batchSize: 5, engine: 'tfjs' }),
      /^trainSampled: set has 2 classes/,
    );
    await expectRefused(() => evaluate(model, twoClasses), /^evaluate: set has 2 classes/);
    model.dispose();
  });

  it('refuses labels outside the classes the set claims', async () => {
    const broken: ImageSet = { ...twoClasses, labels: Uint8Array.from(twoClasses.labels, (label, index) => (index === 7 ? 5 : label)) };
    const model = new Mlp({ inputSize: 16, hiddenSizes: [4], numClasses: 2 });
    await expectRefused(() => evaluate(model, broken), /^evaluate: set must hold 40 labels in \[0, 2\); found 40 labels, the largest 5\./);
    model.dispose();
  });

  it('names batchSize, not an internal helper, when the batch is larger than the training set', async () => {
    const model = new Mlp({ inputSize: 16, hiddenSizes: [4], numClasses: 2 });
    await expectRefused(
      () => fitClassifier(model, { train: twoClasses, validation: twoClasses }, { epochs: 1, batchSize: 50, engine: 'tfjs' }),
      /^fitClassifier: batchSize 50 is larger than the 40 examples of data\.train, so an epoch would have no batch; use a batchSize of at most 40\.$/,
    );
    model.dispose();
  });
});
