// The standard TensorFlow.js layers format (what `tf.loadLayersModel` reads and Keras' converter
// writes), both ways: sdae models as Keras-style Sequential topologies with their weights, and
// such topologies (sdae's exports or Keras-converted models of the same architectures) back into
// sdae models. The topology is plain JSON written here, so @tensorflow/tfjs-layers is not needed.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import { formatError, packTensors, unpackTensors, type BundleTensor } from './bundle';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { LogisticRegression } from './logistic-regression';
import { Mlp } from './mlp';
import type { ModelClassName, ModelConfig } from './model';
import type { AnyModel } from './model-io';
import { ReluCnn } from './relu-cnn';
import { layerShapes, type ConvolutionConfig } from './relu-cnn-options';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

/**
 * The models an export consists of: one (`model`) for a classifier; two for a dA, its `encoder`
 * (x -> hidden) and its `decoder` (hidden -> reconstruction).
 */
export type LayersModelPart = 'model' | 'encoder' | 'decoder';

/** The artifacts of each model of an export, by part. */
export type LayersModelArtifacts = Partial<Record<LayersModelPart, tf.io.ModelArtifacts>>;

/** What sdae records in a model's `userDefinedMetadata.sdae`, so that an import rebuilds exactly what was exported. */
interface SdaeMetadata {
  className: ModelClassName;
  config: ModelConfig;
  part: LayersModelPart;
  /** CRC-32 of each weight, as {@link packTensors} computes them. */
  checksums: Record<string, number>;
}

/** The activations a layer of an importable model may have, by the Keras names that map exactly to sdae's. */
const HIDDEN_ACTIVATIONS = ['sigmoid', 'tanh', 'relu'] as const;

/** The layer classes {@link modelFromLayersArtifacts} reads. */
const SUPPORTED_LAYERS = ['InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Activation', 'BatchNormalization', 'Reshape'];

/** Layers that only act in training (noise, dropout): the identity at inference, so an import skips them. */
const INFERENCE_IDENTITY_LAYERS = ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'];

/**
 * The per-position bias of a convolution (the numpy notebook's CNN) as a BatchNormalization after
 * a Flatten: in inference, `(x - movingMean) / sqrt(movingVariance + epsilon) + beta` (no scale) is
 * `x + beta` exactly when movingMean is 0 and movingVariance + epsilon is 1. Epsilon is 2^-10
 * (about Keras' default 1e-3) so that `1 - epsilon` and the sum are exact in float32. No Keras or
 * tfjs-layers layer adds a learned bias per position (LocallyConnected2D is missing from
 * tfjs-layers; an identity Dense would hold (h w f)^2 weights), and BatchNormalization is in both.
 * It is exported untrainable, but `fit` in tfjs-layers would still normalise with batch
 * statistics: fine-tune such a model in sdae (importLayersModel), or predict with tfjs-layers.
 */
const BIAS_EPSILON = 2 ** -10;

// ---------------------------------------------------------------------------------------------
// sdae -> layers format

/** A weight of a Keras layer: its name inside the layer (`kernel`, `bias`, ...), shape and values. */
type LayerWeights = Record<string, { shape: number[]; values: Float32Array }>;

/** One Keras layer to write: its class, unique name, config fields (snake_case, as Keras writes them) and weights. */
interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  weights?: LayerWeights;
}

function denseLayer(name: string, activation: string, W: { shape: number[]; values: Float32Array }, b: Float32Array): KerasLayer {
  return {
    className: 'Dense',
    name,
    config: { units: W.shape[1], activation, use_bias: true },
    weights: { kernel: W, bias: { shape: [b.length], values: b } },
  };
}

/** `values` of a `[rows, columns]` matrix, transposed. */
function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++) result[column * rows + row] = values[row * columns + column];
  return result;
}

/** A Sequential model's artifacts: its topology, the weights' specs and data, and sdae's metadata with a checksum per weight. */
function sequentialArtifacts(
  model: AnyModel,
  part: LayersModelPart,
  inputShape: readonly number[],
  layers: readonly KerasLayer[],
): tf.io.ModelArtifacts {
  const tensors: BundleTensor[] = layers.flatMap((layer) =>
    Object.entries(layer.weights ?? {}).map(([weight, { shape, values }]) => ({ name: `${layer.name}/${weight}`, shape, values })),
  );
  const { manifest, data } = packTensors(tensors);
  const metadata: SdaeMetadata = {
    className: model.className,
    config: model.getConfig(),
    part,
    checksums: Object.fromEntries(manifest.map((entry) => [entry.name, entry.crc32])),
  };
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: part === 'model' ? model.className : `${model.className}_${part}`,
        layers: layers.map((layer, index) => ({
          class_name: layer.className,
          config: {
            name: layer.name,
            trainable: true,
            dtype: 'float32',
            ...(index === 0 ? { batch_input_shape: [null, ...inputShape] } : {}),
            ...layer.config,
          },
        })),
      },
      // The tfjs-layers release whose format this follows (what its own model.save writes).
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: '@sdae/layers exportLayersModel',
    convertedBy: null,
    weightSpecs: manifest.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    weightData: data.buffer as ArrayBuffer,
    userDefinedMetadata: { sdae: metadata as unknown as object },
  };
}

