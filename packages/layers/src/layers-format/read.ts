import { InvalidArgumentError } from '@sdae/core';
import { formatError } from '../bundle';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { LogisticRegression } from '../logistic-regression';
import { Mlp } from '../mlp';
import type { ModelClassName, ModelConfig } from '../model';
import type { AnyModel } from '../model-io';
import { ReluCnn } from '../relu-cnn';
import { layerShapes, type ConvolutionConfig } from '../relu-cnn-options';
import { StackedDenoisingAutoencoder } from '../stacked-denoising-autoencoder';
import {
  type ReadLayer,
  type ReadModel,
  afterFlatten,
  isObject,
  layerError,
  pair,
  readDense,
  readDenseStack,
  readModel,
  requireActivation,
  requireChannelsLast,
  shaped,
  show,
} from './read-layers';
import { HIDDEN_ACTIVATIONS, type LayersModelArtifacts, type LayersModelPart, transpose } from './shared';

export function build<T extends AnyModel>(
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
export function denseClassifier(model: ReadModel): AnyModel {
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
export function biasFromBatchNormalization(file: string, layer: ReadLayer, size: number): Float32Array {
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
export function reluCnn(model: ReadModel): ReluCnn {
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
export function denoisingAutoencoder(encoderModel: ReadModel, decoderModel: ReadModel): DenoisingAutoencoder {
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
