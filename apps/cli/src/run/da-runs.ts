import { batchCount, type ImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, filterRows } from '@sdae/layers';
import { DivergenceError, trainAutoencoder, type EpochLog, type TrainAutoencoderOptions } from '@sdae/train';
import { lineChart, type ReportFigure, type ReportTable } from '@sdae/vis';
import { requireBatchFits, startExperiment, type Experiment } from './experiment';
import { filtersPng, writeReport } from './report-files';
import { positionAfter, progressReporter, stopOnCtrlC, type CtrlC, type ProgressReporter } from './controls';
import { optimizerOptions, type DaTrainingFlags, type EngineFlags, type ExperimentFlags, type OptimizerFlags } from '../flags';
import { RunInterrupted, type Output } from '../output';
import { epochPlan } from './progress';

/** One trained dA of a comparison: its cost curve, filters and, if it diverged or Ctrl-C stopped it, where. */
export interface DaRun {
  name: string;
  history: EpochLog[];
  filters: Uint8Array;
  diverged?: string;
  /** Where Ctrl-C stopped it: `after epoch 0, minibatch 12`. */
  interrupted?: string;
}

/** Why a run ended early, if it did: its divergence or its interruption. */
export function endedEarly(run: DaRun): string | undefined {
  return run.diverged ?? (run.interrupted === undefined ? undefined : `interrupted ${run.interrupted}`);
}

/**
 * Trains `da` and pictures it; a diverging run is kept (its curve so far, its kept weights) and
 * reported, and so is a run that Ctrl-C (`interrupt`) stopped after a minibatch. `progress`
 * draws its progress bar.
 */
export async function trainDaRun(
  experiment: Experiment,
  name: string,
  da: DenoisingAutoencoder,
  set: ImageSet,
  options: Pick<TrainAutoencoderOptions, 'epochs' | 'batchSize' | 'learningRate' | 'optimizer' | 'learningRateSchedule'>,
  interrupt?: CtrlC,
  progress?: ProgressReporter,
): Promise<DaRun> {
  const history: EpochLog[] = [];
  let diverged: string | undefined;
  let interrupted: string | undefined;
  let position = 'before its first minibatch';
  try {
    const result = await trainAutoencoder(da, set, {
      ...options,
      ...experiment.engine,
      signal: interrupt?.signal,
      onBatchEnd: (event) => {
        position = positionAfter(event);
        progress?.batchEnd(event);
      },
      onEpochEnd: (log) => {
        progress?.epochEnd(log);
        history.push(log);
        experiment.logEpoch(log, name);
      },
    });
    if (result.stopReason === 'aborted') interrupted = position;
  } catch (error) {
    if (!DivergenceError.isInstance(error)) throw error;
    diverged = `diverged at epoch ${error.epoch}, batch ${error.batch} (cost ${error.cost})`;
    experiment.log(`${name}: ${diverged}`, { type: 'diverged', run: name, message: diverged });
  }
  const filters = filtersPng(filterRows(da));
  return { name, history, filters, ...(diverged === undefined ? {} : { diverged }), ...(interrupted === undefined ? {} : { interrupted }) };
}

/** One chart of the runs' mean cost per epoch; undefined when no run finished an epoch. */
export function costChart(runs: readonly DaRun[], title: string): string | undefined {
  const series = runs
    .map((run) => ({ name: run.name, points: run.history.map((log) => [log.epoch, log.cost] as const) }))
    .filter((line) => line.points.length > 0);
  return series.length === 0 ? undefined : lineChart(series, { title, xLabel: 'epoch', yLabel: 'cost' });
}

