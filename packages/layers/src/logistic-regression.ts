import * as tf from '@tensorflow/tfjs-core';
import { requireKnownKeys, requireNumber, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { Classifier } from './classifier';
import { affine, flattenInput, requireDenseLayersFit, requireFlatInput } from './dense';
import { denseLayer, type SummaryLayer } from './summary/model-summary';

/** Options of {@link LogisticRegression}. */
export interface LogisticRegressionOptions {
  /** Input size. @default 784 */
  inputSize?: number;
  /** Number of classes. @default 10 */
  numClasses?: number;
  /** Recorded for symmetry with the other models; the weights start at 0 as in the tutorial. @default 0 */
  seed?: number;
}

/** The resolved configuration of a {@link LogisticRegression}. */
export interface LogisticRegressionConfig {
  [key: string]: unknown;
  inputSize: number;
  numClasses: number;
  seed: number;
}

const LOGISTIC_REGRESSION_OPTION_KEYS: KnownKeys<LogisticRegressionOptions> = { inputSize: true, numClasses: true, seed: true };

/** Resolves and checks the options of a {@link LogisticRegression}. */
export function resolveLogisticRegressionOptions(options: LogisticRegressionOptions): LogisticRegressionConfig {
  const caller = 'LogisticRegression';
  requireKnownKeys(caller, 'options', options, LOGISTIC_REGRESSION_OPTION_KEYS);
  const config = {
    inputSize: requirePositiveInteger(caller, 'inputSize', options.inputSize ?? 784),
    numClasses: requirePositiveInteger(caller, 'numClasses', options.numClasses ?? 10),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
  };
  requireDenseLayersFit(caller, 'inputSize', [config.inputSize, config.numClasses]);
  return config;
}

/**
 * Multiclass logistic (softmax) regression, the Theano tutorial's `LogisticRegression`:
 * `p(y | x) = softmax(x W + b)` with W and b starting at 0. Variables `W` (in x classes), `b`.
 *
 * @example
 * const model = new LogisticRegression();
 * const probabilities = model.predict(x); // x: [n, 784]
 */
export class LogisticRegression extends Classifier<LogisticRegressionConfig> {
  readonly className = 'LogisticRegression' as const;
  readonly inputLayout = 'flat' as const;
  readonly numClasses: number;

  /** @throws {InvalidArgumentError} for a non-positive size. */
  constructor(options: LogisticRegressionOptions = {}) {
    const config = resolveLogisticRegressionOptions(options);
    super(config);
    this.numClasses = config.numClasses;
    this.addVariable('W', [config.inputSize, config.numClasses], () => new Float32Array(config.inputSize * config.numClasses));
    this.addVariable('b', [config.numClasses], () => new Float32Array(config.numClasses));
  }

  protected summaryLayers(): SummaryLayer[] {
    return [denseLayer('output', this.numClasses, ['W', 'b'])];
  }

  protected requireInput(method: string, x: unknown): tf.Tensor {
    return requireFlatInput(`LogisticRegression.${method}`, x, this.config.inputSize);
  }

  logits(x: tf.Tensor): tf.Tensor2D {
    this.assertUsable('logits');
    return tf.tidy(() =>
      affine(
        flattenInput('LogisticRegression.logits', x, this.config.inputSize),
        this.getVariable('W') as tf.Tensor2D,
        this.getVariable('b') as tf.Tensor1D,
      ),
    );
  }
}
