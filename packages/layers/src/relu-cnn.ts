import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, Random, deriveSeed, describeValue } from '@sdae/core';
import { requireTensor } from './tensor-checks';
import { Classifier } from './classifier';
import { applyDropout } from './dropout';
import { uniformBound, uniformValues } from './initializers';
import { layerShapes, resolveReluCnnOptions, type ReluCnnConfig, type ReluCnnOptions } from './relu-cnn-options';
import { denseLayer, type SummaryLayer } from './summary/model-summary';

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
    this.useDropout(config.dropout, config.seed);
    const shapes = layerShapes('ReluCnn', config.inputShape, config.convolutions);
    shapes.forEach(({ input, convolution }, index) => {
      const { filters, kernelSize, bias } = config.convolutions[index];
      const [kernelHeight, kernelWidth] = kernelSize;
      const fanIn = kernelHeight * kernelWidth * input[2];
      const bound = uniformBound(fanIn, kernelHeight * kernelWidth * filters, 'relu');
      this.addVariable(`conv${index}.filter`, [kernelHeight, kernelWidth, input[2], filters], () =>
        uniformValues(fanIn * filters, bound, random),
      );
      const biasShape = bias === 'per-position' ? convolution : [filters];
      this.addVariable(`conv${index}.bias`, biasShape, () => new Float32Array(biasShape.reduce((product, size) => product * size, 1)));
    });
    const [height, width, channels] = shapes[shapes.length - 1].output;
    let fanIn = height * width * channels;
    config.denseSizes.forEach((size, index) => {
      this.addVariable(`dense${index}.W`, [fanIn, size], () => uniformValues(fanIn * size, uniformBound(fanIn, size, 'relu'), random));
      this.addVariable(`dense${index}.b`, [size], () => new Float32Array(size));
      fanIn = size;
    });
    const { numClasses } = config;
    this.addVariable('output.W', [fanIn, numClasses], () =>
      uniformValues(fanIn * numClasses, uniformBound(fanIn, numClasses, 'tanh'), random),
    );
    this.addVariable('output.b', [numClasses], () => new Float32Array(numClasses));
  }

  protected summaryLayers(): SummaryLayer[] {
    const { inputShape, convolutions, denseSizes } = this.config;
    const layers: SummaryLayer[] = [];
    layerShapes('ReluCnn', inputShape, convolutions).forEach(({ convolution, output }, index) => {
      layers.push({
        name: `conv${index}`,
        type: 'Conv2D',
        outputShape: [null, ...convolution],
        weights: [`conv${index}.filter`, `conv${index}.bias`],
      });
      if (convolutions[index]!.pool > 1)
        layers.push({ name: `conv${index}_pool`, type: 'MaxPooling2D', outputShape: [null, ...output], weights: [] });
    });
    const flat = layerShapes('ReluCnn', inputShape, convolutions)
      .at(-1)!
      .output.reduce((product, size) => product * size, 1);
    layers.push({ name: 'flatten', type: 'Flatten', outputShape: [null, flat], weights: [] });
    denseSizes.forEach((size, index) => layers.push(denseLayer(`dense${index}`, size)));
    layers.push(denseLayer('output', this.numClasses));
    return layers;
  }

  /**
   * The unnormalised class scores, `[n, numClasses]`.
   *
   * @param x a batch of images, NHWC `[n, height, width, channels]` or flat rows `[n, height * width * channels]`.
   * @throws {InvalidArgumentError} when `x` has neither shape.
   */
  protected requireInput(method: string, x: unknown): tf.Tensor {
    const [height, width, channels] = this.config.inputShape;
    return requireTensor(`ReluCnn.${method}`, 'x', x, {
      shapes: [
        [null, height, width, channels],
        [null, height * width * channels],
      ],
      fix: 'Reshape the batch to one of these (NHWC images or flat rows).',
    });
  }

  protected override dropoutUnits(): readonly number[] {
    const shapes = layerShapes('ReluCnn', this.config.inputShape, this.config.convolutions);
    const [height, width, channels] = shapes[shapes.length - 1]!.output;
    return [height * width * channels, ...this.config.denseSizes];
  }

  logits(x: tf.Tensor, dropoutMasks: readonly tf.Tensor[] = []): tf.Tensor2D {
    this.assertUsable('logits');
    this.requireInput('logits', x);
    const [height, width, channels] = this.config.inputShape;
    const isImage = x.rank === 4;
    return tf.tidy(() => {
      const n = x.shape[0];
      let features: tf.Tensor4D = isImage ? (x as tf.Tensor4D) : tf.reshape(x, [n, height, width, channels]);
      this.config.convolutions.forEach(({ strides, padding, pool }, index) => {
        const convolution = tf.conv2d(features, this.getVariable(`conv${index}.filter`) as tf.Tensor4D, strides, padding);
        features = tf.relu(tf.add<tf.Tensor4D>(convolution, this.getVariable(`conv${index}.bias`)));
        if (pool > 1) features = tf.maxPool(features, pool, pool, 'valid');
      });
      let hidden: tf.Tensor2D = applyDropout(tf.reshape(features, [n, -1]), dropoutMasks[0]);
      this.config.denseSizes.forEach((_size, index) => {
        const dense = tf.relu(
          tf.add<tf.Tensor2D>(tf.matMul(hidden, this.getVariable(`dense${index}.W`) as tf.Tensor2D), this.getVariable(`dense${index}.b`)),
        );
        hidden = applyDropout(dense, dropoutMasks[index + 1]);
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
