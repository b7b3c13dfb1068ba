import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { DenoisingAutoencoder, filterRows, saveModel } from '@sdae/layers';
import { trainAutoencoder } from '@sdae/train';
import { encodePng, greyToRgba, lineChart, reconstructionGrid } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { filtersPng, requireBatchFits, startExperiment, trainingControls, writeReport } from '../experiment';
import { trainingSeconds } from '../run-report';
import { activationFlag, addCommand, checkpointFlags, daTrainingFlags, engineFlags, experimentFlags, type FlagValues } from '../flags';
import type { Output } from '../output';
import { epochPlan } from '../progress';

const FLAGS = {
  activation: activationFlag('sigmoid'),
  ...daTrainingFlags({ epochs: 15 }),
  ...experimentFlags('runs/da'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae da`. */
export type DaFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae da`: trains a denoising autoencoder on MNIST as the Theano tutorial does and writes its
 * filters, reconstructions, cost curve, model and an HTML report into --out.
 */
export async function daCommand(flags: DaFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  requireBatchFits(experiment, flags, flags.batchSize);
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
      ...controls.loopOptions,
    }).finally(controls.release);
    controls.stopIfInterrupted();
    const filterImage = filtersPng(filterRows(da));
    const examples = Math.min(10, mnist.test.count);
    const x = tf.tensor2d(mnist.test.images.subarray(0, examples * 784), [examples, 784]);
    const corrupted = da.corrupt(x);
    const reconstructed = da.reconstruct(corrupted);
    const reconstructions = encodePng(
      greyToRgba(
        reconstructionGrid(
          { originals: x.dataSync(), corrupted: corrupted.dataSync(), reconstructions: reconstructed.dataSync() },
          { count: examples },
        ),
      ),
    );
    // The noise itself: the corruption of an all-ones batch is the mask (black = pixel dropped).
    const ones = tf.onesLike(x);
    const mask = da.corrupt(ones);
    const maskImage = encodePng(greyToRgba(reconstructionGrid({ originals: mask.dataSync() }, { count: examples })));
    tf.dispose([x, corrupted, reconstructed, ones, mask]);
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
    "train a denoising autoencoder on MNIST (the Theano tutorial's dA); writes filters, reconstructions, cost curve and report.html",
    FLAGS,
    (flags) => daCommand(flags, output),
  );
}
