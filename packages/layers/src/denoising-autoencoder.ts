import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  describeValue,
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
import { applyNoise, corruptTensor, drawNoise, resolveCorruption, type CorruptionKind } from './corruption';
import { uniformBound, uniformValues } from './initializers';
import { affine, requireDenseLayersFit } from './dense';
import { Model, type LossAndGradients } from './model';
import { requireTensor } from './tensor-checks';
import { denseLayer, type SummaryLayer } from './summary/model-summary';

/**
 * The reconstruction loss of a dA, summed over the visible units and averaged over the batch:
 * - `'cross-entropy'`: `-sum(x log z + (1 - x) log(1 - z))`, the Theano tutorial's;
 * - `'squared-error'`: `1/2 sum((z - x)^2)`, DeepLearnToolbox's.
 */
export type ReconstructionLoss = 'cross-entropy' | 'squared-error';

/** Every valid {@link ReconstructionLoss}. */
export const RECONSTRUCTION_LOSSES: readonly ReconstructionLoss[] = ['cross-entropy', 'squared-error'];

/** Options of {@link DenoisingAutoencoder}. */
export interface DenoisingAutoencoderOptions {
  /** Input size d. @default 784 */
  visibleSize?: number;
  /** Hidden size h. @default 500 */
  hiddenSize?: number;
  /** The hidden nonlinearity; the decoder is always a sigmoid (inputs lie in [0, 1]). @default 'sigmoid' */
  activation?: ActivationName;
  /** The kind of corruption. @default 'mask' */
  corruption?: CorruptionKind;
  /** Masking: the fraction of inputs set to 0, in [0, 1). Gaussian: the noise's standard deviation. @default 0 */
  corruptionLevel?: number;
  /** @default 'cross-entropy' */
  loss?: ReconstructionLoss;
  /** Decode with W^T (the tutorial) or with a separate matrix W' (DeepLearnToolbox). @default true */
  tiedWeights?: boolean;
  /** Seeds the initial weights and the corruption noise. @default 0 */
  seed?: number;
}

/** The resolved configuration of a {@link DenoisingAutoencoder}: every option filled in. */
export interface DenoisingAutoencoderConfig {
  [key: string]: unknown;
  visibleSize: number;
  hiddenSize: number;
  activation: ActivationName;
  corruption: CorruptionKind;
  corruptionLevel: number;
  loss: ReconstructionLoss;
  tiedWeights: boolean;
  seed: number;
}

const DENOISING_AUTOENCODER_OPTION_KEYS: KnownKeys<DenoisingAutoencoderOptions> = {
  visibleSize: true,
  hiddenSize: true,
  activation: true,
  corruption: true,
  corruptionLevel: true,
  loss: true,
  tiedWeights: true,
  seed: true,
};

/** Resolves and checks the options of a dA once; every default lives here. */
export function resolveDenoisingAutoencoderOptions(
  options: DenoisingAutoencoderOptions,
  caller = 'DenoisingAutoencoder',
): DenoisingAutoencoderConfig {
  requireKnownKeys(caller, 'options', options, DENOISING_AUTOENCODER_OPTION_KEYS);
  const activation = resolveActivation(caller, 'activation', options.activation ?? 'sigmoid').name;
  const { kind, level } = resolveCorruption(caller, options.corruption ?? 'mask', options.corruptionLevel ?? 0);
  const config = {
    visibleSize: requirePositiveInteger(caller, 'visibleSize', options.visibleSize ?? 784),
    hiddenSize: requirePositiveInteger(caller, 'hiddenSize', options.hiddenSize ?? 500),
    activation,
    corruption: kind,
    corruptionLevel: level,
    loss: resolveChoice(caller, 'loss', options.loss ?? 'cross-entropy', RECONSTRUCTION_LOSSES),
    tiedWeights: requireBoolean(caller, 'tiedWeights', options.tiedWeights ?? true),
    seed: requireNumber(caller, 'seed', options.seed ?? 0),
  };
  requireDenseLayersFit(caller, 'hiddenSize', [config.visibleSize, config.hiddenSize]);
  return config;
}

