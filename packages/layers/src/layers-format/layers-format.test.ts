import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '@sdae/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { ModelFormatError } from '../errors';
import { layersModelArtifacts } from './index';
import { exportLayersModel, importLayersModel, layersModelDirectory } from '../layers-model-node';
import { LogisticRegression } from '../logistic-regression';
import { Mlp } from '../mlp';
import type { AnyModel } from '../model-io';
import { ReluCnn } from '../relu-cnn';
import type { ReluCnnOptions } from '../relu-cnn-options';
import { StackedDenoisingAutoencoder } from '../stacked-denoising-autoencoder';

const TOLERANCE = 1e-5;

/** The models with a predict: every kind but the dA. */
type Classifier = Exclude<AnyModel, DenoisingAutoencoder>;

/** The parts of an exported model.json the refusal tests edit. */
interface ModelJson {
  modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  weightsManifest: { weights: { quantization?: unknown }[] }[];
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sdae-layers-format-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let directoryCount = 0;
function freshDirectory(): string {
  return join(root, `export-${directoryCount++}`);
}

/** Overwrites every weight with seeded values in [-1, 1), so that zero-initialised layers (softmax, biases) are tested too. */
function randomizeWeights(model: AnyModel, seed: number): void {
  const random = new Random(seed);
  const values: Record<string, Float32Array> = {};
  for (const [name, { values: current }] of model.getWeights()) values[name] = Float32Array.from(current, () => random.next() * 2 - 1);
  model.setWeights(values);
}

function inputs(shape: number[], seed: number): tf.Tensor {
  const random = new Random(seed);
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => random.next()),
    shape,
  );
}

/** What tfjs-layers predicts for `x` with the model in `directory`, loaded by tf.loadLayersModel. */
async function tfjsLayersPredict(directory: string, x: tf.Tensor): Promise<Float32Array> {
  const loaded = await tfl.loadLayersModel(layersModelDirectory(directory));
  const prediction = loaded.predict(x) as tf.Tensor;
  const values = prediction.dataSync() as Float32Array;
  prediction.dispose();
  loaded.dispose();
  return Float32Array.from(values);
}

function take(tensor: tf.Tensor): Float32Array {
  const values = Float32Array.from(tensor.dataSync() as Float32Array);
  tensor.dispose();
  return values;
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const worst = actual.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index])), 0);
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
}

const CNN_CONFIGURATIONS: [string, ReluCnnOptions, number[]][] = [
  ['the notebook preset (a bias per position)', { preset: 'notebook' }, [3, 28, 28, 1]],
  ['the lenet preset', { preset: 'lenet' }, [2, 28, 28, 1]],
  [
    'per-position biases with pooling and a second convolution',
    {
      inputShape: [9, 9, 2],
      convolutions: [
        { filters: 2, kernelSize: 3, bias: 'per-position', pool: 2 },
        { filters: 3, kernelSize: 2, bias: 'per-position', padding: 'same' },
      ],
      denseSizes: [4],
      numClasses: 3,
    },
    [3, 9, 9, 2],
  ],
  [
    'a per-position bias not last, then a per-filter convolution',
    {
      inputShape: [8, 8, 1],
      convolutions: [
        { filters: 2, kernelSize: 3, bias: 'per-position' },
        { filters: 2, kernelSize: 2, pool: 2 },
      ],
      numClasses: 2,
    },
    [2, 8, 8, 1],
  ],
  [
    "'same' padding, uneven strides and kernels",
    {
      inputShape: [10, 7, 3],
      convolutions: [
        { filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: 'same', pool: 2 },
        { filters: 2, kernelSize: [2, 1], strides: 1 },
      ],
      denseSizes: [5, 3],
      numClasses: 4,
    },
    [3, 10, 7, 3],
  ],
];

