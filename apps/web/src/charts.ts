// Chart data for long runs: thousands of minibatch costs become at most a few hundred points.
import { lineChart, type LineChartOptions, type LineSeries } from '@sdae/vis';

/**
 * The values averaged in consecutive buckets so that at most `maxPoints` remain, as
 * `[iteration at the bucket's middle, mean]` points.
 *
 * @example bucketMeans([4, 2, 6, 8], 2) // [[0.5, 3], [2.5, 7]]
 */
export function bucketMeans(values: readonly number[], maxPoints = 300): Array<[number, number]> {
  const size = Math.max(1, Math.ceil(values.length / maxPoints));
  const points: Array<[number, number]> = [];
  for (let start = 0; start < values.length; start += size) {
    const bucket = values.slice(start, start + size);
    points.push([start + (bucket.length - 1) / 2, bucket.reduce((sum, value) => sum + value, 0) / bucket.length]);
  }
  return points;
}

/** The chart size of every panel. */
const SIZE = { width: 520, height: 300 };

/** A line chart of the series that have points, or an empty string while none has. */
export function chartOf(series: readonly LineSeries[], options: Omit<LineChartOptions, 'width' | 'height'>): string {
  const lines = series.filter((entry) => entry.points.length > 0);
  return lines.length === 0 ? '' : lineChart(lines, { ...options, ...SIZE });
}

/** The moving-average weight of a minibatch chart: minibatch values are noisy, so the chart draws them faint under their average. */
const SMOOTHING = 0.8;

/** A minibatch series of {@link costChart}: its values, and `axis: 'right'` for an accuracy beside a loss. */
export interface MinibatchSeries {
  name: string;
  values: readonly number[];
  /** @default 'left' */
  axis?: 'left' | 'right';
}

/**
 * A minibatch chart: the values averaged in buckets, one series per name, drawn faint under their
 * moving average; series with `axis: 'right'` (accuracies, in [0, 1]) on a second axis labelled `y2Label`.
 */
export function costChart(series: readonly MinibatchSeries[], title: string, yLabel: string, y2Label?: string): string {
  return chartOf(
    series.map((entry) => ({
      name: entry.name,
      points: bucketMeans(entry.values),
      ...(entry.axis === undefined ? {} : { axis: entry.axis }),
    })),
    { title, xLabel: 'minibatch', yLabel, smoothing: SMOOTHING, ...(y2Label === undefined ? {} : { y2Label }) },
  );
}
