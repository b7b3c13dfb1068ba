import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, Random, deriveSeed, resolveChoice } from '@sdae/core';
import { dropoutMaskValues } from './dropout';
import { Model, type LossAndGradients, type ModelConfig } from './model';
import { requireExamplesPresent, requireOneHot, requireOneHotValues } from './tensor-checks';

/** How a classifier wants its images: rows `[n, 784]` or NHWC `[n, 28, 28, 1]`. */
export type InputLayout = 'flat' | 'image';

/** The random stream of every classifier's dropout masks, derived from its seed. */
const DROPOUT_STREAM = 3;

/**
 * The output units of a classifier and the loss they are trained with:
 * - `'softmax'`: `softmax(a)`, the mean negative log-likelihood of the one-hot targets (the Theano tutorials);
 * - `'sigmoid-squared-error'`: one sigmoid per class, `1/2 sum((sigmoid(a) - y)^2)` over the
 *   classes averaged over the batch (DeepLearnToolbox's `nnsetup` default, output `'sigm'`).
 * Either way the predicted class is the largest logit.
 */
export type ClassifierOutput = 'softmax' | 'sigmoid-squared-error';

/** Every valid {@link ClassifierOutput}, in the order error messages list them. */
export const CLASSIFIER_OUTPUTS: readonly ClassifierOutput[] = ['softmax', 'sigmoid-squared-error'];

/** What a {@link ClassifierOutput} computes from the logits. */
interface OutputUnits {
  /** The output values, `[n, numClasses]`. */
  outputs(logits: tf.Tensor2D): tf.Tensor2D;
  /** The loss of one-hot targets `y`, averaged over the batch. */
  loss(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar;
}

const OUTPUT_UNITS: Record<ClassifierOutput, OutputUnits> = {
  softmax: {
    outputs: (logits) => tf.softmax(logits),
    loss: (logits, y) => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar,
  },
  'sigmoid-squared-error': {
    outputs: (logits) => tf.sigmoid(logits),
    loss: (logits, y) => tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(tf.sigmoid(logits), y)))), logits.shape[0]) as tf.Scalar,
  },
};

/**
 * Checks an output name (the `output` option of a classifier).
 *
 * @throws {InvalidArgumentError} listing the valid names when `name` is not one of them.
 * @example resolveClassifierOutput('StackedDenoisingAutoencoder', 'output', 'sigmoid-squared-error');
 */
export function resolveClassifierOutput(caller: string, argument: string, name: unknown): ClassifierOutput {
  return resolveChoice(caller, argument, name, CLASSIFIER_OUTPUTS);
}

/**
 * A model ending in output units over classes (a softmax unless its {@link Classifier.output}
 * says otherwise): logits, outputs, predicted classes and the loss of one-hot targets, with its
 * gradient for every variable.
 *
 * Classifiers with hidden units (the MLP, the SdA, the CNN) take a `dropout` rate: the training
 * step ({@link Classifier.lossAndGradients}) multiplies the units of each dropout site by an
 * inverted-dropout mask (0 with probability `dropout`, else `1 / (1 - dropout)`), drawn from the
 * model's seeded `dropout` stream, which checkpoints save; every other method (logits, predict,
 * loss, evaluation) uses no mask.
 */
export abstract class Classifier<Config extends ModelConfig = ModelConfig> extends Model<Config> {
  /** The number of classes of the softmax. */
  abstract readonly numClasses: number;
  /** The input shape this classifier expects; see {@link InputLayout}. */
  abstract readonly inputLayout: InputLayout;
  private dropoutRandom: Random | undefined;

  /**
   * The unnormalised class scores, `[n, numClasses]`.
   *
   * @param dropoutMasks a mask per dropout site (see {@link Classifier.dropoutShapes}), as the
   *   training step applies them; none (evaluation) by default.
   */
  abstract logits(x: tf.Tensor, dropoutMasks?: readonly tf.Tensor[]): tf.Tensor2D;

  /** The units of each dropout site, in forward order: what the masks of one example hold. None by default. */
  protected dropoutUnits(): readonly number[] {
    return [];
  }

  /** Registers the dropout stream (from `seed`) when `rate` > 0; subclasses call it in their constructor. */
  protected useDropout(rate: number, seed: number): void {
    if (rate > 0) this.dropoutRandom = this.addRandomStream('dropout', new Random(deriveSeed(seed, DROPOUT_STREAM)));
  }

  /** The fraction of hidden units the training step drops (the `dropout` option); 0 for none. */
  get dropout(): number {
    const rate = this.config.dropout;
    return typeof rate === 'number' ? rate : 0;
  }

  /** The shape of each dropout mask of a batch of `batchSize` examples, `[batchSize, units]`; none without dropout. */
  dropoutShapes(batchSize: number): number[][] {
    return this.dropoutRandom === undefined ? [] : this.dropoutUnits().map((units) => [batchSize, units]);
  }

  /**
   * Draws the dropout masks of one training step from the model's `dropout` stream (as
   * {@link Classifier.lossAndGradients} does when given none); none without dropout. A compiled
   * step takes them as inputs.
   */
  drawDropoutMasks(batchSize: number): Float32Array[] {
    this.assertUsable('drawDropoutMasks');
    const random = this.dropoutRandom;
    if (random === undefined) return [];
    return this.dropoutShapes(batchSize).map(([rows, units]) => dropoutMaskValues(rows! * units!, this.dropout, random));
  }