describe('exportLayersModel', () => {
  const classifiers: [string, () => Classifier, number[]][] = [
    ['LogisticRegression', () => new LogisticRegression({ inputSize: 6, numClasses: 3 }), [4, 6]],
    ...(['sigmoid', 'tanh', 'relu'] as const).map(
      (activation) =>
        [`Mlp (${activation})`, () => new Mlp({ inputSize: 6, hiddenSizes: [5, 4], activation, numClasses: 3, seed: 2 }), [4, 6]] as [
          string,
          () => Classifier,
          number[],
        ],
    ),
    ['Mlp without hidden layers', () => new Mlp({ inputSize: 6, hiddenSizes: [], numClasses: 3 }), [4, 6]],
    [
      'StackedDenoisingAutoencoder',
      () => new StackedDenoisingAutoencoder({ inputSize: 6, hiddenSizes: [5, 4], corruptionLevels: [0.1, 0.2], numClasses: 3, seed: 3 }),
      [4, 6],
    ],
    [
      'StackedDenoisingAutoencoder with sigmoid outputs (DeepLearnToolbox)',
      () =>
        new StackedDenoisingAutoencoder({
          inputSize: 6,
          hiddenSizes: [5, 4],
          numClasses: 3,
          output: 'sigmoid-squared-error',
          tiedWeights: false,
          initialization: 'deeplearntoolbox',
          seed: 3,
        }),
      [4, 6],
    ],
    ...CNN_CONFIGURATIONS.map(
      ([name, options, shape]) =>
        [`ReluCnn: ${name}`, () => new ReluCnn({ ...options, seed: 4 }), shape] as [string, () => Classifier, number[]],
    ),
  ];

  it.each(classifiers)('writes a %s that tf.loadLayersModel runs with the same predictions', async (_name, make, shape) => {
    const model = make();
    randomizeWeights(model, 11);
    const x = inputs(shape, 12);
    const directory = freshDirectory();
    const written = await exportLayersModel(model, directory);
    expect(written.map(({ part, location }) => [part, location])).toEqual([['model', directory]]);
    expect((await readdir(directory)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expectClose(await tfjsLayersPredict(directory, x), take(model.predict(x)));
    x.dispose();
    model.dispose();
  });

  it.each([true, false])('writes a dA (tiedWeights %s) as an encoder and a decoder that tfjs-layers runs', async (tiedWeights) => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 4, activation: 'tanh', tiedWeights, seed: 5 });
    randomizeWeights(da, 13);
    const x = inputs([3, 6], 14) as tf.Tensor2D;
    const directory = freshDirectory();
    const written = await exportLayersModel(da, directory);
    expect(written.map(({ part, location }) => [part, location])).toEqual([
      ['encoder', `${directory}/encoder`],
      ['decoder', `${directory}/decoder`],
    ]);
    const hidden = da.encode(x);
    expectClose(await tfjsLayersPredict(join(directory, 'encoder'), x), Float32Array.from(hidden.dataSync()));
    expectClose(await tfjsLayersPredict(join(directory, 'decoder'), hidden), take(da.decode(hidden)));
    hidden.dispose();
    x.dispose();
    da.dispose();
  });

  it('maps every activation to the Keras name and writes Keras-style layer configs', () => {
    const mlp = new Mlp({ inputSize: 6, hiddenSizes: [5], activation: 'tanh', numClasses: 3 });
    const { model } = layersModelArtifacts(mlp);
    const topology = model!.modelTopology as {
      class_name: string;
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    expect(topology.class_name).toBe('Sequential');
    expect(topology.config.layers.map(({ class_name, config }) => [class_name, config.name, config.units, config.activation])).toEqual([
      ['Dense', 'layer0', 5, 'tanh'],
      ['Dense', 'output', 3, 'softmax'],
    ]);
    expect(topology.config.layers[0]!.config.batch_input_shape).toEqual([null, 6]);
    expect(model!.weightSpecs!.map(({ name, shape }) => [name, shape])).toEqual([
      ['layer0/kernel', [6, 5]],
      ['layer0/bias', [5]],
      ['output/kernel', [5, 3]],
      ['output/bias', [3]],
    ]);
    mlp.dispose();
  });

  it('writes the notebook per-position bias as Conv2D without bias, Flatten, BatchNormalization and ReLU', () => {
    const cnn = new ReluCnn({ preset: 'notebook' });
    const topology = layersModelArtifacts(cnn).model!.modelTopology as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    expect(topology.config.layers.map(({ class_name }) => class_name)).toEqual([
      'Conv2D',
      'Flatten',
      'BatchNormalization',
      'Activation',
      'Dense',
    ]);
    expect(topology.config.layers[0]!.config).toMatchObject({ use_bias: false, activation: 'linear', kernel_size: [5, 5] });
    expect(topology.config.layers[2]!.config).toMatchObject({ center: true, scale: false, epsilon: 2 ** -10, trainable: false });
    cnn.dispose();
  });

  it('saves through any tfjs IOHandler, such as tf.io.withSaveHandler', async () => {
    const model = new LogisticRegression({ inputSize: 4, numClasses: 2 });
    randomizeWeights(model, 1);
    let saved: tf.io.ModelArtifacts | undefined;
    const [written] = await exportLayersModel(
      model,
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    expect(written!.location).toBe('<IOHandler>');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const x = inputs([2, 4], 3);
    expectClose(take(loaded.predict(x) as tf.Tensor), take(model.predict(x)));
    loaded.dispose();
    x.dispose();
    model.dispose();
  });

  it('refuses one IOHandler for a dA, which is two models', async () => {
    const da = new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2 });
    await expect(
      exportLayersModel(
        da,
        tf.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
      ),
    ).rejects.toThrow(/exportLayersModel: a dA is two layers models: pass \{ encoder, decoder \}/);
    da.dispose();
  });

  it('leaves the number of tensors unchanged', async () => {
    const cnn = new ReluCnn({ inputShape: [6, 6, 1], convolutions: [{ filters: 2, kernelSize: 3, bias: 'per-position' }], numClasses: 2 });
    const x = inputs([2, 6, 6, 1], 1);
    const directory = freshDirectory();
    await exportLayersModel(cnn, directory);
    const before = tf.memory().numTensors;
    for (let round = 0; round < 2; round++) {
      await exportLayersModel(cnn, directory);
      await tfjsLayersPredict(directory, x);
      (await importLayersModel(directory)).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    cnn.dispose();
  });
});

