import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '@sdae/datasets';
import type { DenoisingAutoencoder } from '@sdae/layers';
import { DivergenceError, trainAutoencoder, type EpochLog } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { filtersPng, type Experiment } from '../experiment';

/** One trained dA of a comparison: its cost curve, filters and, if it diverged, where. */
export interface DaRun {
  name: string;
  history: EpochLog[];
  filters: Uint8Array;
  diverged?: string;
}

/** Trains `da` and pictures it; a diverging run is kept (its curve so far, its kept weights) and reported. */
export async function trainDaRun(
  experiment: Experiment,
  name: string,
  da: DenoisingAutoencoder,
  set: ImageSet,
  options: { epochs: number; batchSize: number; learningRate: number },
): Promise<DaRun> {
  const history: EpochLog[] = [];
  let diverged: string | undefined;
  try {
    await trainAutoencoder(da, set, {
      ...options,
      onEpochEnd: (log) => {
        history.push(log);
        experiment.logEpoch(log, name);
      },
    });
  } catch (error) {
    if (!(error instanceof DivergenceError)) throw error;
    diverged = `diverged at epoch ${error.epoch}, batch ${error.batch} (cost ${error.cost})`;
    experiment.log(`${name}: ${diverged}`, { run: name, diverged });
  }
  const filters = filtersPng(tf.tidy(() => tf.transpose(da.W).dataSync()));
  return { name, history, filters, diverged };
}

/** One chart of the runs' mean cost per epoch. */
export function costChart(runs: readonly DaRun[], title: string): string {
  return lineChart(
    runs.map((run) => ({ name: run.name, points: run.history.map((log) => [log.epoch, log.cost] as const) })).filter((series) => series.points.length > 0),
    { title, xLabel: 'epoch', yLabel: 'cost' },
  );
}

/** The report's figures and files for a set of runs: each run's filters, then the chart. */
export function runFigures(runs: readonly DaRun[], chart: string): { figures: { title: string; png?: Uint8Array; svg?: string }[]; files: Record<string, string | Uint8Array> } {
  const slug = (name: string) => name.replace(/[^a-z0-9.]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
  const files: Record<string, string | Uint8Array> = { 'cost.svg': chart, 'history.json': `${JSON.stringify(Object.fromEntries(runs.map((run) => [run.name, run.history])), null, 2)}\n` };
  const figures: { title: string; png?: Uint8Array; svg?: string }[] = [{ title: 'Cost per epoch', svg: chart }];
  for (const run of runs) {
    files[`filters-${slug(run.name)}.png`] = run.filters;
    figures.push({ title: `Filters: ${run.name}${run.diverged === undefined ? '' : ` (${run.diverged})`}`, png: run.filters });
  }
  return { figures, files };
}
