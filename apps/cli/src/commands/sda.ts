import * as tf from '@tensorflow/tfjs-core';
import { StackedDenoisingAutoencoder, saveModel } from '@sdae/layers';
import { decodeCheckpoint, evaluate, fitClassifier, pretrainStack, type TrainingResult } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import type { Output } from '../cli';
import { batchCount } from '@sdae/datasets';
import { filtersPng, startExperiment, trainingControls, writeReport, type CommonFlags } from '../experiment';

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
    const controls = await trainingControls(experiment, flags, output, batchCount(mnist.train.count, flags.batchSize));
    // One checkpoint file serves both stages; a fine-tuning checkpoint skips pretraining on resume.
    const resumeStage = controls.resume === undefined ? undefined : decodeCheckpoint(controls.resume, flags.resume).state.loop;
    const common = { ...controls.loopOptions, batchSize: flags.batchSize };
    let pretraining: TrainingResult | undefined;
    let pretrainedFilters: Uint8Array | undefined;
    let finetuning: TrainingResult;
    try {
      if (resumeStage !== 'classifier') {
        pretraining = await pretrainStack(sda, mnist.train, { ...common, epochs: flags.pretrainEpochs, learningRate: flags.pretrainLearningRate, resume: controls.resume });
        if (controls.interrupted()) return;
        pretrainedFilters = filtersPng(transposedRows(sda.getVariable('layer0.W') as tf.Tensor2D));
      }
      finetuning = await fitClassifier(sda, { train: mnist.train, validation: mnist.validation, test: mnist.test }, {
        ...common,
        epochs: flags.finetuneEpochs,
        optimizer: { name: 'momentum', momentum: flags.momentum },
        learningRate: flags.finetuneLearningRate,
        resume: resumeStage === 'classifier' ? controls.resume : undefined,
      });
      if (controls.interrupted()) return;
    } finally {
      controls.release();
    }
    const finetunedFilters = filtersPng(transposedRows(sda.getVariable('layer0.W') as tf.Tensor2D));
    const product = sda.weightProduct();
    const productFilters = filtersPng(transposedRows(product));
    product.dispose();
    const test = await evaluate(sda, mnist.test);
    log(`Test error ${(100 * test.errorRate).toFixed(2)} %`, { testError: test.errorRate });
    const pretrainHistory = pretraining?.history ?? [];
    const pretrainChart =
      pretrainHistory.length === 0
        ? undefined
        : lineChart(
            flags.hidden
              .map((_, layer) => ({ name: `layer ${layer}`, points: pretrainHistory.filter((entry) => entry.layer === layer).map((entry) => [entry.epoch, entry.cost] as const) }))
              .filter((series) => series.points.length > 0),
            { title: 'Pretraining cost per epoch', xLabel: 'epoch', yLabel: 'reconstruction cost' },
          );
    const errorSeries = [
      { name: 'validation', points: finetuning.history.map((entry) => [entry.epoch, 100 * (entry.validationError ?? Number.NaN)] as const) },
      { name: 'test (at new bests)', points: finetuning.history.map((entry) => [entry.epoch, 100 * (entry.testError ?? Number.NaN)] as const) },
    ].filter((series) => series.points.some(([, y]) => Number.isFinite(y)));
    const files: Record<string, string | Uint8Array> = {
      'filters-finetuned.png': finetunedFilters,
      'filters-product.png': productFilters,
      'history.json': `${JSON.stringify([...pretrainHistory, ...finetuning.history], null, 2)}\n`,
    };
    const figures: { title: string; png?: Uint8Array; svg?: string }[] = [];
    if (pretrainedFilters !== undefined) {
      files['filters-pretrained.png'] = pretrainedFilters;
      figures.push({ title: 'First-layer filters after pretraining', png: pretrainedFilters });
    }
    figures.push({ title: 'First-layer filters after fine-tuning', png: finetunedFilters }, { title: `Product filters W1...W${flags.hidden.length}`, png: productFilters });
    if (pretrainChart !== undefined) {
      files['pretraining.svg'] = pretrainChart;
      figures.push({ title: 'Pretraining', svg: pretrainChart });
    }
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
          'training time': `${(((pretraining?.seconds ?? 0) + finetuning.seconds) / 60).toFixed(1)} min`,
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
