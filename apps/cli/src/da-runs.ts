import type { ImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, filterRows } from '@sdae/layers';
import { DivergenceError, trainAutoencoder, type EpochLog } from '@sdae/train';
import { lineChart } from '@sdae/vis';
import { filtersPng, requireBatchFits, startExperiment, writeReport, type Experiment } from './experiment';
import type { DaTrainingFlags, EngineFlags, ExperimentFlags } from './flags';
import type { Output } from './output';

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
      ...experiment.engine,
      onEpochEnd: (log) => {
        history.push(log);
        experiment.logEpoch(log, name);
      },
    });
  } catch (error) {
    if (!DivergenceError.isInstance(error)) throw error;
    diverged = `diverged at epoch ${error.epoch}, batch ${error.batch} (cost ${error.cost})`;
    experiment.log(`${name}: ${diverged}`, { run: name, diverged });
  }
  const filters = filtersPng(filterRows(da));
  return { name, history, filters, diverged };
}

/** One chart of the runs' mean cost per epoch. */
export function costChart(runs: readonly DaRun[], title: string): string {
  return lineChart(
    runs
      .map((run) => ({ name: run.name, points: run.history.map((log) => [log.epoch, log.cost] as const) }))
      .filter((series) => series.points.length > 0),
    { title, xLabel: 'epoch', yLabel: 'cost' },
  );
}

/** The report's figures and files for a set of runs: each run's filters, then the chart. */
export function runFigures(
  runs: readonly DaRun[],
  chart: string,
): { figures: { title: string; png?: Uint8Array; svg?: string }[]; files: Record<string, string | Uint8Array> } {
  const slug = (name: string) =>
    name
      .replace(/[^a-z0-9.]+/gi, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase();
  const files: Record<string, string | Uint8Array> = {
    'cost.svg': chart,
    'history.json': `${JSON.stringify(Object.fromEntries(runs.map((run) => [run.name, run.history])), null, 2)}\n`,
  };
  const figures: { title: string; png?: Uint8Array; svg?: string }[] = [{ title: 'Cost per epoch', svg: chart }];
  for (const run of runs) {
    files[`filters-${slug(run.name)}.png`] = run.filters;
    figures.push({ title: `Filters: ${run.name}${run.diverged === undefined ? '' : ` (${run.diverged})`}`, png: run.filters });
  }
  return { figures, files };
}

/** One dA of a comparison: its name, how it is built, and what happens around its training. */
export interface DaRunPlan {
  name: string;
  options: ConstructorParameters<typeof DenoisingAutoencoder>[0];
  learningRate?: number;
  /** Runs before training (e.g. to initialise from another model). */
  prepare?: (da: DenoisingAutoencoder) => void;
  /** Runs after training, before the dA is disposed. */
  trained?: (da: DenoisingAutoencoder) => void;
}

/**
 * The comparison commands' experiment: trains each planned dA in turn with the shared dA flags,
 * then writes every run's filters and one chart of all cost curves into a report.
 */
export async function compareRuns(
  flags: ExperimentFlags & EngineFlags & DaTrainingFlags,
  output: Output,
  title: string,
  plan: readonly DaRunPlan[],
): Promise<DaRun[]> {
  const experiment = await startExperiment(flags, output);
  requireBatchFits(experiment, flags, flags.batchSize);
  const training = { epochs: flags.epochs, batchSize: flags.batchSize, learningRate: flags.learningRate };
  const runs: DaRun[] = [];
  for (const { name, options, learningRate, prepare, trained } of plan) {
    const da = new DenoisingAutoencoder({ hiddenSize: flags.hidden, seed: flags.seed, ...options });
    try {
      prepare?.(da);
      runs.push(
        await trainDaRun(experiment, name, da, experiment.mnist.train, {
          ...training,
          learningRate: learningRate ?? training.learningRate,
        }),
      );
      trained?.(da);
    } finally {
      da.dispose();
    }
  }
  const { figures, files } = runFigures(runs, costChart(runs, title));
  const summary = Object.fromEntries(
    runs.map((run) => [`final cost, ${run.name}`, run.diverged ?? run.history.at(-1)?.cost.toFixed(3) ?? 'no epoch']),
  );
  await writeReport(
    experiment,
    { title, summary: { ...summary, backend: experiment.backend.backend }, figures, config: { ...flags } },
    files,
  );
  return runs;
}
