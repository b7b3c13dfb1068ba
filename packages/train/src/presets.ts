import type { DenoisingAutoencoderOptions, ReluCnnOptions, ReluCnnPreset, StackedDenoisingAutoencoderOptions } from '@sdae/layers';
import type { FitClassifierOptions } from './loops/fit-classifier';
import { DEFAULT_LEARNING_RATE } from './optim/optimizers';
import type { PretrainStackOptions } from './loops/pretrain-stack';
import type { TrainAutoencoderOptions } from './loops/train-autoencoder';
import type { TrainSampledOptions } from './loops/train-sampled';

/** `T` with the fields `K` always given: what every preset of a kind states. */
type Stating<T, K extends keyof T> = Readonly<T & Required<Pick<T, K>>>;

/** A dA recipe: the model's options and how {@link trainAutoencoder} trains it. */
export interface DenoisingAutoencoderPreset {
  /** Where the values come from. */
  readonly source: string;
  readonly model: Stating<DenoisingAutoencoderOptions, 'hiddenSize' | 'corruptionLevel'>;
  readonly training: Stating<TrainAutoencoderOptions, 'epochs' | 'batchSize' | 'learningRate'>;
}

/** An SdA recipe: the model's options, its greedy pretraining ({@link pretrainStack}) and its fine-tuning ({@link fitClassifier}). */
export interface StackedDenoisingAutoencoderPreset {
  /** Where the values come from. */
  readonly source: string;
  readonly model: Stating<StackedDenoisingAutoencoderOptions, 'hiddenSizes' | 'corruptionLevels'>;
  readonly pretraining: Stating<PretrainStackOptions, 'epochs' | 'batchSize'>;
  readonly finetuning: Stating<FitClassifierOptions, 'epochs' | 'batchSize'>;
}

/**
 * How a CNN recipe trains: `'sampled'` runs {@link trainSampled} once with `options` (random
 * minibatches); `'epochs'` runs {@link fitClassifier} once with `options` (whole epochs).
 */
export type CnnTraining = SampledCnnTraining | EpochCnnTraining;

/** CNN training by {@link trainSampled}: one run of `options`. */
export interface SampledCnnTraining {
  readonly loop: 'sampled';
  readonly options: Stating<TrainSampledOptions, 'iterations' | 'batchSize' | 'optimizer' | 'learningRate'>;
}

/** CNN training by {@link fitClassifier}: one run of `options`, its learning rate following `options.learningRateSchedule`. */
export interface EpochCnnTraining {
  readonly loop: 'epochs';
  readonly options: Stating<FitClassifierOptions, 'epochs' | 'batchSize' | 'optimizer' | 'learningRate' | 'learningRateSchedule'>;
}

/** A {@link ReluCnn} recipe: the model's options and how it is trained. */
export interface ReluCnnTrainingPreset<Training extends CnnTraining = CnnTraining> {
  /** Where the values come from. */
  readonly source: string;
  readonly model: Readonly<ReluCnnOptions & { preset: ReluCnnPreset }>;
  readonly training: Training;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const field of Object.values(value)) deepFreeze(field);
  }
  return value;
}

/**
 * The Theano tutorial's dA (`dA.py`): 784-500, sigmoid, tied weights, cross-entropy, masking
 * noise at corruption 0.3 (it also runs 0.0), plain SGD at learning rate 0.1, minibatches of 20,
 * 15 epochs. These are also {@link trainAutoencoder}'s defaults.
 *
 * @example
 * const da = new DenoisingAutoencoder(TUTORIAL_DA.model);
 * await trainAutoencoder(da, mnist.train, TUTORIAL_DA.training);
 */
export const TUTORIAL_DA: DenoisingAutoencoderPreset = deepFreeze({
  source: 'Theano Deep Learning Tutorials, dA.py (denoising autoencoders)',
  model: { visibleSize: 784, hiddenSize: 500, corruptionLevel: 0.3 },
  training: { epochs: 15, batchSize: 20, learningRate: DEFAULT_LEARNING_RATE },
});

/**
 * The Theano tutorial's SdA (`SdA.py`): three sigmoid layers of 1000 with corruption 0.1, 0.2
 * and 0.3; pretraining 15 epochs per layer at learning rate 0.001; fine-tuning at 0.1 for up to
 * 1000 epochs with the tutorial's early stopping (fitClassifier's default, which needs a
 * validation set); minibatches of 1 throughout. It reported 1.39%
 * validation and 1.3% test error after 36 fine-tuning epochs (~17 hours on a 2008 CPU).
 *
 * @example
 * const sda = new StackedDenoisingAutoencoder(TUTORIAL_SDA.model);
 * await pretrainStack(sda, mnist.train, TUTORIAL_SDA.pretraining);
 * await fitClassifier(sda, mnist, TUTORIAL_SDA.finetuning);
 */
export const TUTORIAL_SDA: StackedDenoisingAutoencoderPreset = deepFreeze({
  source: 'Theano Deep Learning Tutorials, SdA.py (stacked denoising autoencoders)',
  model: { inputSize: 784, hiddenSizes: [1000, 1000, 1000], corruptionLevels: [0.1, 0.2, 0.3] },
  pretraining: { epochs: 15, batchSize: 1, learningRate: 0.001 },
  finetuning: { epochs: 1000, batchSize: 1, learningRate: DEFAULT_LEARNING_RATE },
});