/** The Keras layers of a ReluCnn: see {@link BIAS_EPSILON} for the per-position bias. */
function reluCnnLayers(cnn: ReluCnn): KerasLayer[] {
  const config = cnn.getConfig();
  const weights = cnn.getWeights();
  const weight = (name: string) => weights.get(name)!;
  const layers: KerasLayer[] = [];
  const shapes = layerShapes('exportLayersModel', config.inputShape, config.convolutions);
  let flat = false;
  config.convolutions.forEach(({ filters, kernelSize, strides, padding, bias, pool }, index) => {
    const perPosition = bias === 'per-position';
    layers.push({
      className: 'Conv2D',
      name: `conv${index}`,
      config: {
        filters,
        kernel_size: kernelSize,
        strides,
        padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: perPosition ? 'linear' : 'relu',
        use_bias: !perPosition,
      },
      weights: { kernel: weight(`conv${index}.filter`), ...(perPosition ? {} : { bias: weight(`conv${index}.bias`) }) },
    });
    if (perPosition) {
      const { values } = weight(`conv${index}.bias`);
      const size = values.length;
      layers.push({ className: 'Flatten', name: `conv${index}_flatten`, config: {} });
      layers.push({
        className: 'BatchNormalization',
        name: `conv${index}_bias`,
        config: { trainable: false, axis: -1, momentum: 0.99, epsilon: BIAS_EPSILON, center: true, scale: false },
        weights: {
          beta: { shape: [size], values },
          moving_mean: { shape: [size], values: new Float32Array(size) },
          moving_variance: { shape: [size], values: new Float32Array(size).fill(1 - BIAS_EPSILON) },
        },
      });
      layers.push({ className: 'Activation', name: `conv${index}_relu`, config: { activation: 'relu' } });
      flat = pool <= 1 && index === config.convolutions.length - 1;
      if (!flat) layers.push({ className: 'Reshape', name: `conv${index}_reshape`, config: { target_shape: shapes[index].convolution } });
    }
    if (pool > 1) {
      layers.push({
        className: 'MaxPooling2D',
        name: `conv${index}_pool`,
        config: { pool_size: [pool, pool], strides: [pool, pool], padding: 'valid', data_format: 'channels_last' },
      });
    }
  });
  if (!flat) layers.push({ className: 'Flatten', name: 'flatten', config: {} });
  config.denseSizes.forEach((_size, index) =>
    layers.push(denseLayer(`dense${index}`, 'relu', weight(`dense${index}.W`), weight(`dense${index}.b`).values)),
  );
  layers.push(denseLayer('output', 'softmax', weight('output.W'), weight('output.b').values));
  return layers;
}

/**
 * The layers-format artifacts of an sdae model: `model` for a classifier (LogisticRegression, Mlp,
 * StackedDenoisingAutoencoder: its hidden layers and softmax layer; ReluCnn), `encoder` and
 * `decoder` for a DenoisingAutoencoder (a tied decoder's kernel is W transposed). Each is a
 * Keras-style Sequential model whose layers compute exactly what the sdae model does, with the
 * sdae class, configuration and weight checksums in `userDefinedMetadata.sdae`.
 *
 * @example const { model } = layersModelArtifacts(mlp); const tfModel = await tf.loadLayersModel(tf.io.fromMemory(model));
 */