describe('importLayersModel', () => {
  it.each([
    ['LogisticRegression', () => new LogisticRegression({ inputSize: 6, numClasses: 3, seed: 7 }), [3, 6]],
    ['Mlp', () => new Mlp({ inputSize: 6, hiddenSizes: [5, 4], activation: 'relu', numClasses: 3, seed: 7 }), [3, 6]],
    [
      'StackedDenoisingAutoencoder',
      () =>
        new StackedDenoisingAutoencoder({
          inputSize: 6,
          hiddenSizes: [5],
          corruptionLevels: [0.25],
          tiedWeights: false,
          numClasses: 3,
          seed: 7,
        }),
      [3, 6],
    ],
    [
      'StackedDenoisingAutoencoder with sigmoid outputs',
      () => new StackedDenoisingAutoencoder({ inputSize: 6, hiddenSizes: [5], numClasses: 3, output: 'sigmoid-squared-error', seed: 7 }),
      [3, 6],
    ],
    ...CNN_CONFIGURATIONS.map(([name, options, shape]) => [`ReluCnn: ${name}`, () => new ReluCnn({ ...options, seed: 7 }), shape] as const),
  ] as [string, () => Classifier, number[]][])(
    'reads an exported %s back as the same model with the same predictions',
    async (_name, make, shape) => {
      const model = make();
      randomizeWeights(model, 21);
      const directory = freshDirectory();
      await exportLayersModel(model, directory);
      const imported = (await importLayersModel(directory)) as Classifier;
      expect(imported.className).toBe(model.className);
      expect(imported.getConfig()).toEqual(model.getConfig());
      const x = inputs(shape, 22);
      expectClose(take(imported.predict(x)), take(model.predict(x)));
      x.dispose();
      imported.dispose();
      model.dispose();
    },
  );

  it.each([true, false])('reads an exported dA (tiedWeights %s) from its directory', async (tiedWeights) => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, corruptionLevel: 0.2, tiedWeights, seed: 8 });
    randomizeWeights(da, 23);
    const directory = freshDirectory();
    await exportLayersModel(da, directory);
    const imported = (await importLayersModel(directory)) as DenoisingAutoencoder;
    expect(imported.className).toBe('DenoisingAutoencoder');
    expect(imported.getConfig()).toEqual(da.getConfig());
    const x = inputs([2, 6], 24) as tf.Tensor2D;
    expectClose(take(imported.reconstruct(x)), take(da.reconstruct(x)));
    x.dispose();
    imported.dispose();
    da.dispose();
  });

  it('reads a model built and saved by tfjs-layers itself (its own layer and weight names) as an Mlp', async () => {
    const keras = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 4, activation: 'tanh' }),
        tfl.layers.dense({ units: 4, activation: 'linear' }),
        tfl.layers.activation({ activation: 'tanh' }),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const directory = freshDirectory();
    await keras.save(layersModelDirectory(directory));
    const imported = (await importLayersModel(directory)) as Mlp;
    expect(imported.className).toBe('Mlp');
    expect(imported.getConfig()).toMatchObject({ inputSize: 5, hiddenSizes: [4, 4], activation: 'tanh', numClasses: 3 });
    const x = inputs([3, 5], 25);
    expectClose(take(imported.predict(x)), take(keras.predict(x) as tf.Tensor));
    x.dispose();
    imported.dispose();
    keras.dispose();
  });

  it('reads a model.json written as tensorflowjs_converter writes a Keras model, with the expected predictions', async () => {
    // A Keras 2 Functional model as the converter writes it: model_config, an InputLayer, nested
    // inbound_nodes, a linear Dense followed by a softmax Activation.
    const layer = (name: string, className: string, config: Record<string, unknown>, inbound: string | undefined) => ({
      name,
      class_name: className,
      config: { name, trainable: true, dtype: 'float32', ...config },
      inbound_nodes: inbound === undefined ? [] : [[[inbound, 0, 0, {}]]],
    });
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Functional',
          config: {
            name: 'model',
            layers: [
              layer('input_1', 'InputLayer', { batch_input_shape: [null, 2], sparse: false, ragged: false }, undefined),
              layer('dense', 'Dense', { units: 2, activation: 'sigmoid', use_bias: true }, 'input_1'),
              layer('dense_1', 'Dense', { units: 2, activation: 'linear', use_bias: true }, 'dense'),
              layer('softmax', 'Activation', { activation: 'softmax' }, 'dense_1'),
            ],
            input_layers: [['input_1', 0, 0]],
            output_layers: [['softmax', 0, 0]],
          },
        },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'dense/kernel', shape: [2, 2], dtype: 'float32' },
            { name: 'dense/bias', shape: [2], dtype: 'float32' },
            { name: 'dense_1/kernel', shape: [2, 2], dtype: 'float32' },
            { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
          ],
        },
      ],
    };
    // Hidden: sigmoid(x [[1, 0], [0, 1]] + [0, 0]) = sigmoid(x); output logits: h [[2, 0], [0, 0]] + [0, 1].
    const weights = Float32Array.of(1, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 1);
    const directory = freshDirectory();
    await mkdir(directory);
    await writeFile(join(directory, 'model.json'), JSON.stringify(modelJson));
    await writeFile(join(directory, 'group1-shard1of1.bin'), new Uint8Array(weights.buffer));
    const imported = (await importLayersModel(join(directory, 'model.json'))) as Mlp;
    expect(imported.getConfig()).toMatchObject({ inputSize: 2, hiddenSizes: [2], activation: 'sigmoid', numClasses: 2 });
    const x = tf.tensor2d([[0, 0]]);
    // logits [2 sigmoid(0), 1] = [1, 1]: equal probabilities.
    expectClose(take(imported.predict(x)), Float32Array.of(0.5, 0.5));
    const keras = await tfl.loadLayersModel(layersModelDirectory(directory));
    const other = tf.tensor2d([[3, -1]]);
    expectClose(take(imported.predict(other)), take(keras.predict(other) as tf.Tensor));
    [x, other].forEach((tensor) => tensor.dispose());
    keras.dispose();
    imported.dispose();
  });

  it('reads a Keras 3 Functional model (batch_shape, keras_history inbound nodes, scoped weight names)', async () => {
    const tensor = (name: string) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 2], dtype: 'float32', keras_history: [name, 0, 0] },
    });
    const topology = {
      module: 'keras',
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            name: 'input_layer',
            config: { batch_shape: [null, 2], name: 'input_layer' },
            inbound_nodes: [],
          },
          {
            module: 'keras.layers',
            class_name: 'Dense',
            name: 'dense',
            config: {
              name: 'dense',
              units: 2,
              activation: 'softmax',
              use_bias: true,
              dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
            },
            inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }],
          },
        ],
        input_layers: [['input_layer', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    };
    // logits = x [[1, -1], [0, 0]] + [0, 0]: for x = [ln 3, 5] the logits are [ln 3, -ln 3], probabilities [0.9, 0.1].
    const weights = Float32Array.of(1, -1, 0, 0, 0, 0);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: topology,
      format: 'layers-model',
      weightSpecs: [
        { name: 'functional/dense/kernel', shape: [2, 2], dtype: 'float32' },
        { name: 'functional/dense/bias', shape: [2], dtype: 'float32' },
      ],
      weightData: weights.buffer,
    };
    const imported = (await importLayersModel(tf.io.fromMemory(artifacts))) as LogisticRegression;
    expect(imported.className).toBe('LogisticRegression');
    const x = tf.tensor2d([[Math.log(3), 5]]);
    expectClose(take(imported.predict(x)), Float32Array.of(0.9, 0.1));
    x.dispose();
    imported.dispose();
  });

  it('reads a Keras CNN (Conv2D with ReLU, MaxPooling2D, Flatten, Dense softmax) as a ReluCnn', async () => {
    const keras = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4, activation: 'relu', biasInitializer: 'randomNormal' }),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const directory = freshDirectory();
    await keras.save(layersModelDirectory(directory));
    const imported = (await importLayersModel(directory)) as ReluCnn;
    expect(imported.getConfig()).toMatchObject({
      inputShape: [8, 8, 1],
      convolutions: [{ filters: 3, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', bias: 'per-filter', pool: 2 }],
      denseSizes: [4],
      numClasses: 2,
    });
    const x = inputs([2, 8, 8, 1], 26);
    expectClose(take(imported.predict(x)), take(keras.predict(x) as tf.Tensor));
    x.dispose();
    imported.dispose();
    keras.dispose();
  });

  it('reads from a tf.io.fromMemory handler', async () => {
    const mlp = new Mlp({ inputSize: 3, hiddenSizes: [2], numClasses: 2 });
    randomizeWeights(mlp, 2);
    const imported = await importLayersModel(tf.io.fromMemory(layersModelArtifacts(mlp).model!));
    expect(imported.getConfig()).toEqual(mlp.getConfig());
    imported.dispose();
    mlp.dispose();
  });
});

