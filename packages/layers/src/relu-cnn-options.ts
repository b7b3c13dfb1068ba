import {
  InvalidArgumentError,
  describeValue,
  requireKnownKeys,
  requireNonNegativeInteger,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
  type KnownKeys,
} from '@sdae/core';
import { requireLayerSizes, requireValuesFit } from './dense';
import { resolveDropout } from './dropout';

/**
 * A named architecture for {@link ReluCnn}:
 * - `'notebook'`: the numpy notebook's "ReLU CNN": one 5x5 filter, valid convolution
 *   (28x28 -> 24x24), a bias per feature-map position, ReLU, then softmax over 576 features;
 * - `'lenet'`: the Theano tutorial's LeNet shapes with ReLU: conv 5x5x20 + max-pool 2,
 *   conv 5x5x50 + max-pool 2 (-> 4x4x50 = 800), dense 500, softmax.
 */
export type ReluCnnPreset = 'notebook' | 'lenet';

/** Every valid {@link ReluCnnPreset}, in the order error messages list them. */
export const RELU_CNN_PRESETS: readonly ReluCnnPreset[] = ['notebook', 'lenet'];

/** How a convolution treats the border: `'valid'` shrinks the map, `'same'` zero-pads to keep `ceil(size / stride)`. */
export type ConvolutionPadding = 'valid' | 'same';

/** Every valid {@link ConvolutionPadding}. */
export const CONVOLUTION_PADDINGS: readonly ConvolutionPadding[] = ['valid', 'same'];

/**
 * The bias of a convolution: `'per-filter'` is one bias per filter (shape `[filters]`, the usual
 * CNN); `'per-position'` is one bias per feature-map position and filter (shape
 * `[outHeight, outWidth, filters]`, as in the numpy notebook).
 */
export type ConvolutionBias = 'per-filter' | 'per-position';

/** Every valid {@link ConvolutionBias}. */
export const CONVOLUTION_BIASES: readonly ConvolutionBias[] = ['per-filter', 'per-position'];

/** One convolution layer of a {@link ReluCnn}: convolution, bias, ReLU, then optional max-pooling. */
export interface ConvolutionOptions {
  /** The number of filters (output channels), >= 1. Required. */
  filters: number;
  /** The kernel's `[height, width]`, or one number for a square kernel. Required. */
  kernelSize: number | readonly [number, number];
  /** The step between kernel positions, `[down, across]` or one number for both. @default 1 */
  strides?: number | readonly [number, number];
  /** @default 'valid' */
  padding?: ConvolutionPadding;
  /** @default 'per-filter' */
  bias?: ConvolutionBias;
  /** The window (and stride) of a 'valid' max-pooling after the ReLU; 0 or 1 means no pooling. @default 0 */
  pool?: number;
}

/** A resolved {@link ConvolutionOptions}: every field filled in, sizes as `[height, width]` pairs. */
export interface ConvolutionConfig {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: ConvolutionPadding;
  bias: ConvolutionBias;
  pool: number;
}

/**
 * Options of {@link ReluCnn}. A preset supplies `convolutions` and `denseSizes`; fields given
 * here override the preset's. Without a preset, fields not given take the notebook network's.
 */
export interface ReluCnnOptions {
  /** A named architecture; `null` or absent means none (the notebook network's layers fill the gaps). @default null */
  preset?: ReluCnnPreset | null;
  /** The input images' `[height, width, channels]`. @default [28, 28, 1] */
  inputShape?: readonly [number, number, number];
  /** The convolution layers, at least one, in order. @default the preset's, else [{ filters: 1, kernelSize: 5, bias: 'per-position' }] */
  convolutions?: readonly ConvolutionOptions[];
  /** The sizes of the hidden dense ReLU layers after flattening. @default the preset's, else [] */
  denseSizes?: readonly number[];
  /** The number of classes of the softmax. @default 10 */
  numClasses?: number;
  /** Seeds the initial weights and the dropout masks. @default 0 */
  seed?: number;
  /**
   * Dropout during training of the inputs of every dense layer: the flattened feature maps and
   * each hidden dense layer's output (see {@link Classifier}). @default 0 (none)
   */
  dropout?: number;
}

/** The resolved configuration of a {@link ReluCnn}: every option filled in, as plain JSON. */
export interface ReluCnnConfig {
  [key: string]: unknown;
  preset: ReluCnnPreset | null;
  inputShape: [number, number, number];
  convolutions: ConvolutionConfig[];
  denseSizes: number[];
  numClasses: number;
  seed: number;
  dropout: number;
}

/** The layers each preset supplies. */
const PRESET_LAYERS: Record<ReluCnnPreset, { convolutions: ConvolutionOptions[]; denseSizes: number[] }> = {
  notebook: { convolutions: [{ filters: 1, kernelSize: 5, bias: 'per-position' }], denseSizes: [] },
  lenet: {
    convolutions: [
      { filters: 20, kernelSize: 5, pool: 2 },
      { filters: 50, kernelSize: 5, pool: 2 },
    ],
    denseSizes: [500],
  },
};