  /** The masks a training step applies: those given (checked), else drawn now. */
  private trainingMasks(method: string, batchSize: number, given: readonly tf.Tensor[] | undefined): tf.Tensor[] {
    const shapes = this.dropoutShapes(batchSize);
    if (given === undefined) return this.drawDropoutMasks(batchSize).map((values, index) => tf.tensor(values, shapes[index], 'float32'));
    const expected = JSON.stringify(shapes);
    if (JSON.stringify(given.map((mask) => mask.shape)) !== expected) {
      throw new InvalidArgumentError(
        'dropoutMasks',
        given.map((mask) => mask.shape),
        `${this.className}.${method}: dropoutMasks must have the shapes ${expected} (one per dropout site, from dropoutShapes); ` +
          `received ${JSON.stringify(given.map((mask) => mask.shape))}.`,
      );
    }
    return [...given];
  }

  /** The output units and their loss; see {@link ClassifierOutput}. A softmax unless the model's options choose otherwise. */
  get output(): ClassifierOutput {
    return 'softmax';
  }

  /**
   * Checks `x` (type, dtype, shape) before any tensor is made.
   *
   * @throws {InvalidArgumentError} naming `<className>.<method>`.
   */
  protected abstract requireInput(method: string, x: unknown): tf.Tensor;

  /** Checks `x` and the shape of the one-hot targets `y` of a loss, before any tensor is made; returns `y`. */
  private requireExamples(method: string, x: unknown, y: unknown): tf.Tensor2D {
    this.assertUsable(method);
    const input = this.requireInput(method, x);
    return requireOneHot(`${this.className}.${method}`, y, input.shape[0]!, this.numClasses);
  }

  /**
   * The output units' values, `[n, numClasses]`: the class probabilities (softmax of the logits),
   * or with a `'sigmoid-squared-error'` output each class's sigmoid, in (0, 1) but not summing to 1.
   */
  predict(x: tf.Tensor): tf.Tensor2D {
    this.assertUsable('predict');
    requireExamplesPresent(`${this.className}.predict`, this.requireInput('predict', x));
    return tf.tidy(() => OUTPUT_UNITS[this.output].outputs(this.logits(x)));
  }

  /** The most probable class of each example, `[n]` int32. */
  predictClasses(x: tf.Tensor): tf.Tensor1D {
    this.assertUsable('predictClasses');
    requireExamplesPresent(`${this.className}.predictClasses`, this.requireInput('predictClasses', x));
    return tf.tidy(() => tf.argMax(this.logits(x), 1));
  }

  /**
   * The loss of the one-hot targets `y`, `[n, numClasses]`, averaged over the batch: the mean
   * negative log-likelihood, or the squared error of a `'sigmoid-squared-error'` output. Reads y's
   * `n x numClasses` values once to check them (no tensor is made; on WebGL or WebGPU a download
   * unless they are still on the CPU).
   *
   * @throws {InvalidArgumentError} when `x` or `y` has another shape or dtype (a `[n]` label vector
   *   is refused, not broadcast), or `y` is not one-hot (a value other than 0 or 1, a row without
   *   exactly one 1).
   */
  loss(x: tf.Tensor, y: tf.Tensor2D): tf.Scalar {
    requireOneHotValues(`${this.className}.loss`, this.requireExamples('loss', x, y));
    return tf.tidy(() => this.outputLoss(this.logits(x), y));
  }

  /**
   * The loss and its gradient for every variable (automatic differentiation). Checks the shapes
   * as {@link loss} does but not y's values: this is the training step, which the native engine
   * compiles with placeholder targets, and the loops build y from labels they check first.
   */
  lossAndGradients(x: tf.Tensor, y: tf.Tensor2D, dropoutMasks?: readonly tf.Tensor[]): LossAndGradients {
    this.requireExamples('lossAndGradients', x, y);
    return tf.tidy(() => {
      const masks = this.trainingMasks('lossAndGradients', x.shape[0]!, dropoutMasks);
      return this.autodiff(() => this.outputLoss(this.logits(x, masks), y));
    });
  }

  /**
   * {@link lossAndGradients} plus the predicted class of each example from the same forward pass,
   * for loops that report the minibatch accuracy without running the network twice (y's values
   * unchecked, as there).
   *
   * @example const { loss, gradients, classes } = cnn.lossGradientsAndClasses(x, y);
   */
  lossGradientsAndClasses(x: tf.Tensor, y: tf.Tensor2D, dropoutMasks?: readonly tf.Tensor[]): LossAndGradients & { classes: tf.Tensor1D } {
    this.requireExamples('lossGradientsAndClasses', x, y);
    return tf.tidy(() => {
      const masks = this.trainingMasks('lossGradientsAndClasses', x.shape[0]!, dropoutMasks);
      let logits: tf.Tensor2D | undefined;
      const step = this.autodiff(() => {
        logits = tf.keep(this.logits(x, masks));
        return this.outputLoss(logits, y);
      });
      const classes = tf.argMax(logits!, 1) as tf.Tensor1D;
      logits!.dispose();
      return { ...step, classes };
    });
  }

  /**
   * The loss of the one-hot targets `y` (as {@link loss}) and the predicted class of each example
   * (as {@link predictClasses}) from one forward pass, without dropout: what an evaluation needs.
   * Checks the shapes as {@link loss} does but not y's values (the native engine compiles it with
   * placeholder targets; evaluations build y from labels they check first).
   *
   * @example const { loss, classes } = cnn.lossAndClasses(x, y);
   */
  lossAndClasses(x: tf.Tensor, y: tf.Tensor2D): { loss: tf.Scalar; classes: tf.Tensor1D } {
    this.requireExamples('lossAndClasses', x, y);
    return tf.tidy(() => {
      const logits = this.logits(x);
      return { loss: this.outputLoss(logits, y), classes: tf.argMax(logits, 1) as tf.Tensor1D };
    });
  }

  private outputLoss(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return OUTPUT_UNITS[this.output].loss(logits, y);
  }
}