describe('importLayersModel refusals', () => {
  async function exported(model: AnyModel): Promise<{ directory: string; json: ModelJson }> {
    const directory = freshDirectory();
    await exportLayersModel(model, directory);
    model.dispose();
    return { directory, json: JSON.parse(await readFile(join(directory, 'model.json'), 'utf8')) };
  }

  async function refusal(directory: string): Promise<ModelFormatError> {
    const error = await importLayersModel(directory).then(
      (model) => {
        model.dispose();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(ModelFormatError.isInstance(error), String(error)).toBe(true);
    return error as ModelFormatError;
  }

  it('names the layer, the file and what is supported for an unknown layer class', async () => {
    const { directory, json } = await exported(new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }));
    json.modelTopology.config.layers[0]!.class_name = 'LSTM';
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    const error = await refusal(directory);
    const file = join(directory, 'model.json');
    expect(error.file).toBe(file);
    expect(error.message).toContain(
      `${file}: layer "layer0" (LSTM) is wrong: expected one of InputLayer, Dense, Conv2D, MaxPooling2D, Flatten`,
    );
    expect(error.message).toContain(
      'sdae imports Sequential (or chain-shaped Functional) models of Dense, Conv2D, MaxPooling2D, Flatten and Activation',
    );
  });

  it('names the layer and both shapes for a kernel of the wrong shape', async () => {
    const { directory, json } = await exported(new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }));
    json.modelTopology.config.layers[1]!.config.units = 5;
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain(
      'layer "output" (Dense) is wrong: expected a kernel of shape [3, 5], found shape [3, 2]',
    );
  });

  it('refuses an activation sdae does not have, and hidden layers with different ones', async () => {
    const { directory, json } = await exported(new Mlp({ inputSize: 4, hiddenSizes: [3, 3], numClasses: 2 }));
    json.modelTopology.config.layers[0]!.config.activation = 'elu';
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain(
      'layer "layer0" (Dense) is wrong: expected activation "sigmoid" or "tanh" or "relu", found "elu"',
    );
    json.modelTopology.config.layers[0]!.config.activation = 'relu';
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain(
      'layer "layer1" (Dense) is wrong: expected the activation of the layers before it ("relu")',
    );
  });

  it('refuses a classifier that does not end in a softmax', async () => {
    const { directory, json } = await exported(new LogisticRegression({ inputSize: 4, numClasses: 2 }));
    json.modelTopology.config.layers[0]!.config.activation = 'linear';
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain('layer "output" (Dense) is wrong: expected activation "softmax", found "linear"');
  });

  it('refuses a per-position bias whose BatchNormalization also scales', async () => {
    const { directory, json } = await exported(
      new ReluCnn({ inputShape: [6, 6, 1], numClasses: 2, convolutions: [{ filters: 1, kernelSize: 3, bias: 'per-position' }] }),
    );
    json.modelTopology.config.layers[2]!.config.epsilon = 0.5;
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toMatch(/layer "conv0_bias" \(BatchNormalization\) is wrong: expected a per-position bias/);
  });

  it('refuses a convolution whose kernel is larger than its input', async () => {
    const cnn = new ReluCnn({ inputShape: [6, 6, 1], numClasses: 2, convolutions: [{ filters: 1, kernelSize: 3 }] });
    const { directory, json } = await exported(cnn);
    json.modelTopology.config.layers[0]!.config.batch_input_shape = [null, 2, 2, 1];
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain(
      'layer "conv0" (Conv2D) is wrong: expected a kernel that fits its [2, 2, 1] input, found kernel_size [3, 3]',
    );
  });

  it('names the tensor whose bytes changed since the export', async () => {
    const { directory } = await exported(new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }));
    const shard = join(directory, 'group1-shard1of1.bin');
    const bytes = await readFile(shard);
    bytes[0] ^= 1;
    await writeFile(shard, bytes);
    expect((await refusal(directory)).message).toContain('tensor layer0/kernel fails its checksum');
  });

  it('refuses truncated weights and quantized ones', async () => {
    const { directory, json } = await exported(new LogisticRegression({ inputSize: 4, numClasses: 2 }));
    const shard = join(directory, 'group1-shard1of1.bin');
    await writeFile(shard, (await readFile(shard)).subarray(0, 8));
    expect((await refusal(directory)).message).toContain(
      "size of the weight files is wrong: expected 40 bytes in all (what the weights' shapes and dtypes fill), found 8 bytes in 1 file",
    );
    json.weightsManifest[0]!.weights[0]!.quantization = { dtype: 'uint8', scale: 1, min: 0 };
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    await writeFile(shard, new Uint8Array(4 * 2 + 2 * 4)); // a uint8 kernel [4, 2] and a float32 bias [2]
    expect((await refusal(directory)).message).toContain(
      'weight output/kernel is wrong: expected float32 weights, found quantized uint8 weights',
    );
  });

  it('refuses a Functional model whose layers do not form one chain', async () => {
    const input = tfl.input({ shape: [3] });
    const left = tfl.layers.dense({ units: 2, activation: 'relu', name: 'left' }).apply(input) as tfl.SymbolicTensor;
    const right = tfl.layers.dense({ units: 2, activation: 'relu', name: 'right' }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([left, right]) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(sum) as tfl.SymbolicTensor;
    const keras = tfl.model({ inputs: input, outputs: output });
    const directory = freshDirectory();
    await keras.save(layersModelDirectory(directory));
    keras.dispose();
    expect((await refusal(directory)).message).toContain(
      'layer "right" is wrong: expected one input, the layer before it ("left"), found inputs',
    );
  });

  it('reads a Keras MLP with Dropout layers as an Mlp (dropout is the identity at inference), with the same predictions', async () => {
    const keras = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [4], units: 5, activation: 'relu', name: 'hidden' }),
        tfl.layers.dropout({ rate: 0.5, name: 'drop' }),
        tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
        tfl.layers.dropout({ rate: 0.2, name: 'drop_after' }),
      ],
    });
    const directory = freshDirectory();
    await keras.save(layersModelDirectory(directory));
    const imported = (await importLayersModel(directory)) as Mlp;
    expect(imported.className).toBe('Mlp');
    expect(imported.getConfig()).toMatchObject({ inputSize: 4, hiddenSizes: [5], activation: 'relu', numClasses: 3 });
    const x = inputs([6, 4], 5);
    expectClose(take(imported.predict(x)), take(keras.predict(x) as tf.Tensor));
    x.dispose();
    keras.dispose();
    imported.dispose();
  });

  it('names every layer it cannot map, not only the first', async () => {
    const { directory, json } = await exported(new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 }));
    json.modelTopology.config.layers[0]!.class_name = 'LSTM';
    json.modelTopology.config.layers[1]!.class_name = 'Embedding';
    await writeFile(join(directory, 'model.json'), JSON.stringify(json));
    expect((await refusal(directory)).message).toContain('found 2 layers sdae cannot map: "layer0" (LSTM), "output" (Embedding)');
  });

  it("refuses a dA decoder that does not map back to the encoder's input size", async () => {
    const da = new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2 });
    const directory = freshDirectory();
    await exportLayersModel(da, directory);
    const classifier = new LogisticRegression({ inputSize: 2, numClasses: 3 });
    await exportLayersModel(classifier, join(directory, 'decoder'));
    [da, classifier].forEach((model) => model.dispose());
    expect((await refusal(directory)).message).toContain('layer "output" (Dense) is wrong: expected activation "sigmoid", found "softmax"');
  });

  it('names the missing model.json', async () => {
    const directory = freshDirectory();
    const error = await refusal(directory);
    expect(error.message).toContain(`importLayersModel: cannot read ${join(directory, 'model.json')}`);
  });
});