const CONVOLUTION_KEYS: KnownKeys<ConvolutionOptions> = {
  filters: true,
  kernelSize: true,
  strides: true,
  padding: true,
  bias: true,
  pool: true,
};

const RELU_CNN_OPTION_KEYS: KnownKeys<ReluCnnOptions> = {
  preset: true,
  inputShape: true,
  convolutions: true,
  denseSizes: true,
  numClasses: true,
  seed: true,
  dropout: true,
};

/** The sizes one convolution layer sees and makes. */
export interface LayerShape {
  /** The `[height, width, channels]` of the layer's input. */
  input: [number, number, number];
  /** The `[height, width, filters]` of the convolution's output (the shape of a per-position bias). */
  convolution: [number, number, number];
  /** The `[height, width, filters]` after pooling (the input of the next layer). */
  output: [number, number, number];
}

function resolvePair(caller: string, argument: string, value: unknown): [number, number] {
  if (typeof value === 'number') {
    const size = requirePositiveInteger(caller, argument, value);
    return [size, size];
  }
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be a whole number >= 1 or a pair [height, width] of them; received ${describeValue(value)}.`,
    );
  }
  return [requirePositiveInteger(caller, `${argument}[0]`, value[0]), requirePositiveInteger(caller, `${argument}[1]`, value[1])];
}

function resolveInputShape(caller: string, value: unknown): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3) {
    throw new InvalidArgumentError(
      'inputShape',
      value,
      `${caller}: inputShape must be [height, width, channels], three whole numbers >= 1; received ${describeValue(value)}.`,
    );
  }
  return [
    requirePositiveInteger(caller, 'inputShape[0]', value[0]),
    requirePositiveInteger(caller, 'inputShape[1]', value[1]),
    requirePositiveInteger(caller, 'inputShape[2]', value[2]),
  ];
}

function resolveConvolution(caller: string, argument: string, value: unknown): ConvolutionConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be an object such as { filters: 20, kernelSize: 5 }; received ${describeValue(value)}.`,
    );
  }
  requireKnownKeys(caller, argument, value, CONVOLUTION_KEYS);
  const layer = value as Partial<ConvolutionOptions>;
  return {
    filters: requirePositiveInteger(caller, `${argument}.filters`, layer.filters),
    kernelSize: resolvePair(caller, `${argument}.kernelSize`, layer.kernelSize),
    strides: resolvePair(caller, `${argument}.strides`, layer.strides ?? 1),
    padding: resolveChoice(caller, `${argument}.padding`, layer.padding ?? 'valid', CONVOLUTION_PADDINGS),
    bias: resolveChoice(caller, `${argument}.bias`, layer.bias ?? 'per-filter', CONVOLUTION_BIASES),
    pool: requireNonNegativeInteger(caller, `${argument}.pool`, layer.pool ?? 0),
  };
}

function resolveConvolutions(caller: string, value: unknown): ConvolutionConfig[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(
      'convolutions',
      value,
      `${caller}: convolutions must be a non-empty array of convolution layers such as [{ filters: 20, kernelSize: 5 }]; ` +
        `received ${describeValue(value)}.`,
    );
  }
  return value.map((layer, index) => resolveConvolution(caller, `convolutions[${index}]`, layer));
}

/**
 * The input, convolution and pooled shapes of every convolution layer.
 *
 * @throws {InvalidArgumentError} naming the layer and the sizes when a convolution or a pooling
 *   would shrink the feature map to nothing.
 */
export function layerShapes(
  caller: string,
  inputShape: readonly [number, number, number],
  convolutions: readonly ConvolutionConfig[],
): LayerShape[] {
  let input: [number, number, number] = [...inputShape];
  return convolutions.map((layer, index) => {
    const [height, width, channels] = input;
    const [kernelHeight, kernelWidth] = layer.kernelSize;
    const [strideHeight, strideWidth] = layer.strides;
    const convolutionHeight =
      layer.padding === 'same' ? Math.ceil(height / strideHeight) : Math.floor((height - kernelHeight) / strideHeight) + 1;
    const convolutionWidth =
      layer.padding === 'same' ? Math.ceil(width / strideWidth) : Math.floor((width - kernelWidth) / strideWidth) + 1;
    if (convolutionHeight < 1 || convolutionWidth < 1) {
      throw new InvalidArgumentError(
        `convolutions[${index}].kernelSize`,
        layer.kernelSize,
        `${caller}: convolutions[${index}] cannot apply a ${kernelHeight} x ${kernelWidth} 'valid' convolution to its ` +
          `${height} x ${width} x ${channels} input: the feature map would shrink to nothing. Use a smaller kernelSize, ` +
          `padding 'same', less pooling before it or a larger inputShape.`,
      );
    }
    const pool = Math.max(layer.pool, 1);
    const output: [number, number, number] = [Math.floor(convolutionHeight / pool), Math.floor(convolutionWidth / pool), layer.filters];
    if (output[0] < 1 || output[1] < 1) {
      throw new InvalidArgumentError(
        `convolutions[${index}].pool`,
        layer.pool,
        `${caller}: convolutions[${index}].pool ${layer.pool} is larger than that layer's ${convolutionHeight} x ` +
          `${convolutionWidth} x ${layer.filters} feature map, which would shrink to nothing. Use a smaller pool, ` +
          `smaller kernels or strides before it, or a larger inputShape.`,
      );
    }
    const shape: LayerShape = { input, convolution: [convolutionHeight, convolutionWidth, layer.filters], output };
    input = output;
    return shape;
  });
}

