import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  Random,
  deriveSeed,
  requireBoolean,
  requireKnownKeys,
  requireNumber,
  requirePositiveInteger,
  resolveChoice,
  type KnownKeys,
} from '@sdae/core';
import { resolveActivation, type Activation, type ActivationName } from './activations';
import { Classifier, resolveClassifierOutput, type ClassifierOutput } from './classifier';
import { resolveDropout } from './dropout';
import { resolveCorruption, type CorruptionKind } from './corruption';
import { affine, forwardHiddenLayers, hiddenLayerValues, requireDenseLayersFit, requireFlatInput, requireLayerSizes } from './dense';
import { DenoisingAutoencoder, RECONSTRUCTION_LOSSES, type ReconstructionLoss } from './denoising-autoencoder';
import { uniformBound, uniformValues } from './initializers';
import { denseLayer, type SummaryLayer } from './summary/model-summary';

/** DeepLearnToolbox's bound for every layer: 4 sqrt(6/(in+out)). */
function sigmoidBound(fanIn: number, fanOut: number): number {
  return uniformBound(fanIn, fanOut, 'sigmoid');
}

/**
 * How an SdA's weights start:
 * - `'tutorial'`: the Theano tutorial's: hidden (and untied decoder) weights Uniform(+-4
 *   sqrt(6/(in+out))) for sigmoid (see `uniformBound`), every bias 0, the output layer 0;
 * - `'deeplearntoolbox'`: DeepLearnToolbox's `nnsetup`: every weight matrix, the output layer's
 *   included, with its bias as an extra column drawn from Uniform(+-4 sqrt(6/(in+out))), whatever
 *   the activation.
 */
export type SdaInitialization = 'tutorial' | 'deeplearntoolbox';

/** Every valid {@link SdaInitialization}. */
export const SDA_INITIALIZATIONS: readonly SdaInitialization[] = ['tutorial', 'deeplearntoolbox'];

/** Options of {@link StackedDenoisingAutoencoder}. */
export interface StackedDenoisingAutoencoderOptions {
  /** Input size. @default 784 */
  inputSize?: number;
  /** The sizes of the hidden layers. @default [1000, 1000, 1000] (the tutorial) */
  hiddenSizes?: number[];
  /** The corruption level of each layer's dA, one per hidden layer. @default [0.1, 0.2, 0.3], or 0 for every layer when hiddenSizes is given */
  corruptionLevels?: number[];
  /** The kind of corruption of every dA. @default 'mask' */
  corruption?: CorruptionKind;
  /** The hidden nonlinearity. @default 'sigmoid' */
  activation?: ActivationName;
  /** The dAs' reconstruction loss during pretraining. @default 'cross-entropy' */
  reconstructionLoss?: ReconstructionLoss;
  /** Pretrain with tied dA weights (the tutorial) or a separate decoder matrix per layer (DeepLearnToolbox). @default true */
  tiedWeights?: boolean;
  /** Number of classes of the output layer. @default 10 */
  numClasses?: number;
  /** The output units and the fine-tuning loss (see `ClassifierOutput`). @default 'softmax' */
  output?: ClassifierOutput;
  /** How the weights start (see {@link SdaInitialization}). @default 'tutorial' */
  initialization?: SdaInitialization;
  /** Seeds the initial weights, every dA's corruption and the dropout masks. @default 0 */
  seed?: number;
  /**
   * Dropout of the hidden units during fine-tuning (the classifier's training step; pretraining
   * is unaffected): each hidden layer's output is multiplied by an inverted-dropout mask (see
   * {@link Classifier}). @default 0 (none)
   */
  dropout?: number;
}

