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

/** A minibatch-cost chart: the costs averaged in buckets, one series per name. */
export function costChart(series: ReadonlyArray<{ name: string; values: readonly number[] }>, title: string, yLabel: string): string {
  return chartOf(
    series.map((entry) => ({ name: entry.name, points: bucketMeans(entry.values) })),
    { title, xLabel: 'minibatch', yLabel },
  );
}