export function layersModelArtifacts(model: AnyModel): LayersModelArtifacts {
  const weights = model.getWeights();
  const weight = (name: string) => weights.get(name)!;
  if (model instanceof DenoisingAutoencoder) {
    const { visibleSize, hiddenSize, activation, tiedWeights } = model.getConfig();
    const decoderKernel = tiedWeights
      ? { shape: [hiddenSize, visibleSize], values: transpose(weight('W').values, visibleSize, hiddenSize) }
      : weight('WPrime');
    return {
      encoder: sequentialArtifacts(model, 'encoder', [visibleSize], [denseLayer('encoder', activation, weight('W'), weight('b').values)]),
      decoder: sequentialArtifacts(
        model,
        'decoder',
        [hiddenSize],
        [denseLayer('decoder', 'sigmoid', decoderKernel, weight('bPrime').values)],
      ),
    };
  }
  if (model instanceof ReluCnn) return { model: sequentialArtifacts(model, 'model', model.getConfig().inputShape, reluCnnLayers(model)) };
  const config = model.getConfig();
  const hiddenSizes = model instanceof LogisticRegression ? [] : (config.hiddenSizes as number[]);
  const activation = model instanceof LogisticRegression ? 'linear' : (config.activation as string);
  const layers = hiddenSizes.map((_size, index) =>
    denseLayer(`layer${index}`, activation, weight(`layer${index}.W`), weight(`layer${index}.b`).values),
  );
  const [outputW, outputB] = model instanceof LogisticRegression ? ['W', 'b'] : ['output.W', 'output.b'];
  layers.push(denseLayer('output', model.output === 'softmax' ? 'softmax' : 'sigmoid', weight(outputW), weight(outputB).values));
  return { model: sequentialArtifacts(model, 'model', [config.inputSize as number], layers) };
}

// ---------------------------------------------------------------------------------------------
// layers format -> sdae

/** A layer as read from a topology: its class, name, config (snake_case) and weights by their name in the layer. */
interface ReadLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** The activation after the layer, with a following Activation layer folded in. */
  activation: string;
  weights: Map<string, BundleTensor>;
}

/** One model of an export, read and checked: its layers (InputLayer removed), input shape and sdae metadata. */
interface ReadModel {
  file: string;
  inputShape: number[];
  layers: ReadLayer[];
  metadata: Partial<SdaeMetadata> | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? 'nothing';

/** A ModelFormatError about layer `layer` of `file`. */
function layerError(file: string, layer: ReadLayer | { className: string; name: string }, expected: string, found: string): Error {
  return formatError(
    file,
    `layer "${layer.name}" (${layer.className})`,
    expected,
    found,
    'sdae imports Sequential (or chain-shaped Functional) models of Dense, Conv2D, MaxPooling2D, Flatten and Activation layers, Dropout skipped, ' +
      "(and the Flatten + BatchNormalization of a per-position bias) that make a LogisticRegression, Mlp, SdA, ReluCnn or a dA's encoder and decoder.",
  );
}

/** The names of the layers feeding a Functional model's layer (Keras 2's nested lists or Keras 3's keras_history). */
function inboundNames(inboundNodes: unknown): string[] {
  const names: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      if (typeof node[0] === 'string' && typeof node[1] === 'number') names.push(node[0]);
      else node.forEach(visit);
    } else if (isObject(node)) {
      if (Array.isArray(node.keras_history) && typeof node.keras_history[0] === 'string') names.push(node.keras_history[0]);
      else Object.values(node).forEach(visit);
    }
  };
  visit(inboundNodes);
  return names;
}

/** The layer configs of a Sequential model, or of a Functional one whose layers form a chain, in order. */
function layerList(topology: unknown, file: string): { class_name: string; config: Record<string, unknown> }[] {
  const fix = 'Export a Sequential model (or a Functional one whose layers form a single chain) with model.save or the tfjs converter.';
  const model = isObject(topology) && isObject(topology.model_config) ? topology.model_config : topology;
  if (!isObject(model)) throw formatError(file, 'modelTopology', 'a Keras model config (an object)', show(model), fix);
  const className = model.class_name;
  const config = model.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (
    !Array.isArray(layers) ||
    !layers.every((layer) => isObject(layer) && typeof layer.class_name === 'string' && isObject(layer.config))
  ) {
    throw formatError(file, 'modelTopology layers', 'a list of { class_name, config }', show(layers), fix);
  }
  if (className === 'Sequential') return layers as { class_name: string; config: Record<string, unknown> }[];
  if (className !== 'Model' && className !== 'Functional') {
    throw formatError(file, 'modelTopology class_name', '"Sequential", "Functional" or "Model"', show(className), fix);
  }
  layers.forEach((layer, index) => {
    const inbound = inboundNames(layer.inbound_nodes);
    const previous = index === 0 ? [] : [String(layers[index - 1].name ?? layers[index - 1].config.name)];
    if (inbound.join() !== previous.join()) {
      throw formatError(
        file,
        `layer "${String(layer.name ?? layer.config.name)}"`,
        index === 0 ? 'the input layer first' : `one input, the layer before it ("${previous[0]}")`,
        inbound.length === 0 ? 'no inputs' : `inputs ${inbound.join(', ')}`,
        fix,
      );
    }
  });
  return layers as { class_name: string; config: Record<string, unknown> }[];
}

/** The batch input shape a layer declares (Keras 2's batch_input_shape, Keras 3's batch_shape), without the batch. */
function declaredInputShape(config: Record<string, unknown>): number[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (!Array.isArray(shape)) return undefined;
  return shape.slice(1) as number[];
}