/**
 * What an SdA lends to the dA that pretrains one of its layers: the layer's W and b, the dA's
 * decoder bias and its corruption stream, all owned (saved, disposed) by the SdA.
 * @internal
 */
export interface SharedEncoderVariables {
  W: tf.Variable;
  b: tf.Variable;
  bPrime: tf.Variable;
  /** The decoder weights when the dA is untied. */
  WPrime?: tf.Variable;
  corruptionRandom: Random;
}

/**
 * A denoising autoencoder (Vincent et al. 2008) exactly as in the Theano tutorial: corrupt x,
 * encode `y = s(x~ W + b)`, decode `z = sigmoid(y W' + b')` with `W' = W^T` by default, and
 * measure the reconstruction against the clean x. Variables: `W` (d x h), `b` (h), `bPrime` (d)
 * and, untied, `WPrime` (h x d). Weights start Uniform(+-4 sqrt(6/(h+d))) for sigmoid, biases 0.
 *
 * @example
 * const da = new DenoisingAutoencoder({ hiddenSize: 500, corruptionLevel: 0.3, seed: 1 });
 * const { loss, gradients } = da.lossAndGradients(x); // x: [batch, 784] in [0, 1]
 */
export class DenoisingAutoencoder extends Model<DenoisingAutoencoderConfig> {
  readonly className = 'DenoisingAutoencoder' as const;
  private readonly activation: Activation;
  private readonly corruptionRandom: Random;

  /** @throws {InvalidArgumentError} for a non-positive size, a corruption level out of range or an unknown name. */
  constructor(options: DenoisingAutoencoderOptions = {}, shared?: SharedEncoderVariables) {
    const config = resolveDenoisingAutoencoderOptions(options);
    super(config);
    const { visibleSize: d, hiddenSize: h } = config;
    this.activation = resolveActivation('DenoisingAutoencoder', 'activation', config.activation);
    const initRandom = new Random(deriveSeed(config.seed, 0));
    const bound = uniformBound(d, h, config.activation);
    if (shared === undefined) {
      this.addVariable('W', [d, h], () => uniformValues(d * h, bound, initRandom));
      this.addVariable('b', [h], () => new Float32Array(h));
      this.addVariable('bPrime', [d], () => new Float32Array(d));
      this.corruptionRandom = this.addRandomStream('corruption', new Random(deriveSeed(config.seed, 1)));
    } else {
      if (
        !tf.util.arraysEqual(shared.W.shape, [d, h]) ||
        !tf.util.arraysEqual(shared.bPrime.shape, [d]) ||
        config.tiedWeights !== (shared.WPrime === undefined)
      ) {
        throw new InvalidArgumentError(
          'shared',
          shared,
          `DenoisingAutoencoder: a shared encoder needs W [${d}, ${h}], bPrime [${d}] and WPrime exactly when untied; received ` +
            `W [${shared.W.shape.join(', ')}], bPrime [${shared.bPrime.shape.join(', ')}] and ${shared.WPrime === undefined ? 'no' : 'a'} WPrime ` +
            `with tiedWeights ${config.tiedWeights}. Share the variables of an encoder built with the same visibleSize, hiddenSize and tiedWeights.`,
        );
      }
      this.borrowVariable('W', shared.W);
      this.borrowVariable('b', shared.b);
      this.borrowVariable('bPrime', shared.bPrime);
      if (shared.WPrime !== undefined) this.borrowVariable('WPrime', shared.WPrime);
      this.corruptionRandom = this.addRandomStream('corruption', shared.corruptionRandom);
    }
    if (!config.tiedWeights && shared === undefined) this.addVariable('WPrime', [h, d], () => uniformValues(h * d, bound, initRandom));
  }