/** The resolved configuration of a {@link StackedDenoisingAutoencoder}. */
export interface StackedDenoisingAutoencoderConfig {
  [key: string]: unknown;
  inputSize: number;
  hiddenSizes: number[];
  corruptionLevels: number[];
  corruption: CorruptionKind;
  activation: ActivationName;
  reconstructionLoss: ReconstructionLoss;
  tiedWeights: boolean;
  numClasses: number;
  output: ClassifierOutput;
  initialization: SdaInitialization;
  seed: number;
  dropout: number;
}

const STACKED_DENOISING_AUTOENCODER_OPTION_KEYS: KnownKeys<StackedDenoisingAutoencoderOptions> = {
  inputSize: true,
  hiddenSizes: true,
  corruptionLevels: true,
  corruption: true,
  activation: true,
  reconstructionLoss: true,
  tiedWeights: true,
  numClasses: true,
  output: true,
  initialization: true,
  seed: true,
  dropout: true,
};

/** Resolves and checks the options of an SdA, including that there is one corruption level per layer. */
export function resolveStackedDenoisingAutoencoderOptions(options: StackedDenoisingAutoencoderOptions): StackedDenoisingAutoencoderConfig {
  const caller = 'StackedDenoisingAutoencoder';
  requireKnownKeys(caller, 'options', options, STACKED_DENOISING_AUTOENCODER_OPTION_KEYS);
  const hiddenSizes = requireLayerSizes(caller, 'hiddenSizes', options.hiddenSizes ?? [1000, 1000, 1000], { allowEmpty: false });
  const defaultLevels = options.hiddenSizes === undefined ? [0.1, 0.2, 0.3] : hiddenSizes.map(() => 0);
  const levels = options.corruptionLevels ?? defaultLevels;
  if (!Array.isArray(levels) || levels.length !== hiddenSizes.length) {
    throw new InvalidArgumentError(
      'corruptionLevels',
      levels,
      `${caller}: corruptionLevels must have one level per hidden layer (${hiddenSizes.length}, for hiddenSizes ` +
        `[${hiddenSizes.join(', ')}]); received ${Array.isArray(levels) ? `${levels.length} levels [${levels.join(', ')}]` : String(levels)}.`,
    );
  }
  const corruption = options.corruption ?? 'mask';
  const config = {
    inputSize: requirePositiveInteger(caller, 'inputSize', options.inputSize ?? 784),
    hiddenSizes,
    corruptionLevels: levels.map((level, index) => resolveCorruption(caller, corruption, level, `corruptionLevels[${index}]`).level),
    corruption: resolveCorruption(caller, corruption, 0).kind,
    activation: resolveActivation(caller, 'activation', options.activation ?? 'sigmoid').name,
    reconstructionLoss: resolveChoice(caller, 'reconstructionLoss', options.reconstructionLoss ?? 'cross-entropy', RECONSTRUCTION_LOSSES),
    tiedWeights: requireBoolean(caller, 'tiedWeights', options.tiedWeights ?? true),
    numClasses: requirePositiveInteger(caller, 'numClasses', options.numClasses ?? 10),
    output: resolveClassifierOutput(caller, 'output', options.output ?? 'softmax'),
    initialization: resolveChoice(caller, 'initialization', options.initialization ?? 'tutorial', SDA_INITIALIZATIONS),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
    dropout: resolveDropout(caller, options.dropout ?? 0),
  };
  requireDenseLayersFit(caller, 'hiddenSizes', [config.inputSize, ...config.hiddenSizes, config.numClasses]);
  return config;
}

/**
 * A stacked denoising autoencoder (Vincent et al. 2010) as in the Theano tutorial: sigmoid hidden
 * layers whose W and b are shared with one dA each (for greedy layer-wise pretraining), and a
 * softmax layer on top (for supervised fine-tuning with the negative log-likelihood). With
 * `output: 'sigmoid-squared-error'`, `reconstructionLoss: 'squared-error'`, `tiedWeights: false`
 * and `initialization: 'deeplearntoolbox'` it is DeepLearnToolbox's SAE instead.
 * Variables `layer{i}.W`, `layer{i}.b`, `output.W`, `output.b`; the dAs' decoder biases
 * `layer{i}.bPrime` (and, untied, decoder weights `layer{i}.WPrime`) are saved with the model but
 * not fine-tuned.
 *
 * @example
 * const sda = new StackedDenoisingAutoencoder({ hiddenSizes: [500, 500], corruptionLevels: [0.2, 0.3] });
 * const da = sda.autoencoder(0); // pretrain it on x, then autoencoder(1) on sda.layerInput(x, 1)
 */
