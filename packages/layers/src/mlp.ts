import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  Random,
  deriveSeed,
  requireKnownKeys,
  requireNumber,
  requirePositiveInteger,
  type KnownKeys,
} from '@sdae/core';
import { resolveActivation, type Activation, type ActivationName } from './activations';
import { Classifier } from './classifier';
import { resolveDropout } from './dropout';
import { affine, forwardHiddenLayers, hiddenLayerValues, requireDenseLayersFit, requireFlatInput, requireLayerSizes } from './dense';
import { denseLayer, type SummaryLayer } from './summary/model-summary';

/** Options of {@link Mlp}. */
export interface MlpOptions {
  /** Input size. @default 784 */
  inputSize?: number;
  /** The sizes of the hidden layers; `[]` is logistic regression. @default [500] */
  hiddenSizes?: number[];
  /** The hidden nonlinearity. @default 'sigmoid' */
  activation?: ActivationName;
  /** Number of classes. @default 10 */
  numClasses?: number;
  /** Seeds the initial weights and the dropout masks. @default 0 */
  seed?: number;
  /**
   * Dropout of the hidden units during training: each hidden layer's output is multiplied by an
   * inverted-dropout mask (see {@link Classifier}); needs a hidden layer. @default 0 (none)
   */
  dropout?: number;
}

/** The resolved configuration of an {@link Mlp}. */
export interface MlpConfig {
  [key: string]: unknown;
  inputSize: number;
  hiddenSizes: number[];
  activation: ActivationName;
  numClasses: number;
  seed: number;
  dropout: number;
}

const MLP_OPTION_KEYS: KnownKeys<MlpOptions> = {
  inputSize: true,
  hiddenSizes: true,
  activation: true,
  numClasses: true,
  seed: true,
  dropout: true,
};

/** Resolves and checks the options of an {@link Mlp}. */
export function resolveMlpOptions(options: MlpOptions): MlpConfig {
  const caller = 'Mlp';
  requireKnownKeys(caller, 'options', options, MLP_OPTION_KEYS);
  const config = {
    inputSize: requirePositiveInteger(caller, 'inputSize', options.inputSize ?? 784),
    hiddenSizes: requireLayerSizes(caller, 'hiddenSizes', options.hiddenSizes ?? [500], { allowEmpty: true }),
    activation: resolveActivation(caller, 'activation', options.activation ?? 'sigmoid').name,
    numClasses: requirePositiveInteger(caller, 'numClasses', options.numClasses ?? 10),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
    dropout: resolveDropout(caller, options.dropout ?? 0),
  };
  if (config.dropout > 0 && config.hiddenSizes.length === 0) {
    throw new InvalidArgumentError(
      'dropout',
      config.dropout,
      `${caller}: dropout drops hidden units, but hiddenSizes is [] (logistic regression has none); give a hidden layer or drop the dropout option.`,
    );
  }
  requireDenseLayersFit(caller, 'hiddenSizes', [config.inputSize, ...config.hiddenSizes, config.numClasses]);
  return config;
}

/**
 * A multilayer perceptron: hidden layers `h = s(x W + b)` then a softmax layer, as the Theano
 * tutorial's MLP (tanh, 500 hidden) and the numpy notebook's (sigmoid). Hidden weights start
 * uniform with the tutorial's bound for the activation; the softmax layer starts at 0.
 * Variables `layer{i}.W`, `layer{i}.b`, `output.W`, `output.b`.
 *
 * @example
 * const mlp = new Mlp({ hiddenSizes: [500], activation: 'tanh', seed: 1 });
 * const loss = mlp.loss(x, y); // mean negative log-likelihood
 */
export class Mlp extends Classifier<MlpConfig> {
  readonly className = 'Mlp' as const;
  readonly inputLayout = 'flat' as const;
  readonly numClasses: number;
  private readonly activation: Activation;

  /** @throws {InvalidArgumentError} for non-positive sizes or an unknown activation. */
  constructor(options: MlpOptions = {}) {
    const config = resolveMlpOptions(options);
    super(config);
    this.numClasses = config.numClasses;
    this.activation = resolveActivation('Mlp', 'activation', config.activation);
    this.useDropout(config.dropout, config.seed);
    const random = new Random(deriveSeed(config.seed, 0));
    let fanIn = config.inputSize;
    config.hiddenSizes.forEach((size, layer) => {
      this.addVariable(`layer${layer}.W`, [fanIn, size], () => hiddenLayerValues(fanIn, size, config.activation, random));
      this.addVariable(`layer${layer}.b`, [size], () => new Float32Array(size));
      fanIn = size;
    });
    this.addVariable('output.W', [fanIn, config.numClasses], () => new Float32Array(fanIn * config.numClasses));
    this.addVariable('output.b', [config.numClasses], () => new Float32Array(config.numClasses));
  }

  protected summaryLayers(): SummaryLayer[] {
    return [...this.config.hiddenSizes.map((size, layer) => denseLayer(`layer${layer}`, size)), denseLayer('output', this.numClasses)];
  }

  /** The output of hidden layer `layer` (0-based), `[n, hiddenSizes[layer]]`; the last one by default. */
  hidden(x: tf.Tensor, layer = this.config.hiddenSizes.length - 1): tf.Tensor2D {
    this.assertUsable('hidden');
    return forwardHiddenLayers('Mlp', x, this.config.inputSize, this.hiddenWeights(), this.activation, layer + 1);
  }

  protected requireInput(method: string, x: unknown): tf.Tensor {
    return requireFlatInput(`Mlp.${method}`, x, this.config.inputSize);
  }

  protected override dropoutUnits(): readonly number[] {
    return this.config.hiddenSizes;
  }

  logits(x: tf.Tensor, dropoutMasks?: readonly tf.Tensor[]): tf.Tensor2D {
    this.assertUsable('logits');
    return tf.tidy(() => {
      const last = this.config.hiddenSizes.length;
      const hidden = forwardHiddenLayers('Mlp', x, this.config.inputSize, this.hiddenWeights(), this.activation, last, dropoutMasks);
      return affine(hidden, this.getVariable('output.W') as tf.Tensor2D, this.getVariable('output.b') as tf.Tensor1D);
    });
  }

  private hiddenWeights(): { W: tf.Variable; b: tf.Variable }[] {
    return this.config.hiddenSizes.map((_, index) => ({ W: this.getVariable(`layer${index}.W`), b: this.getVariable(`layer${index}.b`) }));
  }
}