/** The weight of `layer` named `weight` (`kernel`, `bias`...): `<layer>/<weight>`, possibly under a scope (`sequential/dense/kernel`). */
function takeWeight(weights: Map<string, BundleTensor>, layer: string, weight: string): BundleTensor | undefined {
  const suffix = `${layer}/${weight}`;
  for (const [name, tensor] of weights) {
    if (name === suffix || name.endsWith(`/${suffix}`)) {
      weights.delete(name);
      return tensor;
    }
  }
  return undefined;
}

/** The weights each layer class holds, as tfjs-layers and Keras name them. */
function weightNames(className: string, config: Record<string, unknown>): string[] {
  if (className === 'Dense' || className === 'Conv2D') return config.use_bias === false ? ['kernel'] : ['kernel', 'bias'];
  if (className === 'BatchNormalization') {
    return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
  }
  return [];
}

/** The float32 weights of a model's artifacts by name, checked against sdae's checksums when it wrote them. */
function readWeights(
  artifacts: tf.io.ModelArtifacts,
  metadata: Partial<SdaeMetadata> | undefined,
  file: string,
): Map<string, BundleTensor> {
  const specs = artifacts.weightSpecs ?? [];
  for (const spec of specs) {
    if (spec.dtype !== 'float32' || spec.quantization !== undefined) {
      throw formatError(
        file,
        `weight ${spec.name}`,
        'float32 weights',
        spec.quantization === undefined ? `dtype ${spec.dtype}` : `quantized ${spec.quantization.dtype} weights`,
        'Convert the model again without quantization (float32).',
      );
    }
  }
  const checksums = isObject(metadata?.checksums) ? metadata.checksums : undefined;
  const verified = checksums !== undefined && specs.every((spec) => typeof checksums[spec.name] === 'number');
  const manifest = specs.map(({ name, shape }) => (verified ? { name, shape, dtype: 'float32', crc32: checksums[name] } : { name, shape }));
  const data =
    artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(new tf.io.CompositeArrayBuffer(artifacts.weightData).slice());
  return new Map(unpackTensors(manifest, data, file).tensors.map((tensor) => [tensor.name, tensor]));
}

/** Reads one model of an export: its layers in order, activations folded, each weight found and shaped. */
function readModel(artifacts: tf.io.ModelArtifacts, file: string): ReadModel {
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.format === 'graph-model') {
    throw formatError(
      file,
      'format',
      'a layers model ("layers-model")',
      'a graph model',
      'Export the Keras model as a layers model (tensorflowjs_converter --input_format keras).',
    );
  }
  const metadataField = isObject(artifacts.userDefinedMetadata) ? artifacts.userDefinedMetadata.sdae : undefined;
  const metadata = isObject(metadataField) ? (metadataField as Partial<SdaeMetadata>) : undefined;
  const weights = readWeights(artifacts, metadata, file);
  const listed = layerList(artifacts.modelTopology, file);
  let inputShape: number[] | undefined;
  const layers: ReadLayer[] = [];
  const unmapped = listed.filter(
    ({ class_name: className }) => !SUPPORTED_LAYERS.includes(className) && !INFERENCE_IDENTITY_LAYERS.includes(className),
  );
  if (unmapped.length > 0) {
    const [first] = unmapped;
    const names = unmapped.map(({ class_name: className, config }) => `"${String(config.name)}" (${className})`).join(', ');
    throw layerError(
      file,
      { className: first!.class_name, name: String(first!.config.name) },
      `one of ${SUPPORTED_LAYERS.join(', ')} (or ${INFERENCE_IDENTITY_LAYERS.join(', ')}, skipped as the identity at inference)`,
      `${unmapped.length === 1 ? 'a layer' : `${unmapped.length} layers`} sdae cannot map: ${names}`,
    );
  }
  for (const { class_name: className, config } of listed) {
    const name = String(config.name);
    inputShape ??= declaredInputShape(config);
    if (className === 'InputLayer' || INFERENCE_IDENTITY_LAYERS.includes(className)) continue;
    const previous = layers.at(-1);
    const activation =
      className === 'Activation' ? String(config.activation) : typeof config.activation === 'string' ? config.activation : 'linear';
    if (
      className === 'Activation' &&
      previous !== undefined &&
      previous.activation === 'linear' &&
      ['Dense', 'Conv2D', 'BatchNormalization'].includes(previous.className)
    ) {
      previous.activation = activation;
      continue;
    }
    const layerWeights = new Map<string, BundleTensor>();
    for (const weight of weightNames(className, config)) {
      const tensor = takeWeight(weights, name, weight);
      if (tensor === undefined) throw layerError(file, { className, name }, `a weight ${name}/${weight}`, 'none in the weights manifest');
      layerWeights.set(weight, tensor);
    }
    layers.push({ className, name, config, activation, weights: layerWeights });
  }
  if (weights.size > 0) {
    throw formatError(
      file,
      'weights manifest',
      'only the weights of the layers',
      `also ${[...weights.keys()].join(', ')}`,
      'Export the model again.',
    );
  }
  if (inputShape === undefined || inputShape.length === 0 || !inputShape.every((size) => Number.isSafeInteger(size) && size > 0)) {
    throw formatError(
      file,
      'input shape',
      'a batch_input_shape [null, ...sizes] on the first layer',
      show(inputShape),
      'Build the model with a known input shape.',
    );
  }
  return { file, inputShape, layers, metadata };
}

