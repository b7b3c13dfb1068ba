import { Option, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { ReluCnn, resolveReluCnnOptions, saveModel, type ConvolutionOptions } from '@sdae/layers';
import {
  GRADIENT_REDUCTIONS,
  LENET_CNN,
  NOTEBOOK_CNN,
  NOTEBOOK_CNN_SUMMED,
  evaluate,
  fitClassifier,
  trainSampled,
  type EpochLog,
  type GradientReduction,
  type OptimizerName,
  type TrainingResult,
} from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { classifierResult } from '../run/classifier-result';
import { requireBatchFits, startExperiment } from '../run/experiment';
import { filtersPng, writeReport } from '../run/report-files';
import { SAMPLED_CHECKPOINT_EVERY, trainingControls } from '../run/controls';
import { reportSmoothing, trainingSeconds } from '../run/run-report';
import {
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  dropoutFlag,
  epochsFlag,
  engineFlags,
  experimentFlags,
  flag,
  iterationsFlag,
  learningRateFlag,
  optimizerFlags,
  optimizerOptions,
  positiveInteger,
  refuseInapplicable,
  refuseOptimizerFlags,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';
import { epochPlan, iterationPlan } from '../run/progress';

// Unset training flags take the preset's defaults.
const FLAGS = {
  preset: flag<'notebook' | 'lenet'>(() => new Option('--preset <name>', 'the network').choices(['notebook', 'lenet']).default('notebook')),
  iterations: iterationsFlag('random minibatches to train on (notebook; default 3000)'),
  epochs: epochsFlag({ description: 'epochs over the training set instead (default 8 for lenet)', default: undefined }),
  ...optimizerFlags({
    optimizer: undefined,
    optimizerDefault: 'default: sgd for notebook, adam for lenet',
    momentum: 0.5,
    scheduleUnit: 'epoch (iteration, on random minibatches)',
    scheduleDefault: 'default: constant for notebook, step:6:0.1 for lenet',
  }),
  dropout: dropoutFlag(
    "fraction of the dense layers' inputs (flattened feature maps, dense units) dropped at each training step, in [0, 1)",
  ),
  learningRate: learningRateFlag({
    description: 'default: 0.1 for notebook (0.01 with --gradients sum), 0.001 for lenet',
    default: undefined,
  }),
  gradients: flag<GradientReduction>(() =>
    new Option('--gradients <reduction>', "notebook: step on the minibatch's mean gradient, or its sum (the notebook's own update rule)")
      .choices(GRADIENT_REDUCTIONS)
      .default('mean'),
  ),
  filters: flag<number | undefined>(() =>
    new Option('--filters <n>', "notebook: 5x5 filters of the convolution (default 1, the notebook's)").argParser(positiveInteger),
  ),
  pool: flag<number | undefined>(() =>
    new Option('--pool <k>', 'notebook: max-pool the feature maps in k x k windows after the ReLU (default none)').argParser(
      positiveInteger,
    ),
  ),
  batchSize: batchSizeFlag({ description: 'default: 100 for notebook, 50 for lenet', default: undefined }),
  ...experimentFlags('runs/cnn'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae cnn`. */
export type CnnFlags = FlagValues<typeof FLAGS>;

/**
 * How each preset is trained by default, from @sdae/train's presets: the notebook's sampled
 * minibatches at a constant rate, or LeNet's epochs of Adam with its step schedule.
 */
const PRESET_TRAINING = {
  notebook: { ...NOTEBOOK_CNN.training.options, epochs: undefined, learningRateSchedule: { kind: 'constant' } },
  'notebook, summed gradients': { ...NOTEBOOK_CNN_SUMMED.training.options, epochs: undefined, learningRateSchedule: { kind: 'constant' } },
  lenet: { ...LENET_CNN.training.options, iterations: undefined },
} as const;

/** The notebook network with `--filters` and `--pool` applied to its convolution (nothing when neither is given). */
function notebookConvolutions(flags: CnnFlags): { convolutions?: ConvolutionOptions[] } {
  if (flags.filters === undefined && flags.pool === undefined) return {};
  const [convolution] = resolveReluCnnOptions({ preset: 'notebook' }).convolutions;
  return { convolutions: [{ ...convolution!, filters: flags.filters ?? convolution!.filters, pool: flags.pool ?? convolution!.pool }] };
}

/** The network's name in logs and the report: the preset, with the notebook's filters and pooling when changed. */
function cnnName(flags: CnnFlags): string {
  const changes = [
    ...(flags.filters === undefined ? [] : [`${flags.filters} filters`]),
    ...(flags.pool === undefined ? [] : [`pool ${flags.pool}`]),
  ];
  return `'${flags.preset}'${changes.length === 0 ? '' : ` (${changes.join(', ')})`}`;
}

/** The optimiser a preset trains with (its name: the presets give no other settings). */
function presetOptimizer(training: (typeof PRESET_TRAINING)[keyof typeof PRESET_TRAINING]): OptimizerName {
  const optimizer = training.optimizer;
  return typeof optimizer === 'string' ? optimizer : (optimizer.name ?? 'sgd');
}

/**
 * `sdae cnn --preset notebook|lenet`: trains a ReLU CNN on MNIST and writes its loss and accuracy
 * curves, the first layer's kernels (enlarged), the confusion matrix, test accuracy and time.
 */
export async function cnnCommand(flags: CnnFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  const defaults = PRESET_TRAINING[flags.gradients === 'sum' ? 'notebook, summed gradients' : flags.preset];
  const optimizer = flags.optimizer ?? presetOptimizer(defaults);
  const learningRate = flags.learningRate ?? defaults.learningRate;
  const batchSize = flags.batchSize ?? defaults.batchSize;
  const cnn = new ReluCnn({ preset: flags.preset, dropout: flags.dropout, seed: flags.seed, ...notebookConvolutions(flags) });
  try {
    log(
      `ReLU CNN ${cnnName(flags)} (${cnn.parameterCount()} parameters), ${optimizer} lr ${learningRate}` +
        `${flags.gradients === 'sum' ? ' on summed gradients' : ''}, batch ${batchSize}, ${mnist.train.count} training images`,
    );
    const sampled = flags.preset === 'notebook' && flags.epochs === undefined;
    // Sampled minibatches draw with replacement; epochs need a full batch.
    if (!sampled) requireBatchFits(experiment, flags, batchSize);
    const iterations = flags.iterations ?? defaults.iterations ?? 3000;
    const epochs = flags.epochs ?? defaults.epochs ?? 5;
    // An iteration run prints every 100th iteration's log; its bar counts iterations.
    const plan = sampled
      ? iterationPlan(iterations, batchSize, (epochLog) => epochLog.epoch % 100 === 99)
      : epochPlan(batchCount(mnist.train.count, batchSize), batchSize, epochs);
    const controls = await trainingControls(experiment, flags, output, plan);
    const common = {
      ...controls.loopOptions,
      batchSize,
      ...optimizerOptions(flags, optimizer, defaults.learningRateSchedule),
      learningRate,
      seed: flags.seed,
    };
    const result: TrainingResult = await (
      sampled
        ? trainSampled(cnn, mnist.train, {
            ...common,
            iterations,
            gradientReduction: flags.gradients,
            checkpoint: { ...controls.checkpoint, every: SAMPLED_CHECKPOINT_EVERY },
          })
        : fitClassifier(
            cnn,
            { train: mnist.train, validation: mnist.validation },
            {
              ...common,
              checkpoint: controls.checkpoint,
              order: 'shuffled',
              epochs,
              earlyStopping: false,
            },
          )
    ).finally(controls.release);
    controls.stopIfInterrupted();
    const test = classifierResult(
      experiment,
      await evaluate(cnn, mnist.test, { batchSize: 500, engine: experiment.engine.engine }),
      mnist.test,
      trainingSeconds(result.history),
    );
    const architecture = cnnName(flags);
    const x = (entry: EpochLog) => (entry.stage === 'sampled' ? entry.epoch : entry.epoch + 1);
    const accuracyPoints = result.history.map(
      (entry) =>
        [x(entry), 100 * (entry.accuracy ?? (entry.validationError === undefined ? Number.NaN : 1 - entry.validationError))] as const,
    );
    // Per-minibatch values are noisy: smoothed, with the raw ones faint; accuracy on its own axis.
    const lossChart = lineChart(
      [
        { name: 'training loss', points: result.history.map((entry) => [x(entry), entry.cost] as const) },
        ...(accuracyPoints.some(([, y]) => Number.isFinite(y))
          ? [{ name: sampled ? 'minibatch accuracy' : 'validation accuracy', points: accuracyPoints, axis: 'right' as const }]
          : []),
      ],
      {
        title: 'Training loss and accuracy',
        xLabel: sampled ? 'iteration' : 'epoch',
        yLabel: 'cross-entropy',
        y2Label: 'accuracy (%)',
        smoothing: sampled ? reportSmoothing(result.history.length) : 0,
      },
    );
    const confusion = test.confusion;
    const kernels = cnn.convolutionFilters(0);
    const [filters, kernelHeight, kernelWidth] = kernels.shape;
    const filterImage = filtersPng(await kernels.data(), {
      imageShape: [kernelHeight, kernelWidth],
      tileShape: [Math.ceil(filters / 10), Math.min(filters, 10)],
      enlargeBy: 8,
    });
    tf.dispose(kernels);
    await saveModel(cnn, `${experiment.directory}/model`);
    const files: Record<string, string | Uint8Array> = {
      'filters.png': filterImage,
      'loss.svg': lossChart,
      'confusion.svg': confusion,
      'history.json': `${JSON.stringify(result.history)}\n`,
    };
    const figures = [
      { title: 'First-layer kernels (x8)', png: filterImage },
      { title: 'Loss and accuracy', svg: lossChart },
      { title: 'Confusion matrix', svg: confusion },
    ];
    await writeReport(
      experiment,
      {
        title: `ReLU CNN ${architecture}`,
        summary: {
          ...test.summary,
          parameters: cnn.parameterCount(),
          backend: experiment.backend.backend,
        },
        figures,
        config: { ...cnn.getConfig(), optimizer, learningRate, batchSize, gradients: flags.gradients },
      },
      files,
    );
  } finally {
    cnn.dispose();
  }
}

/** Adds `sdae cnn` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'cnn',
    'train a ReLU CNN (notebook: one 5x5 filter, random minibatches; lenet: two conv+pool blocks, epochs of Adam); writes curves, kernels, confusion matrix, report.html',
    FLAGS,
    (flags) => cnnCommand(flags, output),
    (flags, command) => {
      for (const flagName of ['--filters', '--pool']) {
        refuseInapplicable(
          command,
          flagName,
          flags.preset === 'notebook',
          "applies to --preset notebook's one convolution; lenet's two are fixed. Drop it or use --preset notebook.",
        );
      }
      refuseInapplicable(
        command,
        '--gradients',
        flags.preset === 'notebook' && flags.epochs === undefined,
        "applies to the notebook's random-minibatch training (--preset notebook without --epochs); drop it.",
      );
      refuseInapplicable(
        command,
        '--iterations',
        flags.preset === 'notebook',
        'does not apply to --preset lenet, which trains whole epochs; drop --iterations and set --epochs instead.',
      );
      refuseOptimizerFlags(command, flags.optimizer ?? presetOptimizer(PRESET_TRAINING[flags.preset]), ` (--preset ${flags.preset})`);
      refuseInapplicable(
        command,
        '--iterations',
        flags.epochs === undefined,
        'and --epochs contradict: --iterations trains on random minibatches, --epochs on whole epochs; keep one of them.',
      );
    },
  );
}
