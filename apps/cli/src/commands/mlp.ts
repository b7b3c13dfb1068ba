import { Option, type Command } from 'commander';
import { LogisticRegression, Mlp, saveModel } from '@sdae/layers';
import { DEFAULT_LEARNING_RATE, evaluate, fitClassifier, trainSampled, type TrainingResult } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { batchCount, type ImageSet } from '@sdae/datasets';
import { classifierResult, splitCurves } from '../run/classifier-result';
import { requireBatchFits, startExperiment } from '../run/experiment';
import { SAMPLED_CHECKPOINT_EVERY, trainingControls } from '../run/controls';
import { writeReport } from '../run/report-files';
import { fineTuningSeries, trainingSeconds } from '../run/run-report';
import {
  activationFlag,
  addCommand,
  batchSizeFlag,
  checkpointFlags,
  dropoutFlag,
  epochsFlag,
  engineFlags,
  experimentFlags,
  flag,
  hiddenSizesFlag,
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

const FLAGS = {
  logistic: flag<boolean>(() => new Option('--logistic', 'logistic regression (no hidden layer)').default(false)),
  hidden: hiddenSizesFlag([500]),
  activation: activationFlag('tanh'),
  epochs: epochsFlag({ description: 'most epochs (early stopping may end sooner)', default: 20 }),
  iterations: iterationsFlag("train on n minibatches drawn at random instead of epochs (the numpy notebook's loop; no early stopping)"),
  evaluateEvery: flag<number | undefined>(() =>
    new Option(
      '--evaluate-every <n>',
      'measure the loss and accuracy on every split after every n epochs (default 1) or iterations (default: a 20th of --iterations)',
    ).argParser(positiveInteger),
  ),
  learningRate: learningRateFlag({ description: 'learning rate', default: DEFAULT_LEARNING_RATE }),
  batchSize: batchSizeFlag({ description: 'minibatch size', default: 20 }),
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  dropout: dropoutFlag(),
  ...experimentFlags('runs/mlp'),
  ...engineFlags,
  ...checkpointFlags,
};

/** The flags of `sdae mlp`. */
export type MlpFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae mlp`: the tutorials' baselines, logistic regression (--logistic) or an MLP, trained with
 * early stopping (or, with --iterations, on random minibatches as the numpy notebook); writes the
 * loss and accuracy curves on every split, the error curves, the confusion matrix, the test error
 * and the training time.
 */
export async function mlpCommand(flags: MlpFlags, output: Output): Promise<void> {
  const experiment = await startExperiment(flags, output);
  const { mnist, log } = experiment;
  const model = flags.logistic
    ? new LogisticRegression()
    : new Mlp({ hiddenSizes: flags.hidden, activation: flags.activation, dropout: flags.dropout, seed: flags.seed });
  const name = flags.logistic ? 'logistic regression' : `MLP 784-${flags.hidden.join('-')}-10 (${flags.activation})`;
  try {
    const sampled = flags.iterations !== undefined;
    log(
      sampled
        ? `${name}, ${flags.optimizer} lr ${flags.learningRate}, ${flags.iterations} random minibatches of ${flags.batchSize}`
        : `${name}, ${flags.optimizer} lr ${flags.learningRate}, batch ${flags.batchSize}, up to ${flags.epochs} epochs with early stopping`,
    );
    if (!sampled) requireBatchFits(experiment, flags, flags.batchSize);
    const plan = sampled
      ? iterationPlan(flags.iterations!, flags.batchSize, (epochLog) => epochLog.evaluations !== undefined)
      : epochPlan(batchCount(mnist.train.count, flags.batchSize), flags.batchSize, flags.epochs);
    const controls = await trainingControls(experiment, flags, output, plan);
    const sets: Record<string, ImageSet> = { train: mnist.train };
    if (mnist.validation !== undefined) sets.validation = mnist.validation;
    sets.test = mnist.test;
    const common = { batchSize: flags.batchSize, learningRate: flags.learningRate, ...optimizerOptions(flags), ...controls.loopOptions };
    const result: TrainingResult = await (
      sampled
        ? trainSampled(model, mnist.train, {
            ...common,
            iterations: flags.iterations,
            seed: flags.seed,
            checkpoint: { ...controls.checkpoint, every: SAMPLED_CHECKPOINT_EVERY },
            evaluation: { every: flags.evaluateEvery ?? Math.max(1, Math.round(flags.iterations! / 20)), sets },
          })
        : fitClassifier(
            model,
            { train: mnist.train, validation: mnist.validation, test: mnist.test },
            { ...common, epochs: flags.epochs, evaluation: { every: flags.evaluateEvery ?? 1, sets } },
          )
    ).finally(controls.release);
    controls.stopIfInterrupted();
    const test = classifierResult(
      experiment,
      await evaluate(model, mnist.test, { engine: experiment.engine.engine }),
      mnist.test,
      trainingSeconds(result.history),
    );
    const curves = splitCurves(result.history, 'cross-entropy');
    const series = fineTuningSeries(result.history);
    const files: Record<string, string | Uint8Array> = {
      'loss.svg': curves.loss,
      'accuracy.svg': curves.accuracy,
      'confusion.svg': test.confusion,
      'history.json': `${JSON.stringify(result.history, null, 2)}\n`,
    };
    const figures = [
      { title: 'Loss on every split', svg: curves.loss },
      { title: 'Accuracy on every split', svg: curves.accuracy },
      { title: 'Confusion matrix', svg: test.confusion },
    ];
    // The error curves, when the loop measured any beside the training cost (early-stopped epochs).
    if (series.length > 1) {
      files['errors.svg'] = lineChart(series, {
        title: 'Cost and error per epoch',
        xLabel: 'epoch',
        yLabel: 'training cost',
        y2Label: 'error (%)',
      });
      figures.splice(2, 0, { title: 'Cost and errors', svg: files['errors.svg'] });
    }
    await saveModel(model, `${experiment.directory}/model`);
    await writeReport(
      experiment,
      {
        title: name,
        summary: {
          ...test.summary,
          [sampled ? 'iterations' : 'epochs']: result.history.length,
          'stopped because': result.stopReason,
          backend: experiment.backend.backend,
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
    'the baselines: logistic regression (--logistic) or an MLP, with early stopping or on --iterations random minibatches; writes loss and accuracy curves on every split, confusion matrix, report.html',
    FLAGS,
    (flags) => mlpCommand(flags, output),
    (flags, command) => {
      refuseInapplicable(
        command,
        '--epochs',
        flags.iterations === undefined,
        'and --iterations contradict: --iterations trains on random minibatches, --epochs on whole epochs; keep one of them.',
      );
      refuseOptimizerFlags(command, flags.optimizer);
      for (const flagName of ['--hidden', '--activation', '--dropout']) {
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
