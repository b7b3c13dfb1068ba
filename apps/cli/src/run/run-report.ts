// What the commands' reports show of a whole run, beside their own figures: its total training
// time (resumed runs included), the curves of supervised epochs, the smoothing of minibatch curves.
import type { EpochLog } from '@sdae/train';
import type { LineSeries } from '@sdae/vis';

/**
 * The training time of a run, the runs it resumed from included: the sum of its epochs' wall
 * times (a checkpoint carries the history, and a resumed epoch's time counts its minibatches before
 * the checkpoint), in seconds.
 */
export function trainingSeconds(history: readonly EpochLog[]): number {
  return history.reduce((sum, log) => sum + log.seconds, 0);
}

/**
 * The curves of a supervised run's epochs: the training cost on the left axis, and the validation
 * error and the test error at each new best (in %) on the right, those that were measured.
 */
export function fineTuningSeries(history: readonly EpochLog[]): LineSeries[] {
  const percent = (value: number | undefined) => 100 * (value ?? Number.NaN);
  return [
    { name: 'training cost', points: history.map((entry) => [entry.epoch, entry.cost] as const) },
    {
      name: 'validation error',
      points: history.map((entry) => [entry.epoch, percent(entry.validationError)] as const),
      axis: 'right' as const,
    },
    {
      name: 'test error at new bests',
      points: history.map((entry) => [entry.epoch, percent(entry.testError)] as const),
      axis: 'right' as const,
    },
  ].filter((series) => series.points.some(([, y]) => Number.isFinite(y)));
}

/**
 * The smoothing weight of a report's chart of `points` per-minibatch values: none up to 30 (each
 * point is marked), else a moving average over about a tenth of the run (`lineChart`'s smoothing).
 */
export function reportSmoothing(points: number): number {
  return points <= 30 ? 0 : Math.min(0.995, 1 - 10 / points);
}