  protected summaryLayers(): SummaryLayer[] {
    const { visibleSize, hiddenSize, tiedWeights } = this.config;
    return [
      denseLayer('encoder', hiddenSize, ['W', 'b']),
      {
        ...denseLayer('decoder', visibleSize, tiedWeights ? ['bPrime'] : ['WPrime', 'bPrime']),
        type: tiedWeights ? 'Dense, tied W^T' : 'Dense',
      },
    ];
  }

  /** The encoder weights W (d x h); row i of W^T is hidden unit i's filter. */
  get W(): tf.Variable {
    return this.getVariable('W');
  }

  /** Corrupts `x` with this dA's noise, drawn from its seeded stream (or from `random`). */
  corrupt(x: tf.Tensor2D, random: Random = this.corruptionRandom): tf.Tensor2D {
    this.assertUsable('corrupt');
    this.requireInput('corrupt', x);
    return corruptTensor(x, this.config.corruption, this.config.corruptionLevel, random) as tf.Tensor2D;
  }

  /**
   * The noise that {@link DenoisingAutoencoder.corrupt} would draw for a batch of `batchSize`
   * inputs, drawn from the same seeded stream (the mask of masking noise, or Gaussian noise), so
   * that a step compiled elsewhere corrupts exactly as this dA does. Undefined when the
   * corruption level is 0 (nothing is drawn). With `into` (`batchSize * visibleSize` values), the
   * noise is written there instead of into a new array, for callers that reuse their buffers.
   *
   * @throws {InvalidArgumentError} when `into` does not hold `batchSize * visibleSize` values.
   */
  drawNoise(batchSize: number, into?: Float32Array): Float32Array | undefined {
    this.assertUsable('drawNoise');
    const count = batchSize * this.config.visibleSize;
    if (into !== undefined && !(into instanceof Float32Array && into.length === count)) {
      throw new InvalidArgumentError(
        'into',
        into,
        `${this.className}.drawNoise: into must be a Float32Array of batchSize x visibleSize = ${batchSize} x ${this.config.visibleSize} ` +
          `values; received ${into instanceof Float32Array ? `${into.length} values` : describeValue(into)}. Pass an array of that length, or none for a new one.`,
      );
    }
    return drawNoise(count, this.config.corruption, this.config.corruptionLevel, this.corruptionRandom, into);
  }

  /** Corrupts `x` with noise from {@link DenoisingAutoencoder.drawNoise}, given as a tensor of x's shape. */
  applyNoise(x: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable('applyNoise');
    this.requireInput('applyNoise', x, noise, 'noise');
    return applyNoise(x, this.config.corruption, noise) as tf.Tensor2D;
  }

  /** The hidden representation `s(x W + b)`, `[n, h]`. */
  encode(x: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable('encode');
    this.requireInput('encode', x);
    return tf.tidy(() => this.activation.apply(tf.add(tf.matMul(x, this.W), this.getVariable('b')))) as tf.Tensor2D;
  }

  /** The reconstruction `sigmoid(y W' + b')`, `[n, d]`. */
  decode(y: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable('decode');
    requireTensor('DenoisingAutoencoder.decode', 'y', y, {
      shapes: [[null, this.config.hiddenSize]],
      fix: 'Pass a hidden representation, such as the output of encode.',
    });
    return tf.tidy(() => tf.sigmoid(this.decoderInput(y)));
  }

  /** Encodes and decodes `x` without corruption. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  /**
   * The cost of the tutorial: the loss of reconstructing the clean `x` from its corruption,
   * summed over units and averaged over the batch. Pass `corrupted` to use a given corruption;
   * otherwise a fresh one is drawn. Differentiable with `tf.variableGrads`.
   */
  cost(x: tf.Tensor2D, corrupted?: tf.Tensor2D): tf.Scalar {
    this.assertUsable('cost');
    this.requireInput('cost', x, corrupted);
    return tf.tidy(() => {
      const input = corrupted ?? this.corrupt(x);
      return this.lossFromDecoderInput(x, this.decoderInput(this.encode(input)));
    });
  }

