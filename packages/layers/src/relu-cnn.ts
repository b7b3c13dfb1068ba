import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  Random,
  assert,
  deriveSeed,
  describeValue,
  requireNonNegativeInteger,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
} from '@sdae/core';
import { Classifier } from './classifier';
import { uniformBound, uniformValues } from './initializers';

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
  /** Seeds the initial weights. @default 0 */
  seed?: number;
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

const CONVOLUTION_FIELDS: readonly string[] = ['filters', 'kernelSize', 'strides', 'padding', 'bias', 'pool'];

/** The sizes one convolution layer sees and makes. */
interface LayerShape {
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
  const unknown = Object.keys(value).find((key) => !CONVOLUTION_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(
      `${argument}.${unknown}`,
      (value as Record<string, unknown>)[unknown],
      `${caller}: ${argument} has an unknown field "${unknown}"; the fields are ${CONVOLUTION_FIELDS.join(', ')}.`,
    );
  }
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

function resolveDenseSizes(caller: string, value: unknown): number[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      'denseSizes',
      value,
      `${caller}: denseSizes must be an array of layer sizes (whole numbers >= 1), [] for none; received ${describeValue(value)}.`,
    );
  }
  return value.map((size, index) => requirePositiveInteger(caller, `denseSizes[${index}]`, size));
}

/**
 * The input, convolution and pooled shapes of every convolution layer.
 *
 * @throws {InvalidArgumentError} naming the layer and the sizes when a convolution or a pooling
 *   would shrink the feature map to nothing.
 */