/** The activation of `layer`, which must be one of `allowed`. */
function requireActivation(file: string, layer: ReadLayer, allowed: readonly string[]): string {
  if (!allowed.includes(layer.activation)) {
    throw layerError(file, layer, `activation ${allowed.map((name) => `"${name}"`).join(' or ')}`, `"${layer.activation}"`);
  }
  return layer.activation;
}

/** A weight's values, checked to have `shape`. */
function shaped(file: string, layer: ReadLayer, weight: string, shape: readonly number[]): Float32Array {
  const tensor = layer.weights.get(weight)!;
  if (tensor.shape.join() !== shape.join()) {
    throw layerError(file, layer, `a ${weight} of shape [${shape.join(', ')}]`, `shape [${tensor.shape.join(', ')}]`);
  }
  return tensor.values;
}

/** A Dense layer on `inputSize` features: its units, kernel and bias. */
function readDense(file: string, layer: ReadLayer, inputSize: number): { units: number; W: Float32Array; b: Float32Array } {
  const units = layer.config.units;
  if (!Number.isSafeInteger(units) || (units as number) < 1) throw layerError(file, layer, 'units, a whole number >= 1', show(units));
  if (layer.config.use_bias === false) throw layerError(file, layer, 'use_bias: true (every sdae layer has a bias)', 'use_bias: false');
  return {
    units: units as number,
    W: shaped(file, layer, 'kernel', [inputSize, units as number]),
    b: shaped(file, layer, 'bias', [units as number]),
  };
}

/** A `[height, width]` field of a Conv2D or MaxPooling2D (Keras writes pairs; a number means both). */
function pair(file: string, layer: ReadLayer, field: string, fallback?: [number, number]): [number, number] {
  const value = layer.config[field] ?? fallback;
  const values = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(values) || values.length !== 2 || !values.every((size) => Number.isSafeInteger(size) && size > 0)) {
    throw layerError(file, layer, `${field}, a pair of whole numbers >= 1`, show(value));
  }
  return values as [number, number];
}

function requireChannelsLast(file: string, layer: ReadLayer): void {
  const format = layer.config.data_format ?? 'channels_last';
  if (format !== 'channels_last') throw layerError(file, layer, 'data_format "channels_last" (NHWC)', show(format));
}

/** A classifier's dense layers `[hidden..., output]` on `inputSize` features: hidden sizes, one hidden activation, weights. */
function readDenseStack(
  model: ReadModel,
  layers: readonly ReadLayer[],
  inputSize: number,
  allowedHidden: readonly string[],
  allowedOutput: readonly string[] = ['softmax'],
) {
  const { file } = model;
  if (layers.length === 0) {
    throw formatError(
      file,
      'layers',
      'a Dense softmax layer at the end',
      'none',
      'An sdae classifier ends in a Dense layer with a softmax.',
    );
  }
  let fanIn = inputSize;
  const dense = layers.map((layer, index) => {
    if (layer.className !== 'Dense')
      throw layerError(file, layer, index === 0 ? 'a Dense layer' : 'Dense layers to the end', `a ${layer.className} layer`);
    requireActivation(file, layer, index === layers.length - 1 ? allowedOutput : allowedHidden);
    const read = readDense(file, layer, fanIn);
    fanIn = read.units;
    return read;
  });
  const hiddenLayers = layers.slice(0, -1);
  const activation = hiddenLayers[0]?.activation ?? 'sigmoid';
  const different = hiddenLayers.find((layer) => layer.activation !== activation);
  if (different !== undefined) {
    throw layerError(
      file,
      different,
      `the activation of the layers before it ("${activation}"): sdae's hidden layers share one`,
      `"${different.activation}"`,
    );
  }
  const hidden = dense.slice(0, -1);
  const output = dense.at(-1)!;
  return { hidden, hiddenSizes: hidden.map((layer) => layer.units), activation, output, numClasses: output.units };
}

