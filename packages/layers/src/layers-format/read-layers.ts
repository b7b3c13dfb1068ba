import * as tf from '@tensorflow/tfjs-core';
import { formatError, unpackTensors, type BundleTensor } from '../bundle';
import { INFERENCE_IDENTITY_LAYERS, SUPPORTED_LAYERS, type SdaeMetadata } from './shared';

// ---------------------------------------------------------------------------------------------
// layers format -> sdae

/** A layer as read from a topology: its class, name, config (snake_case) and weights by their name in the layer. */
export interface ReadLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** The activation after the layer, with a following Activation layer folded in. */
  activation: string;
  weights: Map<string, BundleTensor>;
}

/** One model of an export, read and checked: its layers (InputLayer removed), input shape and sdae metadata. */
export interface ReadModel {
  file: string;
  inputShape: number[];
  layers: ReadLayer[];
  metadata: Partial<SdaeMetadata> | undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const show = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? 'nothing';

/** A ModelFormatError about layer `layer` of `file`. */
export function layerError(file: string, layer: ReadLayer | { className: string; name: string }, expected: string, found: string): Error {
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
export function inboundNames(inboundNodes: unknown): string[] {
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
export function layerList(topology: unknown, file: string): { class_name: string; config: Record<string, unknown> }[] {
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
export function declaredInputShape(config: Record<string, unknown>): number[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (!Array.isArray(shape)) return undefined;
  return shape.slice(1) as number[];
}

/** The weight of `layer` named `weight` (`kernel`, `bias`...): `<layer>/<weight>`, possibly under a scope (`sequential/dense/kernel`). */
export function takeWeight(weights: Map<string, BundleTensor>, layer: string, weight: string): BundleTensor | undefined {
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
export function weightNames(className: string, config: Record<string, unknown>): string[] {
  if (className === 'Dense' || className === 'Conv2D') return config.use_bias === false ? ['kernel'] : ['kernel', 'bias'];
  if (className === 'BatchNormalization') {
    return [...(config.scale === false ? [] : ['gamma']), ...(config.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
  }
  return [];
}

/** The float32 weights of a model's artifacts by name, checked against sdae's checksums when it wrote them. */
export function readWeights(
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
export function readModel(artifacts: tf.io.ModelArtifacts, file: string): ReadModel {
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
export function requireActivation(file: string, layer: ReadLayer, allowed: readonly string[]): string {
  if (!allowed.includes(layer.activation)) {
    throw layerError(file, layer, `activation ${allowed.map((name) => `"${name}"`).join(' or ')}`, `"${layer.activation}"`);
  }
  return layer.activation;
}

/** A weight's values, checked to have `shape`. */
export function shaped(file: string, layer: ReadLayer, weight: string, shape: readonly number[]): Float32Array {
  const tensor = layer.weights.get(weight)!;
  if (tensor.shape.join() !== shape.join()) {
    throw layerError(file, layer, `a ${weight} of shape [${shape.join(', ')}]`, `shape [${tensor.shape.join(', ')}]`);
  }
  return tensor.values;
}

/** A Dense layer on `inputSize` features: its units, kernel and bias. */
export function readDense(file: string, layer: ReadLayer, inputSize: number): { units: number; W: Float32Array; b: Float32Array } {
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
export function pair(file: string, layer: ReadLayer, field: string, fallback?: [number, number]): [number, number] {
  const value = layer.config[field] ?? fallback;
  const values = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(values) || values.length !== 2 || !values.every((size) => Number.isSafeInteger(size) && size > 0)) {
    throw layerError(file, layer, `${field}, a pair of whole numbers >= 1`, show(value));
  }
  return values as [number, number];
}

export function requireChannelsLast(file: string, layer: ReadLayer): void {
  const format = layer.config.data_format ?? 'channels_last';
  if (format !== 'channels_last') throw layerError(file, layer, 'data_format "channels_last" (NHWC)', show(format));
}

/** A classifier's dense layers `[hidden..., output]` on `inputSize` features: hidden sizes, one hidden activation, weights. */
export function readDenseStack(
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
export function afterFlatten(layers: readonly ReadLayer[]): ReadLayer[] {
  let start = 0;
  while (layers[start]?.className === 'Flatten') start++;
  return layers.slice(start);
}

/**
 * Builds the sdae model `className` from the configuration the layers give (`structure`), filling
 * the rest (seed, corruption levels, preset) from sdae's metadata when it names the same class.
 */