  /**
   * The cost and its gradient for every variable, computed by hand in one pass (about half the
   * ops of automatic differentiation). Pass `corrupted` to use a given corruption.
   */
  lossAndGradients(x: tf.Tensor2D, corrupted?: tf.Tensor2D): LossAndGradients {
    this.assertUsable('lossAndGradients');
    this.requireInput('lossAndGradients', x, corrupted);
    return tf.tidy(() => {
      const gradients: Record<string, tf.Tensor> = {};
      const n = x.shape[0];
      const input = corrupted ?? this.corrupt(x);
      const W = this.W as tf.Tensor2D;
      const hiddenInput = affine(input, W, this.getVariable('b') as tf.Tensor1D);
      const hidden = this.activation.apply(hiddenInput) as tf.Tensor2D;
      const outputInput = this.decoderInput(hidden);
      const output = tf.sigmoid(outputInput);
      const error = tf.sub(output, x);
      // d loss / d outputInput, already divided by the batch size.
      const outputDelta = (
        this.config.loss === 'cross-entropy' ? tf.div(error, n) : tf.mul(tf.mul(error, tf.mul(output, tf.sub(1, output))), 1 / n)
      ) as tf.Tensor2D;
      // delta_z W when tied; delta_z W'^T when untied.
      const hiddenDelta = tf.mul(
        this.config.tiedWeights ? tf.matMul(outputDelta, W) : tf.matMul(outputDelta, this.getVariable('WPrime'), false, true),
        this.activation.derivative(hiddenInput, hidden),
      );
      if (this.config.tiedWeights) {
        // input^T delta_h + delta_z^T h as one product over the stacked minibatch: [input; delta_z]^T [delta_h; h].
        gradients.W = tf.matMul(tf.concat([input, outputDelta], 0), tf.concat([hiddenDelta, hidden], 0), true, false);
      } else {
        gradients.W = tf.matMul(input, hiddenDelta, true, false);
        gradients.WPrime = tf.matMul(hidden, outputDelta, true, false);
      }
      gradients.b = tf.sum(hiddenDelta, 0);
      gradients.bPrime = tf.sum(outputDelta, 0);
      return { loss: this.lossFromDecoderInput(x, outputInput), gradients };
    });
  }

  /** Checks `x` and, when given, its corrupted copy (or noise) `companion` of the same shape, before any tensor is made. */
  private requireInput(method: string, x: unknown, companion?: unknown, companionName = 'corrupted'): void {
    const caller = `DenoisingAutoencoder.${method}`;
    const visible = this.config.visibleSize;
    const input = requireTensor(caller, 'x', x, {
      shapes: [[null, visible]],
      fix: `Flatten the images to rows of ${visible} values (visibleSize), or build the dA with the data's size.`,
    });
    if (companion === undefined) return;
    requireTensor(caller, companionName, companion, {
      shapes: [[input.shape[0]!, visible]],
      fix: `Pass one ${companionName} row per row of x (as corrupt(x) makes), or leave it out.`,
    });
  }

  private decoderInput(hidden: tf.Tensor2D): tf.Tensor2D {
    return this.config.tiedWeights
      ? tf.add(tf.matMul(hidden, this.W, false, true), this.getVariable('bPrime'))
      : tf.add(tf.matMul(hidden, this.getVariable('WPrime')), this.getVariable('bPrime'));
  }

  private lossFromDecoderInput(x: tf.Tensor2D, outputInput: tf.Tensor2D): tf.Scalar {
    const n = x.shape[0];
    if (this.config.loss === 'cross-entropy') {
      // -[x log s(a) + (1 - x) log(1 - s(a))] = softplus(a) - x a, without log(0) for saturated units.
      return tf.div(tf.sum(tf.sub(tf.softplus(outputInput), tf.mul(x, outputInput))), n);
    }
    return tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(tf.sigmoid(outputInput), x)))), n);
  }
}
