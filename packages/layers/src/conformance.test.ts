// The conformance harness every model runs through: variables and parameter count, a gradient
// for every trainable variable, getConfig rebuilding the architecture, byte and directory
// round trips giving identical outputs (and through the tfjs layers format), and dispose freeing
// every tensor.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { Random } from '@sdae/core';
import { oneHot } from '@sdae/datasets';
import { describe, expect, it } from 'vitest';
import { Classifier } from './classifier';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { ModelFormatError } from './errors';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import type { Model } from './model';
import { modelFromBytes, modelFromConfig, modelToBytes, type AnyModel } from './model-io';
import { exportLayersModel, importLayersModel } from './layers-model-node';
import { ReluCnn } from './relu-cnn';
import { loadModel, saveModel } from './save-load-node';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

interface Case {
  name: string;
  build: () => AnyModel;
  /** The variable names the model must expose for training, in order. */
  trainable: string[];
}

const CASES: Case[] = [
  {
    name: 'DenoisingAutoencoder (tied)',
    build: () => new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 5, corruptionLevel: 0.2, seed: 1 }),
    trainable: ['W', 'b', 'bPrime'],
  },
  {
    name: 'DenoisingAutoencoder (untied, relu)',
    build: () =>
      new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 5, activation: 'relu', tiedWeights: false, loss: 'squared-error', seed: 1 }),
    trainable: ['W', 'b', 'bPrime', 'WPrime'],
  },
  {
    name: 'StackedDenoisingAutoencoder',
    build: () =>
      new StackedDenoisingAutoencoder({ inputSize: 16, hiddenSizes: [6, 4], corruptionLevels: [0.1, 0.2], numClasses: 3, seed: 2 }),
    trainable: ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'output.W', 'output.b'],
  },
  {
    name: 'StackedDenoisingAutoencoder (DeepLearnToolbox: untied, sigmoid outputs)',
    build: () =>
      new StackedDenoisingAutoencoder({
        inputSize: 16,
        hiddenSizes: [6, 4],
        corruptionLevels: [0.5, 0.5],
        reconstructionLoss: 'squared-error',
        tiedWeights: false,
        output: 'sigmoid-squared-error',
        initialization: 'deeplearntoolbox',
        numClasses: 3,
        seed: 2,
      }),
    trainable: ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'output.W', 'output.b'],
  },
  {
    name: 'ReluCnn',
    build: () => new ReluCnn({ inputShape: [4, 4, 1], convolutions: [{ filters: 2, kernelSize: 3, pool: 2 }], numClasses: 3, seed: 3 }),
    trainable: ['conv0.filter', 'conv0.bias', 'output.W', 'output.b'],
  },
  { name: 'LogisticRegression', build: () => new LogisticRegression({ inputSize: 16, numClasses: 3 }), trainable: ['W', 'b'] },
  {
    name: 'Mlp',
    build: () => new Mlp({ inputSize: 16, hiddenSizes: [7, 5], activation: 'relu', numClasses: 3, seed: 4 }),
    trainable: ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'output.W', 'output.b'],
  },
];

function inputs(model: Model): { x: tf.Tensor; y: tf.Tensor2D } {
  const random = new Random(5);
  const x = tf.tensor2d(
    Float32Array.from({ length: 6 * 16 }, () => random.next()),
    [6, 16],
  );
  const y = tf.tensor2d(oneHot(Uint8Array.of(0, 1, 2, 0, 1, 2), 3), [6, 3]);
  return { x: model instanceof ReluCnn ? tf.reshape(x, [6, 4, 4, 1]) : x, y };
}

/** A deterministic output: the clean reconstruction of a dA, the logits of a classifier. */
function output(model: AnyModel, x: tf.Tensor): tf.Tensor {
  return model instanceof DenoisingAutoencoder ? model.reconstruct(x as tf.Tensor2D) : model.logits(x);
}

/** Moves every weight away from its initial value, so round trips are checked on trained-looking weights. */
function perturb(model: Model): void {
  const random = new Random(8);
  model.setWeights(
    Object.fromEntries(
      [...model.getWeights()].map(([name, { values }]) => [name, values.map((value) => value + 0.1 * (random.next() - 0.5))]),
    ),
  );
}

