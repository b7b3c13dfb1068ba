import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { htmlReport, lineChart, type ReportCell } from '@sdae/vis';
import type { SweepPlan, TrialPlan } from './plan';

/** Where a trial stands: not run yet, finished, failed for its own reasons, or stopped by Ctrl-C. */
export type TrialStatus = 'pending' | 'done' | 'failed' | 'interrupted';

/** What a sweep records of a trial that ran, in `<out>/trials/<id>/trial.json`. */
export interface TrialOutcome {
  status: 'done' | 'failed' | 'interrupted';
  seconds: number;
  /** Which worker ran it: `local 2` for the second local slot, `host:pid` for a queue worker. */
  worker: string;
  error?: string;
}

/** One row of sweep.json. */
export interface TrialRow {
  id: string;
  grid: Record<string, string>;
  flags: Record<string, unknown>;
  status: TrialStatus;
  /** The last value of each curve of the trial's history.json. */
  metrics: Record<string, number>;
  seconds: number | null;
  worker: string | null;
  error?: string;
}

/** Entries of a history.json that are not result curves (an epoch's learningRate is a setting). */
const NOT_METRICS = new Set(['epoch', 'iterations', 'seconds', 'layer', 'learningRate']);

type HistoryEntry = Record<string, unknown>;

/** The curves of one list of epoch logs: those of its last stage (and layer), by metric. */
function entryCurves(entries: readonly HistoryEntry[], prefix: string): Record<string, [number, number][]> {
  const last = entries.at(-1);
  if (last === undefined) return {};
  const curves: Record<string, [number, number][]> = {};
  for (const entry of entries.filter((candidate) => candidate['stage'] === last['stage'] && candidate['layer'] === last['layer'])) {
    for (const [name, value] of Object.entries(entry)) {
      if (NOT_METRICS.has(name) || typeof value !== 'number' || typeof entry['epoch'] !== 'number') continue;
      (curves[`${prefix}${name}`] ??= []).push([entry['epoch'], value]);
    }
  }
  return curves;
}

/**
 * The curves of a command's history.json, by metric: a list of epoch logs (`da`, `sda`, `cnn`,
 * `mlp`: the last stage's, so an SdA's fine-tuning) or runs by name (`compare-noise`,
 * `transfer`: `<run>: cost`).
 *
 * @example historyCurves([{ stage: 'train', epoch: 0, cost: 70 }, { stage: 'train', epoch: 1, cost: 65 }]) // { cost: [[0, 70], [1, 65]] }
 */
export function historyCurves(history: unknown): Record<string, [number, number][]> {
  if (Array.isArray(history)) return entryCurves(history as HistoryEntry[], '');
  if (history === null || typeof history !== 'object') return {};
  return Object.assign(
    {},
    ...Object.entries(history).map(([run, entries]) => (Array.isArray(entries) ? entryCurves(entries as HistoryEntry[], `${run}: `) : {})),
  ) as Record<string, [number, number][]>;
}

/** The directory of a trial in a sweep's output directory. */
export function trialDirectory(out: string, id: string): string {
  return join(out, 'trials', id);
}

