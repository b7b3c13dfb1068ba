import * as tf from '@tensorflow/tfjs-core';
import { Model, type LossAndGradients, type ModelConfig } from './model';
import { requireOneHot, requireOneHotValues } from './tensor-checks';

/** How a classifier wants its images: rows `[n, 784]` or NHWC `[n, 28, 28, 1]`. */
export type InputLayout = 'flat' | 'image';

/**
 * A model ending in a softmax over classes: logits, probabilities, predicted classes and the mean
 * negative log-likelihood of one-hot targets, with its gradient for every variable.
 */
export abstract class Classifier<Config extends ModelConfig = ModelConfig> extends Model<Config> {
  /** The number of classes of the softmax. */
  abstract readonly numClasses: number;
  /** The input shape this classifier expects; see {@link InputLayout}. */
  abstract readonly inputLayout: InputLayout;

  /** The unnormalised class scores, `[n, numClasses]`. */
  abstract logits(x: tf.Tensor): tf.Tensor2D;

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

  /** The class probabilities (softmax of the logits), `[n, numClasses]`. */
  predict(x: tf.Tensor): tf.Tensor2D {
    this.assertUsable('predict');
    this.requireInput('predict', x);
    return tf.tidy(() => tf.softmax(this.logits(x)));
  }

  /** The most probable class of each example, `[n]` int32. */
  predictClasses(x: tf.Tensor): tf.Tensor1D {
    this.assertUsable('predictClasses');
    this.requireInput('predictClasses', x);
    return tf.tidy(() => tf.argMax(this.logits(x), 1));
  }

  /**
   * The mean negative log-likelihood of the one-hot targets `y`, `[n, numClasses]`. Reads y's
   * `n x numClasses` values once to check them (no tensor is made; on WebGL or WebGPU a download
   * unless they are still on the CPU).
   *
   * @throws {InvalidArgumentError} when `x` or `y` has another shape or dtype (a `[n]` label vector
   *   is refused, not broadcast), or `y` is not one-hot (a value other than 0 or 1, a row without
   *   exactly one 1).
   */
  loss(x: tf.Tensor, y: tf.Tensor2D): tf.Scalar {
    requireOneHotValues(`${this.className}.loss`, this.requireExamples('loss', x, y));
    return tf.tidy(() => meanNegativeLogLikelihood(this.logits(x), y));
  }

  /**
   * The loss and its gradient for every variable (automatic differentiation). Checks the shapes
   * as {@link loss} does but not y's values: this is the training step, which the native engine
   * compiles with placeholder targets, and the loops build y from labels they check first.
   */
  lossAndGradients(x: tf.Tensor, y: tf.Tensor2D): LossAndGradients {
    this.requireExamples('lossAndGradients', x, y);
    return this.autodiff(() => meanNegativeLogLikelihood(this.logits(x), y));
  }

  /**
   * {@link lossAndGradients} plus the predicted class of each example from the same forward pass,
   * for loops that report the minibatch accuracy without running the network twice (y's values
   * unchecked, as there).
   *
   * @example const { loss, gradients, classes } = cnn.lossGradientsAndClasses(x, y);
   */
  lossGradientsAndClasses(x: tf.Tensor, y: tf.Tensor2D): LossAndGradients & { classes: tf.Tensor1D } {
    this.requireExamples('lossGradientsAndClasses', x, y);
    let logits: tf.Tensor2D | undefined;
    const step = this.autodiff(() => {
      logits = tf.keep(this.logits(x));
      return meanNegativeLogLikelihood(logits, y);
    });
    const classes = tf.argMax(logits!, 1) as tf.Tensor1D;
    logits!.dispose();
    return { ...step, classes };
  }
}

/** The mean negative log-likelihood of one-hot targets under the softmax of the logits. */
function meanNegativeLogLikelihood(logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}
