import type { ImageSet } from '@sdae/datasets';
import { confusionMatrix, type EpochLog, type Evaluation } from '@sdae/train';
import { confusionMatrixChart, lineChart, type LineSeries } from '@sdae/vis';
import type { Experiment } from './experiment';
import { markEndPhase } from './phases';

/** What every classifier command reports of its trained model: the test figures, the time and the confusion matrix. */
export interface ClassifierResult {
  /** Report summary rows: test error, test accuracy, training time. */
  summary: Record<string, string>;
  /** `confusion.svg`, the test set's confusion matrix. */
  confusion: string;
}

/**
 * Prints the test error, accuracy and training time of a classifier as one line (with --json, a
 * `result` event holding `testError`, `testAccuracy` and `seconds`) and returns what its report
 * shows: the same figures and the test set's confusion matrix.
 *
 * @example const result = classifierResult(experiment, await evaluate(model, mnist.test), mnist.test, training.seconds);
 */
export function classifierResult(experiment: Experiment, test: Evaluation, set: ImageSet, seconds: number): ClassifierResult {
  markEndPhase('test evaluated');
  const error = `${(100 * test.errorRate).toFixed(2)} %`;
  const accuracy = `${(100 * test.accuracy).toFixed(2)} %`;
  const time = seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
  experiment.log(`Test error ${error} (accuracy ${accuracy}), training time ${time}`, {
    type: 'result',
    testError: test.errorRate,
    testAccuracy: test.accuracy,
    seconds,
  });
  return {
    summary: { 'test error': error, 'test accuracy': accuracy, 'training time': time },
    confusion: confusionMatrixChart(confusionMatrix(test.predictions, set.labels, set.numClasses), { title: 'Test confusion matrix' }),
  };
}

/** The charts of {@link splitCurves}. */
export interface SplitCurves {
  /** `loss.svg`: the training cost and the loss on every evaluated split. */
  loss: string;
  /** `accuracy.svg`: the accuracy on every evaluated split (and on each minibatch of sampled training). */
  accuracy: string;
}

/**
 * The loss and accuracy curves of a classifier run on every split its loop measured (the logs'
 * `evaluations`), with the training cost (and, for sampled training, each minibatch's accuracy)
 * beside them. x counts the iterations (sampled) or epochs done.
 *
 * @param lossName what the loss is, for the y axis: `'cross-entropy'`, `'squared error'`.
 */
export function splitCurves(history: readonly EpochLog[], lossName: string): SplitCurves {
  const sampled = history[0]?.stage === 'sampled';
  const xLabel = sampled ? 'iteration' : 'epoch';
  const x = (log: EpochLog) => log.epoch + 1;
  const measured = history.filter((log) => log.evaluations !== undefined);
  const splits = [...new Set(measured.flatMap((log) => Object.keys(log.evaluations!)))];
  const series = (read: (log: EpochLog, split: string) => number | undefined): LineSeries[] =>
    splits.map((split) => ({ name: split, points: measured.map((log) => [x(log), read(log, split) ?? Number.NaN] as const) }));
  const loss: LineSeries[] = [
    { name: sampled ? 'minibatch' : 'training cost', points: history.map((log) => [x(log), log.cost] as const) },
    ...series((log, split) => log.evaluations![split]?.loss),
  ];
  const accuracy = series((log, split) => 100 * (log.evaluations![split]?.accuracy ?? Number.NaN));
  if (sampled) accuracy.unshift({ name: 'minibatch', points: history.map((log) => [x(log), 100 * (log.accuracy ?? Number.NaN)] as const) });
  return {
    loss: lineChart(loss, { title: 'Loss', xLabel, yLabel: lossName }),
    accuracy: lineChart(accuracy, { title: 'Accuracy', xLabel, yLabel: 'accuracy (%)' }),
  };
}
