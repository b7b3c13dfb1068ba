import type * as tf from '@tensorflow/tfjs-core';
import { packTensors, type BundleTensor } from '../bundle';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { LogisticRegression } from '../logistic-regression';
import type { AnyModel } from '../model-io';
import { ReluCnn } from '../relu-cnn';
import { layerShapes } from '../relu-cnn-options';
import { BIAS_EPSILON, type LayersModelArtifacts, type LayersModelPart, type SdaeMetadata, transpose } from './shared';

// ---------------------------------------------------------------------------------------------
// sdae -> layers format

/** A weight of a Keras layer: its name inside the layer (`kernel`, `bias`, ...), shape and values. */
export type LayerWeights = Record<string, { shape: number[]; values: Float32Array }>;

/** One Keras layer to write: its class, unique name, config fields (snake_case, as Keras writes them) and weights. */
export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  weights?: LayerWeights;
}

export function denseLayer(name: string, activation: string, W: { shape: number[]; values: Float32Array }, b: Float32Array): KerasLayer {
  return {
    className: 'Dense',
    name,
    config: { units: W.shape[1], activation, use_bias: true },
    weights: { kernel: W, bias: { shape: [b.length], values: b } },
  };
}

/** A Sequential model's artifacts: its topology, the weights' specs and data, and sdae's metadata with a checksum per weight. */
export function sequentialArtifacts(
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
export function reluCnnLayers(cnn: ReluCnn): KerasLayer[] {
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
