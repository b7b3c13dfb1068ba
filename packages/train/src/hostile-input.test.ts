import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, SdaeError } from '@sdae/core';
import { barsAndStripes, type ImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, Mlp } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import type { EngineName } from './engine/engine-options';
import { fitClassifier } from './loops/fit-classifier';
import { trainAutoencoder } from './loops/train-autoencoder';
import { trainSampled } from './loops/train-sampled';

// Library input an unlucky caller passes (issue 27, case 10 and 12): each a named error, nothing leaked.

const set = barsAndStripes({ size: 4, count: 64, seed: 3 });

/** The error `promise` rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

function mlp(): Mlp {
  return new Mlp({ inputSize: 16, hiddenSizes: [8], numClasses: set.numClasses, seed: 1 });
}

describe('trainAutoencoder and its inputs', () => {
  it('refuses pixels outside [0, 1] under a cross-entropy loss, naming the image, the pixel and the value', async () => {
    const bytes: ImageSet = { ...set, images: set.images.map((pixel) => pixel * 255) };
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4, seed: 1 });
    try {
      const error = await rejection(trainAutoencoder(da, bytes, { epochs: 1, batchSize: 8, engine: 'tfjs' }));
      expect(InvalidArgumentError.isInstance(error) && error.argument).toBe('set.images');
      expect((error as Error).message).toMatch(
        /^trainAutoencoder: set\.images holds 255 at image \d+, pixel \d+, but the dA's cross-entropy loss/,
      );
      expect((error as Error).message).toMatch(/Scale the pixels to \[0, 1\]/);
    } finally {
      da.dispose();
    }
  });

  it('trains on the same bytes with a squared-error loss (which needs no [0, 1])', async () => {
    const bytes: ImageSet = { ...set, images: set.images.map((pixel) => pixel * 255) };
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4, seed: 1, loss: 'squared-error' });
    try {
      const result = await trainAutoencoder(da, bytes, { epochs: 1, batchSize: 8, learningRate: 1e-6, engine: 'tfjs' });
      expect(result.history[0]!.cost).toBeGreaterThan(0);
    } finally {
      da.dispose();
    }
  });

  it('refuses a NaN pixel by name instead of reporting a diverged cost', async () => {
    const images = set.images.slice();
    images[5 * 16 + 3] = Number.NaN;
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4, seed: 1, loss: 'squared-error' });
    try {
      const error = await rejection(trainAutoencoder(da, { ...set, images }, { epochs: 1, batchSize: 8, engine: 'tfjs' }));
      expect((error as Error).message).toMatch(
        /^trainAutoencoder: set\.images holds NaN at image 5, pixel 3; every pixel must be a finite number/,
      );
    } finally {
      da.dispose();
    }
  });

  it('names a NaN pixel before an earlier pixel outside [0, 1] under a cross-entropy loss', async () => {
    const images = set.images.slice();
    images[2 * 16 + 1] = 2;
    images[7 * 16 + 9] = Number.NaN;
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4, seed: 1 });
    try {
      const error = await rejection(trainAutoencoder(da, { ...set, images }, { epochs: 1, batchSize: 8, engine: 'tfjs' }));
      expect((error as Error).message).toMatch(
        /^trainAutoencoder: set\.images holds NaN at image 7, pixel 9; every pixel must be a finite/,
      );
    } finally {
      da.dispose();
    }
  });
});

describe('fitClassifier and its inputs', () => {
  it('refuses labels given as a plain array, naming data.train.labels and the fix', async () => {
    const model = mlp();
    try {
      const labels = Array.from(set.labels) as unknown as Uint8Array;
      const error = await rejection(fitClassifier(model, { train: { ...set, labels } }, { epochs: 1, batchSize: 8, engine: 'tfjs' }));
      expect(InvalidArgumentError.isInstance(error) && error.argument).toBe('data.train.labels');
      expect((error as Error).message).toMatch(/must be a Uint8Array of class indices.*Uint8Array\.from\(labels\)/);
    } finally {
      model.dispose();
    }
  });

  it('refuses a second loop on a model another loop is training, and the first finishes as if alone', async () => {
    const alone = mlp();
    const twice = mlp();
    try {
      const options = { epochs: 2, batchSize: 8, engine: 'tfjs' as const, earlyStopping: false as const };
      const expected = await fitClassifier(alone, { train: set }, options);
      const first = fitClassifier(twice, { train: set }, options);
      const second = await rejection(fitClassifier(twice, { train: set }, options));
      const sampled = await rejection(trainSampled(twice, set, { iterations: 2, batchSize: 8, engine: 'tfjs' }));
      for (const error of [second, sampled]) {
        expect(InvalidArgumentError.isInstance(error) && error.argument).toBe('model');
        expect((error as Error).message).toMatch(/the model is already being trained by fitClassifier, which has not finished/);
      }
      const result = await first;
      expect(result.history.map((log) => log.cost)).toEqual(expected.history.map((log) => log.cost));
      // Once the first has finished, the model trains again.
      await fitClassifier(twice, { train: set }, { ...options, epochs: 1 });
    } finally {
      alone.dispose();
      twice.dispose();
    }
  });
});

describe('a model disposed mid-training', () => {
  for (const engine of ['tfjs', 'native'] as EngineName[]) {
    it(`stops with a named error and frees every tensor (engine ${engine})`, async () => {
      const before = tf.memory().numTensors;
      const model = mlp();
      const error = await rejection(
        fitClassifier(
          model,
          { train: set },
          {
            engine,
            epochs: 3,
            batchSize: 4,
            earlyStopping: false,
            onBatchEnd: ({ batch }) => {
              if (batch === 3) model.dispose();
            },
          },
        ),
      );
      expect(SdaeError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/^Mlp\.\w+: the model has been disposed/);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
