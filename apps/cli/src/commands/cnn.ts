import { Option, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { ReluCnn, saveModel } from '@sdae/layers';
import {
  LENET_CNN,
  NOTEBOOK_CNN,
  OPTIMIZER_NAMES,
  confusionMatrix,
  evaluate,
  fitClassifier,
  trainSampled,
  type EpochLog,
  type OptimizerName,
  type TrainingResult,
} from '@sdae/train';
import { confusionMatrixChart, lineChart } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { filtersPng, requireBatchFits, startExperiment, trainingControls, writeReport } from '../experiment';
import { reportSmoothing, trainingSeconds } from '../run-report';
import {
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  epochsFlag,
  engineFlags,
  experimentFlags,
  flag,
  learningRateFlag,
  positiveInteger,
  refuseInapplicable,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';
import { epochPlan, iterationPlan } from '../progress';

// Unset training flags take the preset's defaults.
const FLAGS = {
  preset: flag<'notebook' | 'lenet'>(() => new Option('--preset <name>', 'the network').choices(['notebook', 'lenet']).default('notebook')),
  iterations: flag<number | undefined>(() =>
    new Option('--iterations <n>', 'random minibatches to train on (notebook; default 3000)').argParser(positiveInteger),
  ),
  epochs: epochsFlag({ description: 'epochs over the training set instead (default 5 for lenet)', default: undefined }),
  optimizer: flag<OptimizerName | undefined>(() =>
    new Option('--optimizer <name>', 'default: sgd for notebook, adam for lenet').choices(OPTIMIZER_NAMES),
  ),
  learningRate: learningRateFlag({ description: 'default: 0.1 for notebook, 0.001 for lenet', default: undefined }),
  batchSize: batchSizeFlag({ description: 'default: 100 for notebook, 50 for lenet', default: undefined }),
  ...experimentFlags('runs/cnn'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae cnn`. */
export type CnnFlags = FlagValues<typeof FLAGS>;

/**
 * How each preset is trained by default, from @sdae/train's presets: the notebook's sampled
 * minibatches, or LeNet's epochs of Adam (the CLI runs LENET_CNN's phases as one run at its first
 * phase's learning rate; it has no learning-rate schedule yet).
 */
const PRESET_TRAINING = {
  notebook: { ...NOTEBOOK_CNN.training.options, epochs: undefined },
  lenet: {
    ...LENET_CNN.training.phases[0]!,
    iterations: undefined,
    epochs: LENET_CNN.training.phases.reduce((total, phase) => total + phase.epochs, 0),
  },
} as const;

/**
 * `sdae cnn --preset notebook|lenet`: trains a ReLU CNN on MNIST and writes its loss and accuracy
 * curves, the first layer's kernels (enlarged), the confusion matrix, test accuracy and time.
 */
export async function cnnCommand(flags: CnnFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  const defaults = PRESET_TRAINING[flags.preset];
  const optimizer = flags.optimizer ?? defaults.optimizer;
  const learningRate = flags.learningRate ?? defaults.learningRate;
  const batchSize = flags.batchSize ?? defaults.batchSize;
  const cnn = new ReluCnn({ preset: flags.preset, seed: flags.seed });
  try {
    log(
      `ReLU CNN '${flags.preset}' (${cnn.parameterCount()} parameters), ${optimizer} lr ${learningRate}, batch ${batchSize}, ${mnist.train.count} training images`,
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
    const common = { ...controls.loopOptions, batchSize, optimizer, learningRate, seed: flags.seed };
    const result: TrainingResult = await (
      sampled
        ? trainSampled(cnn, mnist.train, { ...common, iterations, checkpoint: { ...controls.checkpoint, every: 100 } })
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
    const test = await evaluate(cnn, mnist.test, { batchSize: 500 });
    log(`Test accuracy ${(100 * test.accuracy).toFixed(2)} % after ${(result.seconds / 60).toFixed(2)} min of training`, {
      type: 'result',
      testAccuracy: test.accuracy,
      seconds: result.seconds,
    });
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
    const confusion = confusionMatrixChart(confusionMatrix(test.predictions, mnist.test.labels, 10), { title: 'Test confusion matrix' });
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
        title: `ReLU CNN '${flags.preset}'`,
        summary: {
          'test accuracy': `${(100 * test.accuracy).toFixed(2)} %`,
          'training time': `${trainingSeconds(result.history).toFixed(1)} s`,
          parameters: cnn.parameterCount(),
          backend: experiment.backend.backend,
        },
        figures,
        config: { ...cnn.getConfig(), optimizer, learningRate, batchSize },
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
      refuseInapplicable(
        command,
        '--iterations',
        flags.preset === 'notebook',
        'does not apply to --preset lenet, which trains whole epochs; drop --iterations and set --epochs instead.',
      );
      refuseInapplicable(
        command,
        '--iterations',
        flags.epochs === undefined,
        'and --epochs contradict: --iterations trains on random minibatches, --epochs on whole epochs; keep one of them.',
      );
    },
  );
}