/**
 * Resolves and checks the options of a {@link ReluCnn} once; every default lives here. Accepts
 * its own output, so `resolveReluCnnOptions(cnn.getConfig())` gives the same configuration.
 *
 * @param caller the public function named first in error messages.
 * @throws {InvalidArgumentError} for an unknown preset, padding or bias (listing the valid ones),
 *   a size that is not a whole number >= 1 (naming it, e.g. `convolutions[1].filters` or
 *   `denseSizes[0]`), an unknown field of a convolution, or layers that shrink the feature map to
 *   nothing (naming the layer and the sizes), or a tensor larger than one may be (2^28 values:
 *   an input image, a layer's filters or one example's feature map, a dense matrix), before
 *   anything is allocated.
 * @example resolveReluCnnOptions({ preset: 'lenet', denseSizes: [100] }).convolutions[1].filters; // 50
 */
export function resolveReluCnnOptions(options: ReluCnnOptions, caller = 'ReluCnn'): ReluCnnConfig {
  requireKnownKeys(caller, 'options', options, RELU_CNN_OPTION_KEYS);
  const preset =
    options.preset === undefined || options.preset === null ? null : resolveChoice(caller, 'preset', options.preset, RELU_CNN_PRESETS);
  const presetLayers = PRESET_LAYERS[preset ?? 'notebook'];
  const inputShape = resolveInputShape(caller, options.inputShape ?? [28, 28, 1]);
  const convolutions = resolveConvolutions(caller, options.convolutions ?? presetLayers.convolutions);
  const denseSizes = requireLayerSizes(caller, 'denseSizes', options.denseSizes ?? presetLayers.denseSizes, { allowEmpty: true });
  const numClasses = requirePositiveInteger(caller, 'numClasses', options.numClasses ?? 10);
  const seed = requireNumber(caller, 'seed', options.seed ?? 0);
  const dropout = resolveDropout(caller, options.dropout ?? 0);
  requireReluCnnFits(caller, inputShape, convolutions, denseSizes, numClasses);
  return { preset, inputShape, convolutions, denseSizes, numClasses, seed, dropout };
}

/**
 * Checks, before anything is allocated, that every tensor of the network can be (see
 * {@link requireValuesFit}): an input image, each layer's filters and feature map (the shape of a
 * per-position bias, and of that layer's activations for one example), and each dense matrix.
 *
 * @throws {InvalidArgumentError} naming the option that makes the tensor too large.
 */
function requireReluCnnFits(
  caller: string,
  inputShape: [number, number, number],
  convolutions: readonly ConvolutionConfig[],
  denseSizes: readonly number[],
  numClasses: number,
): void {
  requireValuesFit(caller, 'inputShape', inputShape, 'input image', inputShape);
  const shapes = layerShapes(caller, inputShape, convolutions);
  shapes.forEach(({ input, convolution }, index) => {
    const layer = convolutions[index]!;
    const argument = `convolutions[${index}]`;
    requireValuesFit(
      caller,
      argument,
      layer,
      'filter tensor',
      [...layer.kernelSize, input[2], layer.filters],
      `use fewer filters or a smaller kernelSize in ${argument}`,
    );
    requireValuesFit(
      caller,
      argument,
      layer,
      'feature map',
      convolution,
      `use fewer filters or larger strides in ${argument}, more pooling before it, or a smaller inputShape`,
    );
  });
  const [height, width, channels] = shapes[shapes.length - 1]!.output;
  const sizes = [height * width * channels, ...denseSizes, numClasses];
  const names = [...denseSizes.map((_, index) => `denseSizes[${index}]`), 'numClasses'];
  for (let layer = 1; layer < sizes.length; layer++) {
    requireValuesFit(caller, names[layer - 1]!, sizes[layer], 'weight matrix', [sizes[layer - 1]!, sizes[layer]!]);
  }
}