/** The leading Flatten layers of a dense model (a Keras MLP on images flattens first), skipped. */
function afterFlatten(layers: readonly ReadLayer[]): ReadLayer[] {
  let start = 0;
  while (layers[start]?.className === 'Flatten') start++;
  return layers.slice(start);
}

/**
 * Builds the sdae model `className` from the configuration the layers give (`structure`), filling
 * the rest (seed, corruption levels, preset) from sdae's metadata when it names the same class.
 */
function build<T extends AnyModel>(
  model: ReadModel,
  className: ModelClassName,
  structure: ModelConfig,
  make: (config: ModelConfig) => T,
  weights: Record<string, Float32Array>,
): T {
  const recorded = model.metadata?.className === className && isObject(model.metadata.config) ? model.metadata.config : {};
  let built: T;
  try {
    built = make({ ...recorded, ...structure });
  } catch (error) {
    if (!InvalidArgumentError.isInstance(error)) throw error;
    throw formatError(
      model.file,
      'userDefinedMetadata.sdae.config',
      `a ${className} configuration that fits the layers`,
      error.message,
      'Export the model again.',
    );
  }
  try {
    built.setWeights(weights);
  } catch (error) {
    built.dispose();
    if (!InvalidArgumentError.isInstance(error)) throw error;
    throw formatError(model.file, 'weights', `the weights of a ${className}`, error.message, 'Export the model again.');
  }
  return built;
}

/** A dense classifier: LogisticRegression (no hidden layer), Mlp, or the SdA its metadata names. */
function denseClassifier(model: ReadModel): AnyModel {
  const inputSize = model.inputShape.reduce((product, size) => product * size, 1);
  const recordedClass = model.metadata?.className;
  // Only an SdA whose metadata says so ends in sigmoids (DeepLearnToolbox's output units).
  const sigmoidOutput =
    recordedClass === 'StackedDenoisingAutoencoder' &&
    isObject(model.metadata?.config) &&
    model.metadata.config.output === 'sigmoid-squared-error';
  const stack = readDenseStack(model, afterFlatten(model.layers), inputSize, HIDDEN_ACTIVATIONS, [sigmoidOutput ? 'sigmoid' : 'softmax']);
  const { hidden, hiddenSizes, activation, output, numClasses } = stack;
  if (hiddenSizes.length === 0 && recordedClass !== 'Mlp') {
    return build(model, 'LogisticRegression', { inputSize, numClasses }, (config) => new LogisticRegression(config), {
      W: output.W,
      b: output.b,
    });
  }
  const weights: Record<string, Float32Array> = { 'output.W': output.W, 'output.b': output.b };
  hidden.forEach(({ W, b }, index) => Object.assign(weights, { [`layer${index}.W`]: W, [`layer${index}.b`]: b }));
  const structure = { inputSize, hiddenSizes, activation, numClasses };
  if (recordedClass === 'StackedDenoisingAutoencoder' && hiddenSizes.length > 0) {
    return build(model, recordedClass, structure, (config) => new StackedDenoisingAutoencoder(config), weights);
  }
  return build(model, 'Mlp', structure, (config) => new Mlp(config), weights);
}

/** A per-position bias from a BatchNormalization in inference: `x s + t` must have s = 1 (within float error); returns t. */
function biasFromBatchNormalization(file: string, layer: ReadLayer, size: number): Float32Array {
  const epsilon = typeof layer.config.epsilon === 'number' ? layer.config.epsilon : 1e-3;
  const get = (weight: string, fill: number) =>
    layer.weights.has(weight) ? shaped(file, layer, weight, [size]) : new Float32Array(size).fill(fill);
  const [gamma, beta, mean, variance] = [get('gamma', 1), get('beta', 0), get('moving_mean', 0), get('moving_variance', 1)];
  const bias = new Float32Array(size);
  for (let index = 0; index < size; index++) {
    const scale = gamma[index] / Math.sqrt(variance[index] + epsilon);
    if (Math.abs(scale - 1) > 1e-6) {
      throw layerError(
        file,
        layer,
        'a per-position bias: gamma / sqrt(moving_variance + epsilon) = 1 everywhere',
        `${scale} at position ${index}`,
      );
    }
    bias[index] = beta[index] - mean[index] * scale;
  }
  return bias;
}