/** Writes `content` into `path` through a temporary file and a rename, so a reader never sees half of it. */
async function writeWhole(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

/** Records how a trial ended in its directory (`trial.json`). */
export async function writeTrialOutcome(directory: string, outcome: TrialOutcome): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeWhole(join(directory, 'trial.json'), `${JSON.stringify(outcome, null, 2)}\n`);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** How a trial ended, from its directory, or undefined when it has not (or its record is unreadable). */
export async function readTrialOutcome(directory: string): Promise<TrialOutcome | undefined> {
  const outcome = (await readJson(join(directory, 'trial.json'))) as TrialOutcome | undefined;
  return outcome !== undefined && ['done', 'failed', 'interrupted'].includes(outcome.status) ? outcome : undefined;
}

/** A trial's row of sweep.json and its curves, from its directory. */
async function trialRow(out: string, trial: TrialPlan): Promise<{ row: TrialRow; curves: Record<string, [number, number][]> }> {
  const directory = trialDirectory(out, trial.id);
  const outcome = await readTrialOutcome(directory);
  const curves = outcome?.status === 'done' ? historyCurves(await readJson(join(directory, 'history.json'))) : {};
  const metrics = Object.fromEntries(Object.entries(curves).map(([name, points]) => [name, points.at(-1)![1]]));
  const row: TrialRow = {
    id: trial.id,
    grid: trial.grid,
    flags: trial.flags,
    status: outcome?.status ?? 'pending',
    metrics,
    seconds: outcome === undefined ? null : Number(outcome.seconds.toFixed(2)),
    worker: outcome?.worker ?? null,
    ...(outcome?.error === undefined ? {} : { error: outcome.error }),
  };
  return { row, curves };
}

/**
 * Writes `<out>/sweep.json` (the sweep and one row per trial: grid values, resolved flags, status,
 * final metrics, seconds, worker, error) and `<out>/report.html` (a chart per metric with every
 * trial's curve, a sortable table of the trials linking to each trial's report), from the trials'
 * directories. Returns the rows.
 */
export async function writeSweepSummary(out: string, plan: SweepPlan): Promise<TrialRow[]> {
  const trials = await Promise.all(plan.trials.map((trial) => trialRow(out, trial)));
  const rows = trials.map(({ row }) => row);
  const summary = { id: plan.id, command: plan.command, grid: plan.grid, fixed: plan.fixed, trials: rows };
  await mkdir(out, { recursive: true });
  await writeWhole(join(out, 'sweep.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const metricNames = [...new Set(rows.flatMap((row) => Object.keys(row.metrics)))];
  // The legend has room for short names only: the values, in the order of the axes the caption names.
  const label = (trial: TrialPlan) => Object.values(trial.grid).join(' / ') || trial.id;
  const caption = plan.grid.length === 0 ? 'lines: trial ids' : `lines: ${plan.grid.map((axis) => axis.name).join(' / ')}`;
  const figures = metricNames.map((metric) => ({
    title: metric,
    svg: lineChart(
      trials
        .filter(({ curves }) => curves[metric] !== undefined)
        .map(({ row, curves }) => ({ name: label(plan.trials.find((trial) => trial.id === row.id)!), points: curves[metric]! })),
      { title: `${metric} per epoch`, xLabel: 'epoch', yLabel: metric },
    ),
    caption,
  }));
  const axes = plan.grid.map((axis) => axis.name);
  const tableRows: ReportCell[][] = rows.map((row) => [
    existsSync(join(trialDirectory(out, row.id), 'report.html')) ? { text: row.id, href: `trials/${row.id}/report.html` } : row.id,
    ...axes.map((axis) => row.grid[axis] ?? ''),
    row.status,
    ...metricNames.map((metric) => (row.metrics[metric] === undefined ? '' : Number(row.metrics[metric]!.toPrecision(6)))),
    row.seconds ?? '',
    row.worker ?? '',
    row.error ?? '',
  ]);
  const count = (status: TrialStatus) => rows.filter((row) => row.status === status).length;
  await writeWhole(
    join(out, 'report.html'),
    htmlReport({
      title: `Sweep ${plan.id}: sdae ${plan.command} over ${axes.join(' x ') || 'no grid'}`,
      summary: {
        trials: rows.length,
        done: count('done'),
        failed: count('failed'),
        'not finished': count('pending') + count('interrupted'),
      },
      figures,
      tables: [{ title: 'Trials', columns: ['trial', ...axes, 'status', ...metricNames, 'seconds', 'worker', 'error'], rows: tableRows }],
      config: { command: plan.command, grid: plan.grid, fixed: plan.fixed },
    }),
  );
  return rows;
}
