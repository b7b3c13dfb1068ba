import { Option, type Command } from 'commander';
import { StackedDenoisingAutoencoder, filterRows, saveModel } from '@sdae/layers';
import { evaluate, fitClassifier, pretrainStack, type TrainingResult } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { filtersPng, requireBatchFits, startExperiment, trainingControls, writeReport } from '../experiment';
import { activationsFigure, productFiltersPng } from '../pictures';
import { fineTuningSeries, trainingSeconds } from '../run-report';
import {
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  engineFlags,
  experimentFlags,
  flag,
  hiddenSizesFlag,
  list,
  positiveInteger,
  positiveNumber,
  unitInterval,
  type FlagValues,
} from '../flags';
import { EXIT, type Output } from '../output';
import type { ProgressPlan } from '../progress';

const FLAGS = {
  hidden: hiddenSizesFlag([500, 500]),
  corruptionLevels: flag<number[]>(() =>
    new Option('--corruption-levels <levels>', 'one masking level per layer, comma-separated')
      .argParser(list(unitInterval))
      .default([0.2, 0.3]),
  ),
  pretrainEpochs: flag<number>(() =>
    new Option('--pretrain-epochs <n>', 'pretraining epochs per layer').argParser(positiveInteger).default(2),
  ),
  pretrainLearningRate: flag<number>(() =>
    new Option('--pretrain-learning-rate <rate>', 'pretraining SGD learning rate').argParser(positiveNumber).default(0.1),
  ),
  finetuneEpochs: flag<number>(() =>
    new Option('--finetune-epochs <n>', 'most fine-tuning epochs (early stopping may end sooner)').argParser(positiveInteger).default(25),
  ),
  finetuneLearningRate: flag<number>(() =>
    new Option('--finetune-learning-rate <rate>', 'fine-tuning learning rate').argParser(positiveNumber).default(0.02),
  ),
  momentum: flag<number>(() => new Option('--momentum <m>', 'fine-tuning momentum, in [0, 1)').argParser(unitInterval).default(0.9)),
  batchSize: batchSizeFlag({ description: 'minibatch size', default: 20 }),
  enlarge: flag<number>(() =>
    new Option('--enlarge <factor>', 'magnify the product filter images W1...Wk this many times (pixels repeated)')
      .argParser(positiveInteger)
      .default(3),
  ),
  ...experimentFlags('runs/sda'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae sda`. */
export type SdaFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae sda`: greedy pretraining then early-stopped fine-tuning of a stacked denoising
 * autoencoder; writes first-layer filters and the product filters W1...Wk (enlarged --enlarge
 * times) before and after fine-tuning, the hidden activations of 100 test digits, the pretraining
 * costs, the error curves and the test error.
 */
export async function sdaCommand(flags: SdaFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  requireBatchFits(experiment, flags, flags.batchSize);
  const sda = new StackedDenoisingAutoencoder({ hiddenSizes: flags.hidden, corruptionLevels: flags.corruptionLevels, seed: flags.seed });
  try {
    log(`SdA 784-${flags.hidden.join('-')}-10, corruption ${flags.corruptionLevels.join('/')}, ${mnist.train.count} training images`);
    const layers = flags.hidden.length;
    // Pretraining each layer, then fine-tuning (which early stopping may end sooner: the run's ETA is its longest).
    const plan: ProgressPlan = {
      unit: 'epoch',
      batchesPerEpoch: batchCount(mnist.train.count, flags.batchSize),
      batchSize: flags.batchSize,
      epochsOf: ({ stage }) => (stage === 'pretrain' ? flags.pretrainEpochs : flags.finetuneEpochs),
      epochsAfter: ({ stage, layer = 0, epoch }) =>
        stage === 'pretrain'
          ? (layers - layer - 1) * flags.pretrainEpochs + (flags.pretrainEpochs - epoch - 1) + flags.finetuneEpochs
          : Math.max(0, flags.finetuneEpochs - epoch - 1),
    };
    const controls = await trainingControls(experiment, flags, output, plan);
    // One checkpoint file serves both stages; a fine-tuning checkpoint skips pretraining on resume.
    const resumeStage = controls.resume?.state.loop;
    const common = { ...controls.loopOptions, batchSize: flags.batchSize };
    let pretraining: TrainingResult | undefined;
    let pretrainedFilters: Uint8Array | undefined;
    let pretrainedProduct: Uint8Array | undefined;
    let finetuning: TrainingResult;
    try {
      if (resumeStage !== 'classifier') {
        pretraining = await pretrainStack(sda, mnist.train, {
          ...common,
          epochs: flags.pretrainEpochs,
          learningRate: flags.pretrainLearningRate,
          resume: controls.resume,
        });
        controls.stopIfInterrupted();
        pretrainedFilters = filtersPng(filterRows(sda));
        pretrainedProduct = productFiltersPng(sda, flags.enlarge);
      }
      finetuning = await fitClassifier(
        sda,
        { train: mnist.train, validation: mnist.validation, test: mnist.test },
        {
          ...common,
          epochs: flags.finetuneEpochs,
          optimizer: { name: 'momentum', momentum: flags.momentum },
          learningRate: flags.finetuneLearningRate,
          resume: resumeStage === 'classifier' ? controls.resume : undefined,
        },
      );
      controls.stopIfInterrupted();
    } finally {
      controls.release();
    }
    const finetunedFilters = filtersPng(filterRows(sda));
    const productFilters = productFiltersPng(sda, flags.enlarge);
    const activations = activationsFigure(sda, mnist.test);
    const test = await evaluate(sda, mnist.test);
    log(`Test error ${(100 * test.errorRate).toFixed(2)} %`, { type: 'result', testError: test.errorRate });
    const pretrainHistory = pretraining?.history ?? [];
    const pretrainChart =
      pretrainHistory.length === 0
        ? undefined
        : lineChart(
            flags.hidden
              .map((_, layer) => ({
                name: `layer ${layer}`,
                points: pretrainHistory.filter((entry) => entry.layer === layer).map((entry) => [entry.epoch, entry.cost] as const),
              }))
              .filter((series) => series.points.length > 0),
            { title: 'Pretraining cost per epoch', xLabel: 'epoch', yLabel: 'reconstruction cost' },
          );
    const errorSeries = fineTuningSeries(finetuning.history);
    const files: Record<string, string | Uint8Array> = {
      'filters-finetuned.png': finetunedFilters,
      'filters-product.png': productFilters,
      'activations.png': activations.png,
      'history.json': `${JSON.stringify([...pretrainHistory, ...finetuning.history], null, 2)}\n`,
    };
    const figures: { title: string; png?: Uint8Array; svg?: string }[] = [];
    const product = `Product filters W1...W${flags.hidden.length} (x${flags.enlarge})`;
    if (pretrainedFilters !== undefined && pretrainedProduct !== undefined) {
      files['filters-pretrained.png'] = pretrainedFilters;
      files['filters-product-pretrained.png'] = pretrainedProduct;
      figures.push(
        { title: 'First-layer filters after pretraining', png: pretrainedFilters },
        { title: `${product} after pretraining`, png: pretrainedProduct },
      );
    }
    figures.push(
      { title: 'First-layer filters after fine-tuning', png: finetunedFilters },
      { title: `${product} after fine-tuning`, png: productFilters },
      activations,
    );
    if (pretrainChart !== undefined) {
      files['pretraining.svg'] = pretrainChart;
      figures.push({ title: 'Pretraining', svg: pretrainChart });
    }
    if (errorSeries.length > 0) {
      const errorChart = lineChart(errorSeries, {
        title: 'Fine-tuning cost and error',
        xLabel: 'epoch',
        yLabel: 'training cost',
        y2Label: 'error (%)',
      });
      files['errors.svg'] = errorChart;
      figures.push({ title: 'Fine-tuning', svg: errorChart });
    }
    await saveModel(sda, `${experiment.directory}/model`);
    await writeReport(
      experiment,
      {
        title: `Stacked denoising autoencoder 784-${flags.hidden.join('-')}-10`,
        summary: {
          'test error': `${(100 * test.errorRate).toFixed(2)} %`,
          'best validation error':
            finetuning.bestValidationError === undefined ? 'no validation set' : `${(100 * finetuning.bestValidationError).toFixed(2)} %`,
          'fine-tuning epochs': finetuning.history.length,
          'stopped because': finetuning.stopReason,
          backend: experiment.backend.backend,
          'training time': `${(trainingSeconds([...pretrainHistory, ...finetuning.history]) / 60).toFixed(1)} min`,
        },
        figures,
        config: { ...sda.getConfig(), ...flags, out: undefined },
      },
      files,
    );
  } finally {
    sda.dispose();
  }
}

/** Adds `sdae sda` to the program; one corruption level per hidden layer is a usage rule. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'sda',
    'pretrain a stacked denoising autoencoder layer by layer, fine-tune it with early stopping; writes filters and product filters before/after fine-tuning, activations, error curves, report.html',
    FLAGS,
    async (flags, command) => {
      if (flags.corruptionLevels.length !== flags.hidden.length) {
        command.error(
          `error: --corruption-levels needs one level per hidden layer: ${flags.hidden.length} for --hidden ${flags.hidden.join(',')}; ` +
            `received ${flags.corruptionLevels.length} (${flags.corruptionLevels.join(',')}).`,
          { exitCode: EXIT.usage, code: 'sdae.usage' },
        );
      }
      await sdaCommand(flags, output);
    },
  );
}
