import type { Command } from 'commander';
import { DenoisingAutoencoder, filterRows, saveModel } from '@sdae/layers';
import { trainAutoencoder } from '@sdae/train';
import { lineChart, reconstructionGrid } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { requireBatchFits, startExperiment } from '../run/experiment';
import { filtersPng, writeReport } from '../run/report-files';
import { trainingControls } from '../run/controls';
import {
  activationFlag,
  addCommand,
  checkpointFlags,
  daTrainingFlags,
  engineFlags,
  experimentFlags,
  gridFlag,
  optimizerFlags,
  optimizerOptions,
  refuseOptimizerFlags,
  type FlagValues,
} from '../flags';
import { trainingSeconds } from '../run/run-report';
import type { Output } from '../output';
import { activationsFigure, digitPictures, greyPng, requireGridFits, testDigits } from '../pictures';
import { epochPlan } from '../run/progress';

const FLAGS = {
  activation: activationFlag('sigmoid'),
  ...daTrainingFlags({ epochs: 15 }),
  grid: gridFlag,
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  ...experimentFlags('runs/da'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae da`. */
export type DaFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae da`: trains a denoising autoencoder on MNIST as the Theano tutorial does and writes its
 * filters, reconstructions of --grid test digits, their noise masks, the hidden activations of
 * 100 test digits, cost curve, model and an HTML report into --out.
 */
export async function daCommand(flags: DaFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  requireBatchFits(experiment, flags, flags.batchSize);
  requireGridFits(flags.grid, mnist.test, flags.limit);
  const da = new DenoisingAutoencoder({
    hiddenSize: flags.hidden,
    corruptionLevel: flags.corruption,
    activation: flags.activation,
    seed: flags.seed,
  });
  try {
    log(
      `dA 784-${flags.hidden} (${flags.activation}), corruption ${flags.corruption}, lr ${flags.learningRate}, batch ${flags.batchSize}, ${mnist.train.count} images, ${flags.epochs} epochs`,
    );
    const controls = await trainingControls(
      experiment,
      flags,
      output,
      epochPlan(batchCount(mnist.train.count, flags.batchSize), flags.batchSize, flags.epochs),
    );
    const result = await trainAutoencoder(da, mnist.train, {
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      learningRate: flags.learningRate,
      ...optimizerOptions(flags),
      ...controls.loopOptions,
    }).finally(controls.release);
    controls.stopIfInterrupted();
    const filterImage = filtersPng(filterRows(da));
    const [rows, columns] = flags.grid;
    const x = testDigits(mnist.test, rows * columns);
    const pictures = digitPictures(da, x);
    x.dispose();
    const reconstructions = greyPng(reconstructionGrid(pictures, { grid: flags.grid }));
    const maskImage = greyPng(reconstructionGrid({ originals: pictures.masks }, { grid: flags.grid }));
    const activations = activationsFigure(da, mnist.test);
    const chart = lineChart(
      [{ name: `corruption ${flags.corruption}`, points: result.history.map((entry) => [entry.epoch, entry.cost]) }],
      {
        title: 'Mean training cost per epoch',
        xLabel: 'epoch',
        yLabel: 'cost (cross-entropy)',
      },
    );
    const finalCost = result.history.at(-1)?.cost;
    await saveModel(da, `${experiment.directory}/model`);
    await writeReport(
      experiment,
      {
        title: `Denoising autoencoder 784-${flags.hidden}, corruption ${flags.corruption}`,
        summary: {
          'final cost': finalCost === undefined ? 'no epoch run' : finalCost.toFixed(3),
          epochs: result.history.length,
          'training images': mnist.train.count,
          backend: experiment.backend.backend,
          'training time': `${trainingSeconds(result.history).toFixed(1)} s`,
        },
        figures: [
          { title: 'Filters (first 100 rows of W^T)', png: filterImage },
          { title: 'Originals, corrupted inputs, reconstructions', png: reconstructions },
          { title: `Noise masks (corruption ${flags.corruption})`, png: maskImage },
          activations,
          { title: 'Cost', svg: chart },
        ],
        config: {
          ...da.getConfig(),
          learningRate: flags.learningRate,
          batchSize: flags.batchSize,
          split: flags.split,
          limit: flags.limit ?? null,
        },
      },
      {
        'filters.png': filterImage,
        'reconstructions.png': reconstructions,
        'mask.png': maskImage,
        'activations.png': activations.png,
        'cost.svg': chart,
        'history.json': `${JSON.stringify(result.history, null, 2)}\n`,
      },
    );
  } finally {
    da.dispose();
  }
}

/** Adds `sdae da` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'da',
    "train a denoising autoencoder on MNIST (the Theano tutorial's dA); writes filters, reconstructions, noise masks, activations, cost curve and report.html",
    FLAGS,
    (flags) => daCommand(flags, output),
    (flags, command) => refuseOptimizerFlags(command, flags.optimizer),
  );
}