export class StackedDenoisingAutoencoder extends Classifier<StackedDenoisingAutoencoderConfig> {
  readonly className = 'StackedDenoisingAutoencoder' as const;
  readonly inputLayout = 'flat' as const;
  readonly numClasses: number;
  private readonly activation: Activation;
  private readonly autoencoders: DenoisingAutoencoder[] = [];

  /** @throws {InvalidArgumentError} for bad sizes, levels outside [0, 1) or a level count that differs from the layer count. */
  constructor(options: StackedDenoisingAutoencoderOptions = {}) {
    const config = resolveStackedDenoisingAutoencoderOptions(options);
    super(config);
    this.numClasses = config.numClasses;
    this.activation = resolveActivation('StackedDenoisingAutoencoder', 'activation', config.activation);
    this.useDropout(config.dropout, config.seed);
    const random = new Random(deriveSeed(config.seed, 0));
    const toolbox = config.initialization === 'deeplearntoolbox';
    // DeepLearnToolbox draws a layer's bias with its weights (an extra column), from the same bound.
    const weights = (fanIn: number, fanOut: number) =>
      toolbox
        ? uniformValues(fanIn * fanOut, sigmoidBound(fanIn, fanOut), random)
        : hiddenLayerValues(fanIn, fanOut, config.activation, random);
    const bias = (fanIn: number, fanOut: number, size: number) =>
      toolbox ? uniformValues(size, sigmoidBound(fanIn, fanOut), random) : new Float32Array(size);
    let fanIn = config.inputSize;
    config.hiddenSizes.forEach((size, layer) => {
      const W = this.addVariable(`layer${layer}.W`, [fanIn, size], () => weights(fanIn, size));
      const b = this.addVariable(`layer${layer}.b`, [size], () => bias(fanIn, size, size));
      const bPrime = this.addVariable(`layer${layer}.bPrime`, [fanIn], () => bias(size, fanIn, fanIn), 'auxiliary');
      const WPrime = config.tiedWeights
        ? undefined
        : this.addVariable(`layer${layer}.WPrime`, [size, fanIn], () => weights(size, fanIn), 'auxiliary');
      const corruptionRandom = this.addRandomStream(`layer${layer}.corruption`, new Random(deriveSeed(config.seed, 1, layer)));
      const daOptions = {
        visibleSize: fanIn,
        hiddenSize: size,
        activation: config.activation,
        corruption: config.corruption,
        corruptionLevel: config.corruptionLevels[layer],
        loss: config.reconstructionLoss,
        tiedWeights: config.tiedWeights,
        seed: deriveSeed(config.seed, 2, layer),
      };
      this.autoencoders.push(new DenoisingAutoencoder(daOptions, { W, b, bPrime, WPrime, corruptionRandom }));
      fanIn = size;
    });
    const classes = config.numClasses;
    this.addVariable('output.W', [fanIn, classes], () =>
      toolbox ? uniformValues(fanIn * classes, sigmoidBound(fanIn, classes), random) : new Float32Array(fanIn * classes),
    );
    this.addVariable('output.b', [classes], () => bias(fanIn, classes, classes));
  }

  protected summaryLayers(): SummaryLayer[] {
    return [
      ...this.config.hiddenSizes.map((size, layer) =>
        denseLayer(`layer${layer}`, size, [`layer${layer}.W`, `layer${layer}.b`, `layer${layer}.bPrime`]),
      ),
      denseLayer('output', this.numClasses),
    ];
  }