function layerShapes(caller: string, inputShape: readonly [number, number, number], convolutions: readonly ConvolutionConfig[]): LayerShape[] {
  let input: [number, number, number] = [...inputShape];
  return convolutions.map((layer, index) => {
    const [height, width, channels] = input;
    const [kernelHeight, kernelWidth] = layer.kernelSize;
    const [strideHeight, strideWidth] = layer.strides;
    const convolutionHeight = layer.padding === 'same' ? Math.ceil(height / strideHeight) : Math.floor((height - kernelHeight) / strideHeight) + 1;
    const convolutionWidth = layer.padding === 'same' ? Math.ceil(width / strideWidth) : Math.floor((width - kernelWidth) / strideWidth) + 1;
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
 *   nothing (naming the layer and the sizes).
 * @example resolveReluCnnOptions({ preset: 'lenet', denseSizes: [100] }).convolutions[1].filters; // 50
 */
export function resolveReluCnnOptions(options: ReluCnnOptions, caller = 'ReluCnn'): ReluCnnConfig {
  const preset = options.preset === undefined || options.preset === null ? null : resolveChoice(caller, 'preset', options.preset, RELU_CNN_PRESETS);
  const presetLayers = PRESET_LAYERS[preset ?? 'notebook'];
  const inputShape = resolveInputShape(caller, options.inputShape ?? [28, 28, 1]);
  const convolutions = resolveConvolutions(caller, options.convolutions ?? presetLayers.convolutions);
  const denseSizes = resolveDenseSizes(caller, options.denseSizes ?? presetLayers.denseSizes);
  const numClasses = requirePositiveInteger(caller, 'numClasses', options.numClasses ?? 10);
  const seed = requireNumber(caller, 'seed', options.seed ?? 0);
  layerShapes(caller, inputShape, convolutions);
  return { preset, inputShape, convolutions, denseSizes, numClasses, seed };
}

/**
 * A convolutional classifier with ReLU units: convolution layers (NHWC convolution, a bias per
 * filter or per position, ReLU, optional max-pooling), flattening, dense ReLU layers, and a dense
 * output layer whose softmax gives the class probabilities. The default is the numpy notebook's
 * network (one 5x5 filter, a bias per position, 6,371 parameters); `preset: 'lenet'` gives the
 * Theano tutorial's LeNet shapes with ReLU (431,080 parameters).
 *
 * Variables: `conv{i}.filter` `[kernelHeight, kernelWidth, inChannels, filters]`, `conv{i}.bias`
 * (`[filters]` or `[outHeight, outWidth, filters]`), `dense{i}.W` `[in, out]`, `dense{i}.b`,
 * `output.W` `[in, numClasses]` and `output.b`. ReLU layers start Uniform(+-sqrt(6 / fanIn)) (He),
 * with `fanIn = kernelHeight * kernelWidth * inChannels` for a convolution; the output layer
 * Uniform(+-sqrt(6 / (fanIn + numClasses))); biases 0.
 *
 * @example
 * const cnn = new ReluCnn({ preset: 'lenet', seed: 1 });
 * const { loss, gradients } = cnn.lossAndGradients(x, y); // x: [n, 28, 28, 1] or [n, 784], y: one-hot [n, 10]
 */
export class ReluCnn extends Classifier<ReluCnnConfig> {
  readonly className = 'ReluCnn' as const;
  readonly inputLayout = 'image' as const;
  readonly numClasses: number;

  /** @throws {InvalidArgumentError} for invalid options; see {@link resolveReluCnnOptions}. */
  constructor(options: ReluCnnOptions = {}) {
    const config = resolveReluCnnOptions(options);
    super(config);
    this.numClasses = config.numClasses;
    const random = new Random(deriveSeed(config.seed, 0));
    const shapes = layerShapes('ReluCnn', config.inputShape, config.convolutions);
    shapes.forEach(({ input, convolution }, index) => {
      const { filters, kernelSize, bias } = config.convolutions[index];
      const [kernelHeight, kernelWidth] = kernelSize;
      const fanIn = kernelHeight * kernelWidth * input[2];
      const bound = uniformBound(fanIn, kernelHeight * kernelWidth * filters, 'relu');
      this.addVariable(`conv${index}.filter`, [kernelHeight, kernelWidth, input[2], filters], uniformValues(fanIn * filters, bound, random));
      const biasShape = bias === 'per-position' ? convolution : [filters];
      this.addVariable(`conv${index}.bias`, biasShape, new Float32Array(biasShape.reduce((product, size) => product * size, 1)));
    });
    const [height, width, channels] = shapes[shapes.length - 1].output;
    let fanIn = height * width * channels;
    config.denseSizes.forEach((size, index) => {
      this.addVariable(`dense${index}.W`, [fanIn, size], uniformValues(fanIn * size, uniformBound(fanIn, size, 'relu'), random));
      this.addVariable(`dense${index}.b`, [size], new Float32Array(size));
      fanIn = size;
    });
    const { numClasses } = config;
    this.addVariable('output.W', [fanIn, numClasses], uniformValues(fanIn * numClasses, uniformBound(fanIn, numClasses, 'tanh'), random));
    this.addVariable('output.b', [numClasses], new Float32Array(numClasses));
  }

  /**
   * The unnormalised class scores, `[n, numClasses]`.
   *
   * @param x a batch of images, NHWC `[n, height, width, channels]` or flat rows `[n, height * width * channels]`.
   * @throws {InvalidArgumentError} when `x` has neither shape.
   */
  logits(x: tf.Tensor): tf.Tensor2D {
    this.assertUsable('logits');
    const [height, width, channels] = this.config.inputShape;
    const size = height * width * channels;
    const isImage = x.rank === 4 && x.shape[1] === height && x.shape[2] === width && x.shape[3] === channels;
    assert(isImage || (x.rank === 2 && x.shape[1] === size), () =>
      new InvalidArgumentError(
        'x',
        x.shape,
        `ReluCnn.logits: x must have shape [n, ${height}, ${width}, ${channels}] (NHWC) or [n, ${size}]; ` +
          `received [${x.shape.join(', ')}]. Reshape the batch to one of these.`,
      ),
    );
    return tf.tidy(() => {
      const n = x.shape[0];
      let features: tf.Tensor4D = isImage ? (x as tf.Tensor4D) : tf.reshape(x, [n, height, width, channels]);
      this.config.convolutions.forEach(({ strides, padding, pool }, index) => {
        const convolution = tf.conv2d(features, this.getVariable(`conv${index}.filter`) as tf.Tensor4D, strides, padding);
        features = tf.relu(tf.add<tf.Tensor4D>(convolution, this.getVariable(`conv${index}.bias`)));
        if (pool > 1) features = tf.maxPool(features, pool, pool, 'valid');
      });
      let hidden: tf.Tensor2D = tf.reshape(features, [n, -1]);
      this.config.denseSizes.forEach((_size, index) => {
        hidden = tf.relu(tf.add<tf.Tensor2D>(tf.matMul(hidden, this.getVariable(`dense${index}.W`) as tf.Tensor2D), this.getVariable(`dense${index}.b`)));
      });
      return tf.add<tf.Tensor2D>(tf.matMul(hidden, this.getVariable('output.W') as tf.Tensor2D), this.getVariable('output.b'));
    });
  }

  /**
   * The kernels of one convolution layer for visualisation, filter-major:
   * `[filters, kernelHeight, kernelWidth, inChannels]`, so that reshaping to
   * `[filters, kernelHeight * kernelWidth * inChannels]` gives one filter image per row. A new
   * tensor that the caller owns and disposes; the model's variable is untouched.
   *
   * @param layer the convolution layer's index. @default 0
   * @throws {InvalidArgumentError} when `layer` is not the index of a convolution layer.
   * @example const filters = cnn.convolutionFilters(); // [1, 5, 5, 1] for the notebook network
   */
  convolutionFilters(layer = 0): tf.Tensor4D {
    this.assertUsable('convolutionFilters');
    const count = this.config.convolutions.length;
    if (!Number.isInteger(layer) || layer < 0 || layer >= count) {
      throw new InvalidArgumentError(
        'layer',
        layer,
        `ReluCnn.convolutionFilters: layer must be a whole number in [0, ${count - 1}] (this network has ${count} ` +
          `convolution layer${count === 1 ? '' : 's'}); received ${describeValue(layer)}.`,
      );
    }
    return tf.tidy(() => tf.transpose(this.getVariable(`conv${layer}.filter`) as tf.Tensor4D, [3, 0, 1, 2]));
  }
}
