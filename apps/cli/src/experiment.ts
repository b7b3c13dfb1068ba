import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatBackendReport, selectBackend, type BackendName, type BackendReport } from '@sdae/backend';
import { loadMnist, sliceImageSet, type Mnist, type MnistSplitName } from '@sdae/datasets';
import { encodePng, enlarge, greyToRgba, htmlReport, tileRasterImages, type ReportOptions, type TileRasterImagesOptions } from '@sdae/vis';
import { formatEpochLog, type EpochLog } from '@sdae/train';
import type { Output } from './cli';

/** The flags every experiment command shares. */
export interface CommonFlags {
  backend: BackendName | 'auto';
  seed: number;
  out: string;
  split: MnistSplitName;
  /** Use only the first N images of each set (quick runs and tests). */
  limit?: number;
  json: boolean;
}

/** An experiment's setup: the backend chosen, the data, and where its files go. */
export interface Experiment {
  backend: BackendReport;
  mnist: Mnist;
  directory: string;
  /** Prints a progress line (or, with --json, one JSON object per line) and keeps it for the report. */
  log: (text: string, record?: object) => void;
  /** Logs an epoch as the tutorials print it, optionally prefixed with the run's name. */
  logEpoch: (epochLog: EpochLog, run?: string) => void;
  /** Every line logged so far. */
  lines: string[];
  /** Writes a file into the experiment's directory and returns its path. */
  write: (name: string, content: string | Uint8Array) => Promise<string>;
}

function limitSet<T extends { count: number }>(set: T, limit: number | undefined, slice: (set: T, count: number) => T): T {
  return limit === undefined || limit >= set.count ? set : slice(set, limit);
}

/** Selects the backend, loads MNIST (cut to --limit), creates the output directory. */
export async function startExperiment(flags: CommonFlags, output: Output): Promise<Experiment> {
  const backend = await selectBackend({ backend: flags.backend });
  const loaded = await loadMnist({ split: flags.split });
  const cut = <T extends Mnist['train']>(set: T) => limitSet(set, flags.limit, (whole, count) => sliceImageSet(whole, 0, count) as T);
  const mnist: Mnist = { ...loaded, train: cut(loaded.train), validation: loaded.validation && cut(loaded.validation), test: cut(loaded.test) };
  const directory = resolve(flags.out);
  await mkdir(directory, { recursive: true });
  const lines: string[] = [];
  const log = (text: string, record?: object) => {
    lines.push(text);
    output.out(flags.json ? `${JSON.stringify(record ?? { message: text })}\n` : `${text}\n`);
  };
  if (!flags.json) output.out(`${formatBackendReport(backend)}\n`);
  return {
    backend,
    mnist,
    directory,
    log,
    lines,
    logEpoch: (epochLog, run) => log(`${run === undefined ? '' : `${run}: `}${formatEpochLog(epochLog)}`, run === undefined ? epochLog : { run, ...epochLog }),
    write: async (name, content) => {
      const path = join(directory, name);
      await writeFile(path, content);
      return path;
    },
  };
}

/** A grid of filters (one per row of `rows`) as PNG bytes; `enlargeBy` magnifies small kernels. */
export function filtersPng(rows: ArrayLike<number>, options: TileRasterImagesOptions & { enlargeBy?: number } = {}): Uint8Array {
  const grid = tileRasterImages(rows, options);
  return encodePng(greyToRgba(options.enlargeBy === undefined ? grid : enlarge(grid, options.enlargeBy)));
}

/** Writes each figure's file, then report.html gathering them, and logs where the report is. */
export async function writeReport(experiment: Experiment, report: Omit<ReportOptions, 'backendReport'>, files: Record<string, string | Uint8Array>): Promise<string> {
  for (const [name, content] of Object.entries(files)) await experiment.write(name, content);
  const path = await experiment.write('report.html', htmlReport({ log: experiment.lines, ...report, backendReport: formatBackendReport(experiment.backend) }));
  experiment.log(`Report: ${path}`, { report: path });
  return path;
}
