import * as tf from '@tensorflow/tfjs-core';
import { StackedDenoisingAutoencoder, saveModel } from '@sdae/layers';
import { evaluate, fitClassifier, pretrainStack, type EpochLog } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import type { Output } from '../cli';
import { filtersPng, startExperiment, writeReport, type CommonFlags } from '../experiment';

/** The flags of `sdae sda`. */
export interface SdaFlags extends CommonFlags {
  hidden: number[];
  corruptionLevels: number[];
  pretrainEpochs: number;
  pretrainLearningRate: number;
  finetuneEpochs: number;
  finetuneLearningRate: number;
  momentum: number;
  batchSize: number;
}

function transposedRows(weights: tf.Tensor2D): Float32Array {
  return tf.tidy(() => tf.transpose(weights).dataSync() as Float32Array);
}

/**
 * `sdae sda`: greedy pretraining then early-stopped fine-tuning of a stacked denoising
 * autoencoder; writes first-layer filters before and after fine-tuning, the product filters
 * W1...Wk, the pretraining costs, the error curves and the test error.
 */
export async function sdaCommand(flags: SdaFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  const sda = new StackedDenoisingAutoencoder({ hiddenSizes: flags.hidden, corruptionLevels: flags.corruptionLevels, seed: flags.seed });
  try {
    log(`SdA 784-${flags.hidden.join('-')}-10, corruption ${flags.corruptionLevels.join('/')}, ${mnist.train.count} training images`);
    const onEpochEnd = (epochLog: EpochLog) => experiment.logEpoch(epochLog);
    const pretraining = await pretrainStack(sda, mnist.train, { epochs: flags.pretrainEpochs, batchSize: flags.batchSize, learningRate: flags.pretrainLearningRate, onEpochEnd });
    const pretrainedFilters = filtersPng(transposedRows(sda.getVariable('layer0.W') as tf.Tensor2D));
    const finetuning = await fitClassifier(sda, { train: mnist.train, validation: mnist.validation, test: mnist.test }, {
      epochs: flags.finetuneEpochs,
      batchSize: flags.batchSize,
      optimizer: { name: 'momentum', momentum: flags.momentum },
      learningRate: flags.finetuneLearningRate,
      onEpochEnd,
    });
    const finetunedFilters = filtersPng(transposedRows(sda.getVariable('layer0.W') as tf.Tensor2D));
    const product = sda.weightProduct();
    const productFilters = filtersPng(transposedRows(product));
    product.dispose();
    const test = await evaluate(sda, mnist.test);
    log(`Test error ${(100 * test.errorRate).toFixed(2)} %`, { testError: test.errorRate });
    const pretrainChart = lineChart(
      flags.hidden.map((_, layer) => ({
        name: `layer ${layer}`,
        points: pretraining.history.filter((entry) => entry.layer === layer).map((entry) => [entry.epoch, entry.cost] as const),
      })),
      { title: 'Pretraining cost per epoch', xLabel: 'epoch', yLabel: 'reconstruction cost' },
    );
    const errorSeries = [
      { name: 'validation', points: finetuning.history.map((entry) => [entry.epoch, 100 * (entry.validationError ?? Number.NaN)] as const) },
      { name: 'test (at new bests)', points: finetuning.history.map((entry) => [entry.epoch, 100 * (entry.testError ?? Number.NaN)] as const) },
    ].filter((series) => series.points.some(([, y]) => Number.isFinite(y)));
    const files: Record<string, string | Uint8Array> = {
      'filters-pretrained.png': pretrainedFilters,
      'filters-finetuned.png': finetunedFilters,
      'filters-product.png': productFilters,
      'pretraining.svg': pretrainChart,
      'history.json': `${JSON.stringify([...pretraining.history, ...finetuning.history], null, 2)}\n`,
    };
    const figures = [
      { title: 'First-layer filters after pretraining', png: pretrainedFilters },
      { title: 'First-layer filters after fine-tuning', png: finetunedFilters },
      { title: `Product filters W1...W${flags.hidden.length}`, png: productFilters },
      { title: 'Pretraining', svg: pretrainChart },
    ];
    if (errorSeries.length > 0) {
      const errorChart = lineChart(errorSeries, { title: 'Fine-tuning error', xLabel: 'epoch', yLabel: 'error (%)' });
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
          'best validation error': finetuning.bestValidationError === undefined ? 'no validation set' : `${(100 * finetuning.bestValidationError).toFixed(2)} %`,
          'fine-tuning epochs': finetuning.history.length,
          'stopped because': finetuning.stopReason,
          backend: experiment.backend.backend,
          'training time': `${((pretraining.seconds + finetuning.seconds) / 60).toFixed(1)} min`,
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
