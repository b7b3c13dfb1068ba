// What the layers-format writer and reader share: the export's parts, sdae's metadata in it, the
// layer classes an import reads and the bias-as-BatchNormalization constant.
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelClassName, ModelConfig } from '../model';

/**
 * The models an export consists of: one (`model`) for a classifier; two for a dA, its `encoder`
 * (x -> hidden) and its `decoder` (hidden -> reconstruction).
 */
export type LayersModelPart = 'model' | 'encoder' | 'decoder';

/** The artifacts of each model of an export, by part. */
export type LayersModelArtifacts = Partial<Record<LayersModelPart, tf.io.ModelArtifacts>>;

/** What sdae records in a model's `userDefinedMetadata.sdae`, so that an import rebuilds exactly what was exported. */
export interface SdaeMetadata {
  className: ModelClassName;
  config: ModelConfig;
  part: LayersModelPart;
  /** CRC-32 of each weight, as {@link packTensors} computes them. */
  checksums: Record<string, number>;
}

/** The activations a layer of an importable model may have, by the Keras names that map exactly to sdae's. */
export const HIDDEN_ACTIVATIONS = ['sigmoid', 'tanh', 'relu'] as const;

/** The layer classes {@link modelFromLayersArtifacts} reads. */
export const SUPPORTED_LAYERS = ['InputLayer', 'Dense', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Activation', 'BatchNormalization', 'Reshape'];

/** Layers that only act in training (noise, dropout): the identity at inference, so an import skips them. */
export const INFERENCE_IDENTITY_LAYERS = [
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
];

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
export const BIAS_EPSILON = 2 ** -10;

/** `values` of a `[rows, columns]` matrix, transposed. */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++) result[column * rows + row] = values[row * columns + column];
  return result;
}