  protected override summaryNotes(): string[] {
    return ["Non-trainable: each layer's dA decoder bias (layerN.bPrime), which only pretraining trains; saved with the model."];
  }

  override get output(): ClassifierOutput {
    return this.config.output;
  }

  /** The number of hidden layers. */
  get layerCount(): number {
    return this.config.hiddenSizes.length;
  }

  /**
   * The dA of hidden layer `layer`, sharing that layer's W and b: training it trains the SdA.
   * It belongs to the SdA; disposing it does nothing, disposing the SdA frees its variables.
   */
  autoencoder(layer: number): DenoisingAutoencoder {
    this.assertUsable('autoencoder');
    this.requireLayer('autoencoder', layer, this.layerCount - 1);
    return this.autoencoders[layer];
  }

  /** The input of hidden layer `layer` computed on clean `x`: what its dA is pretrained on. */
  layerInput(x: tf.Tensor, layer: number): tf.Tensor2D {
    this.assertUsable('layerInput');
    this.requireLayer('layerInput', layer, this.layerCount - 1);
    return forwardHiddenLayers(
      'StackedDenoisingAutoencoder.layerInput',
      x,
      this.config.inputSize,
      this.hiddenWeights(),
      this.activation,
      layer,
    );
  }

  protected requireInput(method: string, x: unknown): tf.Tensor {
    return requireFlatInput(`StackedDenoisingAutoencoder.${method}`, x, this.config.inputSize);
  }

  protected override dropoutUnits(): readonly number[] {
    return this.config.hiddenSizes;
  }

  logits(x: tf.Tensor, dropoutMasks?: readonly tf.Tensor[]): tf.Tensor2D {
    this.assertUsable('logits');
    const weights = this.hiddenWeights();
    return tf.tidy(() =>
      affine(
        forwardHiddenLayers(
          'StackedDenoisingAutoencoder.logits',
          x,
          this.config.inputSize,
          weights,
          this.activation,
          weights.length,
          dropoutMasks,
        ),
        this.getVariable('output.W') as tf.Tensor2D,
        this.getVariable('output.b') as tf.Tensor1D,
      ),
    );
  }

  /** A copy of the first layer's weights W1 (inputSize x h1); row-wise W1^T are its filters. */
  firstLayerWeights(): tf.Tensor2D {
    return this.getVariable('layer0.W').clone() as tf.Tensor2D;
  }

  /**
   * The product W1 W2 ... Wk (inputSize x h_k) of the first `layers` weight matrices, which the
   * notebooks show as the filters of layer k in input space.
   */
  weightProduct(layers = this.layerCount): tf.Tensor2D {
    this.assertUsable('weightProduct');
    this.requireLayer('weightProduct', layers, this.layerCount, 1);
    return tf.tidy(() => {
      let product = this.getVariable('layer0.W') as tf.Tensor2D;
      for (let layer = 1; layer < layers; layer++) product = tf.matMul(product, this.getVariable(`layer${layer}.W`) as tf.Tensor2D);
      return product.clone();
    });
  }

  override dispose(): void {
    for (const autoencoder of this.autoencoders) autoencoder.dispose();
    super.dispose();
  }

  private hiddenWeights(): { W: tf.Variable; b: tf.Variable }[] {
    return this.config.hiddenSizes.map((_, layer) => ({ W: this.getVariable(`layer${layer}.W`), b: this.getVariable(`layer${layer}.b`) }));
  }

  private requireLayer(method: string, layer: number, max: number, min = 0): void {
    if (!Number.isInteger(layer) || layer < min || layer > max) {
      throw new InvalidArgumentError(
        'layer',
        layer,
        `StackedDenoisingAutoencoder.${method}: layer must be a whole number in [${min}, ${max}] for this ${this.layerCount}-layer SdA; received ${layer}.`,
      );
    }
  }
}