/**
 * DeepLearnToolbox's SAE (`test_example_SAE.m`, `saesetup` / `nnsetup` defaults): 784-100-100-10,
 * sigmoid, untied autoencoders trained with squared error (`1/2 sum e^2 / batch`), masking 0.5,
 * sigmoid output units trained with squared error, every weight and bias drawn from
 * Uniform(+-4 sqrt(6/(in+out))) (`initialization: 'deeplearntoolbox'`), SGD with momentum 0.5 at
 * learning rate 1, minibatches of 100 in a fresh random order each epoch (`nntrain`'s
 * `randperm`), one epoch of pretraining per layer and one of fine-tuning on all 60,000 images,
 * no early stopping. It reported 8.26% test error with 50% masking and 9.33% without noise (set
 * `corruptionLevels` to `[0, 0]`); its own test asserts < 16%.
 *
 * @example
 * const sda = new StackedDenoisingAutoencoder(DEEPLEARNTOOLBOX_SAE.model);
 * await pretrainStack(sda, mnist.train, DEEPLEARNTOOLBOX_SAE.pretraining);
 * await fitClassifier(sda, { train: mnist.train }, DEEPLEARNTOOLBOX_SAE.finetuning);
 */
export const DEEPLEARNTOOLBOX_SAE: StackedDenoisingAutoencoderPreset = deepFreeze({
  source: 'DeepLearnToolbox, tests/test_example_SAE.m (saesetup / nnsetup defaults)',
  model: {
    inputSize: 784,
    hiddenSizes: [100, 100],
    corruptionLevels: [0.5, 0.5],
    reconstructionLoss: 'squared-error',
    tiedWeights: false,
    output: 'sigmoid-squared-error',
    initialization: 'deeplearntoolbox',
  },
  pretraining: { epochs: 1, batchSize: 100, order: 'shuffled', optimizer: { name: 'momentum', learningRate: 1, momentum: 0.5 } },
  finetuning: {
    epochs: 1,
    batchSize: 100,
    order: 'shuffled',
    optimizer: { name: 'momentum', learningRate: 1, momentum: 0.5 },
    earlyStopping: false,
  },
});

/**
 * The numpy notebook's "ReLU CNN" (`ReluCnn` preset `'notebook'`: one 5x5 filter, a bias per
 * feature-map position, dense 576 -> 10 softmax) trained on 3,000 minibatches of 100 sampled at
 * random, plain SGD at learning rate 0.1 on the mean loss (the notebook's 0.001 on summed
 * gradients). The notebook took 5.08 hours for these iterations; `examples/` measured 92.62%.
 *
 * @example
 * const cnn = new ReluCnn(NOTEBOOK_CNN.model);
 * await trainSampled(cnn, mnist.train, NOTEBOOK_CNN.training.options);
 */
export const NOTEBOOK_CNN: ReluCnnTrainingPreset<SampledCnnTraining> = deepFreeze({
  source: 'the numpy notebook "ReLU CNN" (sdae reference: Networks from the numpy notebook)',
  model: { preset: 'notebook' },
  training: { loop: 'sampled', options: { iterations: 3000, batchSize: 100, optimizer: 'sgd', learningRate: DEFAULT_LEARNING_RATE } },
});

/**
 * {@link NOTEBOOK_CNN} with the notebook's own update rule: each step subtracts the learning rate
 * times the minibatch's summed gradients (`gradientReduction: 'sum'`), at learning rate 0.01.
 *
 * @example
 * const cnn = new ReluCnn(NOTEBOOK_CNN_SUMMED.model);
 * await trainSampled(cnn, mnist.train, NOTEBOOK_CNN_SUMMED.training.options);
 */
export const NOTEBOOK_CNN_SUMMED: ReluCnnTrainingPreset<SampledCnnTraining> = deepFreeze({
  source: 'the numpy notebook "ReLU CNN", its update rule (summed gradients, lr 0.01)',
  model: { preset: 'notebook' },
  training: {
    loop: 'sampled',
    options: { iterations: 3000, batchSize: 100, optimizer: 'sgd', learningRate: 0.01, gradientReduction: 'sum' },
  },
});

/**
 * The Theano tutorial's LeNet shapes with ReLU (`ReluCnn` preset `'lenet'`: conv 5x5x20 + pool 2,
 * conv 5x5x50 + pool 2, dense 500, softmax), trained with Adam on shuffled minibatches of 50 and
 * no early stopping for 8 epochs, at learning rate 1e-3 for 6 and 1e-4 for the last 2 (a step
 * schedule, one run). `examples/reproduce.mjs lenet` measures its test accuracy (the tutorial's
 * tanh LeNet: 99.08%).
 *
 * @example
 * const cnn = new ReluCnn(LENET_CNN.model);
 * await fitClassifier(cnn, mnist, LENET_CNN.training.options);
 */
export const LENET_CNN: ReluCnnTrainingPreset<EpochCnnTraining> = deepFreeze({
  source: 'Theano Deep Learning Tutorials, convolutional_mlp.py (LeNet shapes); schedule measured in examples/reproduce.mjs',
  model: { preset: 'lenet' },
  training: {
    loop: 'epochs',
    options: {
      epochs: 8,
      batchSize: 50,
      order: 'shuffled',
      optimizer: 'adam',
      learningRate: 0.001,
      learningRateSchedule: { kind: 'step', epochs: 6, factor: 0.1 },
      earlyStopping: false,
      seed: 1,
    },
  },
});

/** The CNN recipes by the name of their {@link ReluCnn} architecture. */
export const CNN_PRESETS: Readonly<Record<ReluCnnPreset, ReluCnnTrainingPreset>> = deepFreeze({ notebook: NOTEBOOK_CNN, lenet: LENET_CNN });
