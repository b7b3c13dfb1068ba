import { Option, type Command } from 'commander';
import { LogisticRegression, Mlp, saveModel } from '@sdae/layers';
import { confusionMatrix, evaluate, fitClassifier } from '@sdae/train';
import { confusionMatrixChart, lineChart } from '@sdae/vis';
import { batchCount } from '@sdae/datasets';
import { requireBatchFits, startExperiment, trainingControls, writeReport } from '../experiment';
import { fineTuningSeries, trainingSeconds } from '../run-report';
import {
  activationFlag,
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  epochsFlag,
  engineFlags,
  experimentFlags,
  flag,
  hiddenSizesFlag,
  learningRateFlag,
  refuseInapplicable,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';
import { epochPlan } from '../progress';

const FLAGS = {
  logistic: flag<boolean>(() => new Option('--logistic', 'logistic regression (no hidden layer)').default(false)),
  hidden: hiddenSizesFlag([500]),
  activation: activationFlag('tanh'),
  epochs: epochsFlag({ description: 'most epochs (early stopping may end sooner)', default: 20 }),
  learningRate: learningRateFlag({ description: 'SGD learning rate', default: 0.1 }),
  batchSize: batchSizeFlag({ description: 'minibatch size', default: 20 }),
  ...experimentFlags('runs/mlp'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae mlp`. */
export type MlpFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae mlp`: the tutorials' baselines, logistic regression (--logistic) or an MLP, trained with
 * early stopping; writes the error curves, the confusion matrix and the test error.
 */
export async function mlpCommand(flags: MlpFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  requireBatchFits(experiment, flags, flags.batchSize);
  const model = flags.logistic
    ? new LogisticRegression()
    : new Mlp({ hiddenSizes: flags.hidden, activation: flags.activation, seed: flags.seed });
  const name = flags.logistic ? 'logistic regression' : `MLP 784-${flags.hidden.join('-')}-10 (${flags.activation})`;
  try {
    log(`${name}, SGD lr ${flags.learningRate}, batch ${flags.batchSize}, up to ${flags.epochs} epochs with early stopping`);
    const controls = await trainingControls(
      experiment,
      flags,
      output,
      epochPlan(batchCount(mnist.train.count, flags.batchSize), flags.batchSize, flags.epochs),
    );
    const result = await fitClassifier(
      model,
      { train: mnist.train, validation: mnist.validation, test: mnist.test },
      {
        epochs: flags.epochs,
        batchSize: flags.batchSize,
        learningRate: flags.learningRate,
        ...controls.loopOptions,
      },
    ).finally(controls.release);
    controls.stopIfInterrupted();
    const test = await evaluate(model, mnist.test);
    log(`Test error ${(100 * test.errorRate).toFixed(2)} %`, { type: 'result', testError: test.errorRate });
    const series = fineTuningSeries(result.history);
    const files: Record<string, string | Uint8Array> = {
      'confusion.svg': confusionMatrixChart(confusionMatrix(test.predictions, mnist.test.labels, 10), { title: 'Test confusion matrix' }),
      'history.json': `${JSON.stringify(result.history, null, 2)}\n`,
    };
    const figures = [{ title: 'Confusion matrix', svg: files['confusion.svg'] as string }];
    if (series.length > 0) {
      files['errors.svg'] = lineChart(series, {
        title: 'Cost and error per epoch',
        xLabel: 'epoch',
        yLabel: 'training cost',
        y2Label: 'error (%)',
      });
      figures.unshift({ title: 'Cost and errors', svg: files['errors.svg'] });
    }
    await saveModel(model, `${experiment.directory}/model`);
    await writeReport(
      experiment,
      {
        title: name,
        summary: {
          'test error': `${(100 * test.errorRate).toFixed(2)} %`,
          epochs: result.history.length,
          'stopped because': result.stopReason,
          backend: experiment.backend.backend,
          'training time': `${trainingSeconds(result.history).toFixed(1)} s`,
        },
        figures,
        config: { ...model.getConfig(), learningRate: flags.learningRate, batchSize: flags.batchSize },
      },
      files,
    );
  } finally {
    model.dispose();
  }
}

/** Adds `sdae mlp` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'mlp',
    'the baselines: logistic regression (--logistic) or an MLP, with early stopping; writes error curves, confusion matrix, report.html',
    FLAGS,
    (flags) => mlpCommand(flags, output),
    (flags, command) => {
      for (const flagName of ['--hidden', '--activation']) {
        refuseInapplicable(
          command,
          flagName,
          !flags.logistic,
          'does not apply to --logistic, which has no hidden layer; drop one of them.',
        );
      }
    },
  );
}