/** A ReluCnn: convolution blocks (ReLU, a bias per filter or per position, max-pooling), Flatten, dense ReLU layers, softmax. */
function reluCnn(model: ReadModel): ReluCnn {
  const { file, layers } = model;
  if (model.inputShape.length !== 3) {
    throw formatError(
      file,
      'input shape',
      '[height, width, channels] images for a Conv2D',
      `[${model.inputShape.join(', ')}]`,
      'Give the model NHWC image inputs.',
    );
  }
  const inputShape = model.inputShape as [number, number, number];
  let shape: number[] = [...inputShape];
  let index = 0;
  const at = (offset: number): ReadLayer | undefined => layers[index + offset];
  const convolutions: ConvolutionConfig[] = [];
  const weights: Record<string, Float32Array> = {};
  while (at(0)?.className === 'Conv2D') {
    const layer = at(0)!;
    if (shape.length !== 3)
      throw layerError(file, layer, 'an image input [height, width, channels]', `[${shape.join(', ')}]: add a Reshape before it`);
    requireChannelsLast(file, layer);
    const filters = layer.config.filters;
    if (!Number.isSafeInteger(filters) || (filters as number) < 1)
      throw layerError(file, layer, 'filters, a whole number >= 1', show(filters));
    if (pair(file, layer, 'dilation_rate', [1, 1]).join() !== '1,1')
      throw layerError(file, layer, 'dilation_rate [1, 1]', show(layer.config.dilation_rate));
    const padding = layer.config.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw layerError(file, layer, 'padding "valid" or "same"', show(padding));
    const kernelSize = pair(file, layer, 'kernel_size');
    const strides = pair(file, layer, 'strides', [1, 1]);
    const convolution: ConvolutionConfig = { filters: filters as number, kernelSize, strides, padding, bias: 'per-filter', pool: 0 };
    let outputShape: [number, number, number];
    try {
      outputShape = layerShapes('importLayersModel', shape as [number, number, number], [convolution])[0]!.convolution;
    } catch (error) {
      if (!InvalidArgumentError.isInstance(error)) throw error;
      throw layerError(file, layer, `a kernel that fits its [${shape.join(', ')}] input`, `kernel_size [${kernelSize.join(', ')}]`);
    }
    const conv = `conv${convolutions.length}`;
    weights[`${conv}.filter`] = shaped(file, layer, 'kernel', [...kernelSize, shape[2]!, filters as number]);
    const size = outputShape.reduce((product, dimension) => product * dimension, 1);
    if (layer.config.use_bias !== false && layer.activation === 'relu') {
      weights[`${conv}.bias`] = shaped(file, layer, 'bias', [filters as number]);
      shape = outputShape;
      index += 1;
    } else if (
      layer.config.use_bias === false &&
      layer.activation === 'linear' &&
      at(1)?.className === 'Flatten' &&
      at(2)?.className === 'BatchNormalization'
    ) {
      const normalization = at(2)!;
      requireActivation(file, normalization, ['relu']);
      convolution.bias = 'per-position';
      weights[`${conv}.bias`] = biasFromBatchNormalization(file, normalization, size);
      shape = [size];
      index += 3;
      if (at(0)?.className === 'Reshape') {
        const target = at(0)!.config.target_shape;
        if (!Array.isArray(target) || target.join() !== outputShape.join()) {
          throw layerError(file, at(0)!, `target_shape [${outputShape.join(', ')}] (the convolution's output)`, show(target));
        }
        shape = outputShape;
        index += 1;
      }
    } else {
      throw layerError(
        file,
        layer,
        'a ReLU with a bias (use_bias: true, activation "relu"), or no bias and no activation followed by Flatten and a ' +
          'BatchNormalization with a ReLU (a bias per position)',
        `use_bias ${String(layer.config.use_bias ?? true)}, activation "${layer.activation}", then ${at(1)?.className ?? 'nothing'}`,
      );
    }
    if (at(0)?.className === 'MaxPooling2D') {
      const pool = at(0)!;
      requireChannelsLast(file, pool);
      const [poolHeight, poolWidth] = pair(file, pool, 'pool_size', [2, 2]);
      const poolStrides = pair(file, pool, 'strides', [poolHeight, poolWidth]);
      if (
        shape.length !== 3 ||
        poolHeight !== poolWidth ||
        poolStrides.join() !== `${poolHeight},${poolWidth}` ||
        (pool.config.padding ?? 'valid') !== 'valid'
      ) {
        throw layerError(
          file,
          pool,
          'a square pool_size with equal strides and padding "valid" on an image',
          `pool_size [${poolHeight}, ${poolWidth}], strides [${poolStrides.join(', ')}], padding ${show(pool.config.padding)}`,
        );
      }
      convolution.pool = poolHeight;
      shape = [Math.floor(shape[0]! / poolHeight), Math.floor(shape[1]! / poolHeight), shape[2]!];
      index += 1;
    }
    convolutions.push(convolution);
  }
  if (shape.length === 3) {
    if (at(0)?.className !== 'Flatten')
      throw layerError(
        file,
        at(0) ?? { className: 'nothing', name: '(end)' },
        'a Flatten after the convolutions',
        `a ${at(0)?.className ?? 'missing'} layer`,
      );
    index += 1;
  }
  const inputSize = shape.reduce((product, size) => product * size, 1);
  const stack = readDenseStack(model, layers.slice(index), inputSize, ['relu']);
  stack.hidden.forEach(({ W, b }, dense) => Object.assign(weights, { [`dense${dense}.W`]: W, [`dense${dense}.b`]: b }));
  Object.assign(weights, { 'output.W': stack.output.W, 'output.b': stack.output.b });
  return build(
    model,
    'ReluCnn',
    { inputShape, convolutions, denseSizes: stack.hiddenSizes, numClasses: stack.numClasses },
    (config) => new ReluCnn(config),
    weights,
  );
}

