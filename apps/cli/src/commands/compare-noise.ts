import { Option, type Command } from 'commander';
import type { DenoisingAutoencoder } from '@sdae/layers';
import { reconstructionGrid, type ReportCell, type ReportFigure } from '@sdae/vis';
import { compareRuns, endedEarly, runOutcome, slug, type DaRun, type DaRunPlan } from '../run/da-runs';
import {
  addCommand,
  daHiddenSize,
  daTrainingFlags,
  distinctList,
  engineFlags,
  experimentFlags,
  flag,
  gridFlag,
  optimizerFlags,
  refuseOptimizerFlags,
  unitInterval,
  type FlagValues,
} from '../flags';
import type { Experiment } from '../run/experiment';
import { keepOldFlagName } from '../flag-aliases';
import type { Output } from '../output';
import { digitPictures, greyPng, requireGridFits, testDigits } from '../pictures';

// The dA flags but --hidden and --corruption: this command takes lists of both.
const { learningRate, epochs, batchSize } = daTrainingFlags({ epochs: 5 });

const FLAGS = {
  hiddenSizes: flag<number[]>(() =>
    new Option('--hidden <sizes>', 'hidden units of each model, comma-separated (old name: --hidden-sizes)')
      .argParser(distinctList(daHiddenSize('--hidden')))
      .default([500], '500'),
  ),
  corruptionLevels: flag<number[]>(() =>
    new Option('--corruption <levels>', 'masking levels, comma-separated (0 is a plain autoencoder; old name: --corruption-levels)')
      .argParser(distinctList(unitInterval))
      .default([0, 0.3], '0,0.3'),
  ),
  learningRate,
  epochs,
  batchSize,
  grid: gridFlag,
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  ...experimentFlags('runs/compare-noise'),
  ...engineFlags,
};

/** The flags of `sdae compare-noise`. */
export type CompareNoiseFlags = FlagValues<typeof FLAGS>;

/** The name of the run at `hidden` units and corruption `level`. */
function runName(hidden: number, level: number): string {
  return `hidden ${hidden}, corruption ${level}`;
}

/**
 * `sdae compare-noise`: one dA per (hidden size, corruption level) pair, all from the same seed:
 * their filter grids in a table (a row per hidden size, a column per level), one cost chart, the
 * reconstructions of the same --grid test digits by every model side by side, and the noise masks.
 */
export async function compareNoiseCommand(flags: CompareNoiseFlags, output: Output): Promise<void> {
  const [rows, columns] = flags.grid;
  const pictures = new Map<string, ReturnType<typeof digitPictures>>();
  // What each model does to the same test digits, taken before the run's dA is disposed.
  const picture = (name: string) => (da: DenoisingAutoencoder, experiment: Experiment) => {
    const x = testDigits(experiment.mnist.test, rows * columns);
    try {
      pictures.set(name, digitPictures(da, x));
    } finally {
      x.dispose();
    }
  };
  const plan: DaRunPlan[] = flags.hiddenSizes.flatMap((hiddenSize) =>
    flags.corruptionLevels.map((corruptionLevel) => ({
      name: runName(hiddenSize, corruptionLevel),
      options: { hiddenSize, corruptionLevel },
      trained: picture(runName(hiddenSize, corruptionLevel)),
    })),
  );
  const sizes = flags.hiddenSizes.join(', ');
  await compareRuns(flags, output, `Denoising autoencoders 784-{${sizes}} at corruption ${flags.corruptionLevels.join(', ')}`, plan, {
    filterFigures: false,
    start: (experiment) => requireGridFits(flags.grid, experiment.mnist.test, flags.limit),
    extras: (runs) => noiseReport(flags, runs, pictures),
  });
}

/**
 * The comparison's own part of the report: the filter table, the test digits, the noise mask of
 * each level, and a reconstructions row per model.
 */
function noiseReport(flags: CompareNoiseFlags, runs: readonly DaRun[], pictures: ReadonlyMap<string, ReturnType<typeof digitPictures>>) {
  const byName = new Map(runs.map((run) => [run.name, run]));
  const grid = flags.grid;
  const filterRows = flags.hiddenSizes.map((hidden): ReportCell[] => [
    hidden,
    ...flags.corruptionLevels.map((level): ReportCell => {
      const run = byName.get(runName(hidden, level));
      if (run === undefined) return 'not trained (interrupted)';
      const early = endedEarly(run);
      return { png: run.filters, alt: `filters, ${run.name}${early === undefined ? '' : ` (${early})`}` };
    }),
  ]);
  const figures: ReportFigure[] = [];
  const files: Record<string, Uint8Array> = {};
  const first = pictures.values().next().value;
  if (first !== undefined) {
    const originals = greyPng(reconstructionGrid({ originals: first.originals }, { grid }));
    files['digits.png'] = originals;
    figures.push({ title: `The ${grid[0] * grid[1]} test digits every model reconstructs`, png: originals });
  }
  for (const level of flags.corruptionLevels.filter((value) => value > 0)) {
    const masked = flags.hiddenSizes.map((hidden) => pictures.get(runName(hidden, level))).find((entry) => entry !== undefined);
    if (masked === undefined) continue;
    const mask = greyPng(reconstructionGrid({ originals: masked.masks }, { grid }));
    files[`mask-${level}.png`] = mask;
    figures.push({ title: `Noise masks, corruption ${level} (black = pixel dropped)`, png: mask });
  }
  const reconstructionRows: ReportCell[][] = [];
  for (const run of runs) {
    const entry = pictures.get(run.name);
    if (entry === undefined) continue;
    const input = greyPng(reconstructionGrid({ originals: entry.corrupted }, { grid }));
    const output = greyPng(reconstructionGrid({ originals: entry.reconstructions }, { grid }));
    files[`reconstructions-${slug(run.name)}.png`] = output;
    reconstructionRows.push([
      run.name,
      runOutcome(run),
      { png: input, alt: `input, ${run.name}` },
      { png: output, alt: `reconstructions, ${run.name}` },
    ]);
  }
  return {
    figures,
    files,
    tables: [
      {
        title: 'Filters (first 100 rows of W^T): a row per hidden size, a column per corruption level',
        columns: ['hidden units', ...flags.corruptionLevels.map((level) => `corruption ${level}`)],
        rows: filterRows,
      },
      {
        title: 'Reconstructions of the same test digits, a row per model',
        columns: ['model', 'final cost', 'input (masked)', 'reconstruction'],
        rows: reconstructionRows,
      },
    ],
  };
}

/** Adds `sdae compare-noise` to the program. */
export function register(program: Command, output: Output): void {
  const command = addCommand(
    program,
    'compare-noise',
    'one dA per (hidden size, corruption level) from the same seed: filter grids in a table, one cost chart, reconstructions of the same test digits, noise masks',
    FLAGS,
    (flags) => compareNoiseCommand(flags, output),
    (flags, command) => refuseOptimizerFlags(command, flags.optimizer),
  );
  keepOldFlagName(command, '--hidden-sizes <sizes>', '--hidden', output.err);
  keepOldFlagName(command, '--corruption-levels <levels>', '--corruption', output.err);
}
