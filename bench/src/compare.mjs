// Runs configurations in turn and compares them: each configuration's best and median over its
// runs, and ours against the fastest PyTorch configuration, best to best and median to median.
// Shared by run.mjs (ms per step) and whole-jobs.mjs (seconds per process).
import os from 'node:os';
import { markdownTable } from './report.mjs';

/** The median of some numbers (NaN for none). */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Ours and the peers' configurations in the order one round runs them, alternating (ours, peer,
 * ours, peer, ...) so that a slow spell of a shared machine falls on both sides.
 */
export function interleave(ours, peers) {
  const order = [];
  for (let index = 0; index < Math.max(ours.length, peers.length); index += 1) {
    if (index < ours.length) order.push(ours[index]);
    if (index < peers.length) order.push(peers[index]);
  }
  return order;
}

/**
 * Runs `rounds` rounds of every configuration (`{ key, label, side: 'ours' | 'peer', run }`, in
 * the given order) and returns each one's results in order, `{ configuration, results }`; every
 * result gets `loadAverage`, the 1-minute load when it ended. `onResult(configuration, result,
 * round)` reports progress.
 */
export function runRounds(configurations, rounds, onResult) {
  const collected = configurations.map((configuration) => ({ configuration, results: [] }));
  for (let round = 0; round < rounds; round += 1)
    for (const entry of collected) {
      const result = entry.configuration.run();
      result.loadAverage = os.loadavg()[0];
      entry.results.push(result);
      onResult?.(entry.configuration, result, round);
    }
  return collected;
}

/**
 * Each configuration's figures: `{ key, label, side, values, best, median, failures }`, values
 * the measure (`measure(result)`, finite for a run that worked) of each run.
 */
export function statistics(collected, measure) {
  return collected.map(({ configuration, results }) => {
    const values = results.map(measure).filter(Number.isFinite);
    return {
      key: configuration.key,
      label: configuration.label,
      side: configuration.side,
      values,
      best: values.length === 0 ? Number.NaN : Math.min(...values),
      median: median(values),
      failures: results.length - values.length,
    };
  });
}

/** The peer configurations with the lowest best and the lowest median: `{ byBest, byMedian }` (undefined without peers). */
export function fastestPeer(stats) {
  const peers = stats.filter((stat) => stat.side === 'peer' && stat.values.length > 0);
  if (peers.length === 0) return { byBest: undefined, byMedian: undefined };
  return {
    byBest: peers.reduce((a, b) => (b.best < a.best ? b : a)),
    byMedian: peers.reduce((a, b) => (b.median < a.median ? b : a)),
  };
}

const figure = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/**
 * Ours against the fastest peer configuration: `{ best, median }` ratios, best to best and
 * median to median (NaN without a peer).
 */
export function ratios(stat, fastest) {
  return {
    best: fastest.byBest === undefined ? Number.NaN : stat.best / fastest.byBest.best,
    median: fastest.byMedian === undefined ? Number.NaN : stat.median / fastest.byMedian.median,
  };
}

/**
 * The comparison table of one workload or job: every configuration's runs, best and median (in
 * `unit`, `digits` decimals) and, for ours, the ratios against the fastest peer configuration;
 * the fastest peer rows are marked. Returns markdown lines.
 */
export function comparisonTable(title, stats, { unit, digits }) {
  const fastest = fastestPeer(stats);
  const rows = stats.map((stat) => {
    const { best, median: middle } = ratios(stat, fastest);
    const marks = [stat === fastest.byBest ? 'fastest best' : '', stat === fastest.byMedian ? 'fastest median' : ''].filter(Boolean);
    return [
      stat.side === 'ours' ? `**${stat.label}**` : stat.label,
      String(stat.values.length) + (stat.failures > 0 ? ` (+${stat.failures} failed)` : ''),
      figure(stat.best, digits),
      figure(stat.median, digits),
      stat.side === 'ours' ? `**${figure(best, 2)}**` : marks.join(', '),
      stat.side === 'ours' ? `**${figure(middle, 2)}**` : '',
      stat.values.map((value) => figure(value, digits)).join(', '),
    ];
  });
  return [
    title,
    '',
    markdownTable(
      [
        'configuration',
        'runs',
        `best ${unit}`,
        `median ${unit}`,
        'best / fastest peer best',
        'median / fastest peer median',
        `every run (${unit}, in order)`,
      ],
      rows,
    ),
  ];
}