/** A run's name as a file name's part: `hidden 500, corruption 0.3` -> `hidden-500-corruption-0.3`. */
export function slug(name: string): string {
  return name
    .replace(/[^a-z0-9.]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

/**
 * The report's figures and files for a set of runs: the chart (if any epoch finished), then each
 * run's filters (as files always, as figures unless `filterFigures` is false).
 */
export function runFigures(
  runs: readonly DaRun[],
  chart: string | undefined,
  filterFigures = true,
): { figures: ReportFigure[]; files: Record<string, string | Uint8Array> } {
  const files: Record<string, string | Uint8Array> = {
    ...(chart === undefined ? {} : { 'cost.svg': chart }),
    'history.json': `${JSON.stringify(Object.fromEntries(runs.map((run) => [run.name, run.history])), null, 2)}\n`,
  };
  const figures: ReportFigure[] = chart === undefined ? [] : [{ title: 'Cost per epoch', svg: chart }];
  for (const run of runs) {
    files[`filters-${slug(run.name)}.png`] = run.filters;
    const early = endedEarly(run);
    if (filterFigures) figures.push({ title: `Filters: ${run.name}${early === undefined ? '' : ` (${early})`}`, png: run.filters });
  }
  return { figures, files };
}

/** One dA of a comparison: its name, how it is built (seed: --seed unless given), and what happens around its training. */
export interface DaRunPlan {
  name: string;
  options: ConstructorParameters<typeof DenoisingAutoencoder>[0] & { hiddenSize: number };
  learningRate?: number;
  /** Runs before training (e.g. to initialise from another model). */
  prepare?: (da: DenoisingAutoencoder) => void;
  /** Runs after training, before the dA is disposed (not after a run Ctrl-C stopped). */
  trained?: (da: DenoisingAutoencoder, experiment: Experiment) => void;
}

/** What a comparison adds to its report beyond the cost chart and the runs' filters. */
export interface ComparisonLayout {
  /** Checks the flags against the loaded data before any run trains (throw to refuse). */
  start?: (experiment: Experiment) => void;
  /** Each run's filters as a figure of its own (false when `extras` lays them out). @default true */
  filterFigures?: boolean;
  /** More figures (after the chart), tables and files, made once every run is trained. */
  extras?: (runs: readonly DaRun[]) => { figures?: ReportFigure[]; tables?: ReportTable[]; files?: Record<string, string | Uint8Array> };
}

/** A run's end as the summary and tables say it: its final cost, or why it ended early. */
export function runOutcome(run: DaRun): string {
  return endedEarly(run) ?? run.history.at(-1)?.cost.toFixed(3) ?? 'no epoch';
}

/**
 * The comparison commands' experiment: trains each planned dA in turn with the shared dA flags
 * (each with a progress bar naming the run), then writes every run's filters and one chart of all
 * cost curves into a report, with what `layout` adds. Ctrl-C stops
 * the current run after its minibatch: the report then holds the finished runs and that run's
 * epochs so far, and the command exits 130 (these runs have no checkpoint to resume from).
 *
 * @throws {RunInterrupted} after writing the report, when Ctrl-C stopped a run.
 */
export async function compareRuns(
  flags: ExperimentFlags & EngineFlags & Pick<DaTrainingFlags, 'epochs' | 'batchSize' | 'learningRate'> & OptimizerFlags,
  output: Output,
  title: string,
  plan: readonly DaRunPlan[],
  layout: ComparisonLayout = {},
): Promise<DaRun[]> {
  const experiment = await startExperiment(flags, output);
  requireBatchFits(experiment, flags, flags.batchSize);
  layout.start?.(experiment);
  const training = { epochs: flags.epochs, batchSize: flags.batchSize, learningRate: flags.learningRate, ...optimizerOptions(flags) };
  const runs: DaRun[] = [];
  // Kept until the report is written: a second Ctrl-C while it is written quits at once (exit 130).
  const interrupt = stopOnCtrlC(output, 'to write the report of the runs so far');
  try {
    const batches = batchCount(experiment.mnist.train.count, flags.batchSize);
    for (const [index, { name, options, learningRate, prepare, trained }] of plan.entries()) {
      if (interrupt.signal.aborted) break;
      const da = new DenoisingAutoencoder({ seed: flags.seed, ...options });
      const progress = progressReporter(experiment, flags, output, epochPlan(batches, flags.batchSize, flags.epochs), {
        name,
        index,
        count: plan.length,
      });
      try {
        prepare?.(da);
        const run = await trainDaRun(
          experiment,
          name,
          da,
          experiment.mnist.train,
          { ...training, learningRate: learningRate ?? training.learningRate },
          interrupt,
          progress,
        );
        runs.push(run);
        if (run.interrupted !== undefined) break;
        trained?.(da, experiment);
      } finally {
        da.dispose();
      }
    }
    const { figures, files } = runFigures(runs, costChart(runs, title), layout.filterFigures);
    const extras = layout.extras?.(runs) ?? {};
    const summary = Object.fromEntries(runs.map((run) => [`final cost, ${run.name}`, runOutcome(run)]));
    const report = await writeReport(
      experiment,
      {
        title,
        summary: { ...summary, backend: experiment.backend.backend },
        figures: [...figures, ...(extras.figures ?? [])],
        ...(extras.tables === undefined ? {} : { tables: extras.tables }),
        config: { ...flags },
      },
      { ...files, ...extras.files },
    );
    if (interrupt.signal.aborted) {
      const last = runs.at(-1);
      const stopped = last?.interrupted === undefined ? undefined : last;
      const finished = runs.filter((run) => run !== stopped).map((run) => run.name);
      const held = finished.length === 0 ? 'no finished run' : `the finished run${finished.length === 1 ? '' : 's'} ${finished.join(', ')}`;
      experiment.log(
        `Interrupted ${stopped !== undefined ? `run ${stopped.name} ${stopped.interrupted}` : last === undefined ? 'before the first run' : `after run ${last.name}`}; ` +
          `${report} holds ${held}${stopped === undefined ? '' : " and that run's epochs so far"}. ` +
          'These runs keep no checkpoint: run the command again to train them afresh.',
        { type: 'interrupted', checkpoint: null, resumeCommand: null, run: stopped?.name ?? null, finished, report },
      );
      throw new RunInterrupted(undefined);
    }
    return runs;
  } finally {
    interrupt.release();
  }
}