/** A dA from its encoder (one Dense) and decoder (one sigmoid Dense back to the input size); tied when the decoder's kernel is W transposed. */
function denoisingAutoencoder(encoderModel: ReadModel, decoderModel: ReadModel): DenoisingAutoencoder {
  const [encoderLayer, ...encoderRest] = afterFlatten(encoderModel.layers);
  const [decoderLayer, ...decoderRest] = decoderModel.layers;
  const single = (model: ReadModel, layer: ReadLayer | undefined, rest: ReadLayer[]) => {
    if (layer?.className !== 'Dense' || rest.length > 0) {
      throw formatError(
        model.file,
        'layers',
        "one Dense layer (a dA's encoder or decoder)",
        model.layers.map((read) => read.className).join(', ') || 'none',
        'Export the dA again.',
      );
    }
    return layer;
  };
  const visibleSize = encoderModel.inputShape.reduce((product, size) => product * size, 1);
  const activation = requireActivation(encoderModel.file, single(encoderModel, encoderLayer, encoderRest), HIDDEN_ACTIVATIONS);
  const encoder = readDense(encoderModel.file, encoderLayer!, visibleSize);
  requireActivation(decoderModel.file, single(decoderModel, decoderLayer, decoderRest), ['sigmoid']);
  const decoder = readDense(decoderModel.file, decoderLayer!, encoder.units);
  if (decoder.units !== visibleSize)
    throw layerError(decoderModel.file, decoderLayer!, `units ${visibleSize} (the encoder's input size)`, String(decoder.units));
  const transposed = transpose(encoder.W, visibleSize, encoder.units);
  const tied =
    encoderModel.metadata?.className === 'DenoisingAutoencoder' && isObject(encoderModel.metadata.config)
      ? encoderModel.metadata.config.tiedWeights !== false
      : decoder.W.every((value, index) => value === transposed[index]);
  if (tied && !decoder.W.every((value, index) => value === transposed[index])) {
    throw layerError(
      decoderModel.file,
      decoderLayer!,
      "a kernel equal to the encoder's transposed (the dA has tied weights)",
      'another kernel',
    );
  }
  const weights: Record<string, Float32Array> = { W: encoder.W, b: encoder.b, bPrime: decoder.b, ...(tied ? {} : { WPrime: decoder.W }) };
  return build(
    encoderModel,
    'DenoisingAutoencoder',
    { visibleSize, hiddenSize: encoder.units, activation, tiedWeights: tied },
    (config) => new DenoisingAutoencoder(config),
    weights,
  );
}

/**
 * Rebuilds an sdae model from layers-format artifacts: `model` alone gives a LogisticRegression,
 * Mlp, StackedDenoisingAutoencoder (when sdae's metadata says so; otherwise an Mlp with the same
 * layers) or ReluCnn; `encoder` and `decoder` give a DenoisingAutoencoder. Layers that sdae cannot
 * compute exactly are refused.
 *
 * @param files what to call each part in errors (a path or URL).
 * @throws {ModelFormatError} naming the file and the layer that is unsupported or misshapen, and what is supported.
 */
export function modelFromLayersArtifacts(artifacts: LayersModelArtifacts, files: Partial<Record<LayersModelPart, string>> = {}): AnyModel {
  const fileOf = (part: LayersModelPart) => files[part] ?? `<${part} artifacts>`;
  if (artifacts.model !== undefined) {
    const model = readModel(artifacts.model, fileOf('model'));
    return model.layers.some((layer) => layer.className === 'Conv2D') ? reluCnn(model) : denseClassifier(model);
  }
  if (artifacts.encoder === undefined || artifacts.decoder === undefined) {
    throw new InvalidArgumentError(
      'artifacts',
      Object.keys(artifacts),
      'modelFromLayersArtifacts: pass { model } or { encoder, decoder }.',
    );
  }
  return denoisingAutoencoder(readModel(artifacts.encoder, fileOf('encoder')), readModel(artifacts.decoder, fileOf('decoder')));
}