describeBackends(TEST_BACKENDS, 'model conformance', () => {
  for (const { name, build, trainable } of CASES) {
    describe(name, () => {
      it('exposes its trainable variables, counted by parameterCount, each with a gradient of its shape', () => {
        const model = build();
        expect([...model.variables.keys()]).toEqual(trainable);
        expect(model.parameterCount()).toBe([...model.variables.values()].reduce((sum, variable) => sum + variable.size, 0));
        const { x, y } = inputs(model);
        const { loss, gradients } = model instanceof Classifier ? model.lossAndGradients(x, y) : model.lossAndGradients(x as tf.Tensor2D);
        expect(Object.keys(gradients).sort()).toEqual([...trainable].sort());
        for (const [variableName, variable] of model.variables) expect(gradients[variableName].shape).toEqual(variable.shape);
        expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
        tf.dispose([x, y, loss, ...Object.values(gradients)]);
        model.dispose();
      });

      it.skipIf(name.startsWith('DenoisingAutoencoder'))(
        'gives the same step and the predicted classes from one forward pass without leaking tensors',
        () => {
          const model = build();
          if (!(model instanceof Classifier)) throw new Error(`${name} is not a Classifier`);
          const { x, y } = inputs(model);
          const expected = model.lossAndGradients(x, y);
          const expectedClasses = model.predictClasses(x);
          const before = tf.memory().numTensors;
          const { loss, gradients, classes } = model.lossGradientsAndClasses(x, y);
          // Exactly the loss, the gradients and the classes are new.
          expect(tf.memory().numTensors).toBe(before + 2 + Object.keys(gradients).length);
          expectArraysClose(loss, expected.loss.dataSync(), 1e-6);
          for (const [variableName, gradient] of Object.entries(gradients))
            expectArraysClose(gradient, expected.gradients[variableName]!.dataSync(), 1e-6);
          expect(Array.from(classes.dataSync())).toEqual(Array.from(expectedClasses.dataSync()));
          tf.dispose([
            x,
            y,
            loss,
            classes,
            expected.loss,
            expectedClasses,
            ...Object.values(gradients),
            ...Object.values(expected.gradients),
          ]);
          model.dispose();
        },
      );

      it.skipIf(name.startsWith('DenoisingAutoencoder'))(
        'gives the loss and the predicted classes of an evaluation from one forward pass without leaking tensors',
        () => {
          const model = build();
          if (!(model instanceof Classifier)) throw new Error(`${name} is not a Classifier`);
          const { x, y } = inputs(model);
          const expectedLoss = model.loss(x, y);
          const expectedClasses = model.predictClasses(x);
          const before = tf.memory().numTensors;
          const { loss, classes } = model.lossAndClasses(x, y);
          expect(tf.memory().numTensors).toBe(before + 2);
          expectArraysClose(loss, expectedLoss.dataSync(), 1e-6);
          expect(Array.from(classes.dataSync())).toEqual(Array.from(expectedClasses.dataSync()));
          tf.dispose([x, y, loss, classes, expectedLoss, expectedClasses]);
          model.dispose();
        },
      );

      it('rebuilds the same architecture from getConfig', () => {
        const model = build();
        const copy = modelFromConfig(model.className, model.getConfig());
        const shapes = (m: Model) => [...m.getWeights()].map(([weight, { shape }]) => [weight, shape]);
        expect(shapes(copy)).toEqual(shapes(model));
        expect(copy.getConfig()).toEqual(model.getConfig());
        model.dispose();
        copy.dispose();
      });

      it('round-trips through bytes and through a directory with identical outputs', async () => {
        const model = build();
        perturb(model);
        const { x, y } = inputs(model);
        const expected = output(model, x);
        const fromBytes = modelFromBytes(modelToBytes(model));
        const directory = join(await mkdtemp(join(tmpdir(), 'sdae-model-')), 'model');
        await saveModel(model, directory);
        await saveModel(model, directory); // overwriting an existing save works too
        const fromDirectory = await loadModel(directory);
        for (const copy of [fromBytes, fromDirectory]) {
          expect(copy.className).toBe(model.className);
          expect(copy.getRandomStates()).toEqual(model.getRandomStates());
          const actual = output(copy, x);
          expectArraysClose(actual, expected, 0);
          tf.dispose(actual);
          copy.dispose();
        }
        tf.dispose([x, y, expected]);
        model.dispose();
      });

      it('round-trips through the tfjs layers format with the same configuration and outputs', async () => {
        const model = build();
        perturb(model);
        const { x, y } = inputs(model);
        const expected = output(model, x);
        const directory = join(await mkdtemp(join(tmpdir(), 'sdae-layers-')), 'export');
        await exportLayersModel(model, directory);
        const copy = await importLayersModel(directory);
        expect(copy.className).toBe(model.className);
        expect(copy.getConfig()).toEqual(model.getConfig());
        const actual = output(copy, x);
        expectArraysClose(actual, expected, 0);
        tf.dispose([actual, x, y, expected]);
        copy.dispose();
        model.dispose();
      });

      it('frees every tensor it made on dispose', () => {
        const before = tf.memory().numTensors;
        const model = build();
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expect(() => model.getVariable(trainable[0])).toThrow(/has been disposed; build or load a new one/);
      });
    });
  }
});

describe('loadModel and modelFromBytes errors', () => {
  it('name the file and what is wrong for a missing, truncated or foreign save', async () => {
    const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
    const directory = join(await mkdtemp(join(tmpdir(), 'sdae-bad-')), 'model');
    await saveModel(model, directory);
    const weights = join(directory, 'weights.bin');
    await writeFile(weights, (await readFile(weights)).subarray(0, 10));
    await expect(loadModel(directory)).rejects.toThrow(
      new RegExp(`${weights.replace(/[/.]/g, '\\$&')}: size of the weight data is wrong: expected 40 bytes, found 10 bytes`),
    );
    await expect(loadModel(join(directory, 'nowhere'))).rejects.toThrow(ModelFormatError);
    const bytes = modelToBytes(model);
    expect(() => modelFromBytes(bytes.subarray(0, bytes.length - 4))).toThrow(/<bytes>: size of the weight data is wrong/);
    expect(() => modelFromBytes(new TextEncoder().encode('not a model at all'))).toThrow(
      /<bytes>: header is wrong: expected the "SDAE" signature/,
    );
    model.dispose();
  });
});
