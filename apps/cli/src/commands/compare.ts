import { DenoisingAutoencoder, initializeFrom, modelFromBytes, modelToBytes, type ActivationName, type AnyModel } from '@sdae/layers';
import type { Output } from '../cli';
import { startExperiment, writeReport, type CommonFlags } from '../experiment';
import { costChart, runFigures, trainDaRun, type DaRun } from './da-runs';

/** Training flags shared by the dA comparisons. */
export interface DaComparisonFlags extends CommonFlags {
  hidden: number;
  corruption: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
}

async function compareRuns(
  flags: DaComparisonFlags,
  output: Output,
  title: string,
  plan: {
    name: string;
    options: ConstructorParameters<typeof DenoisingAutoencoder>[0];
    learningRate?: number;
    /** Runs before training (e.g. to initialise from another model). */
    prepare?: (da: DenoisingAutoencoder) => void;
    /** Runs after training, before the dA is disposed. */
    trained?: (da: DenoisingAutoencoder) => void;
  }[],
): Promise<DaRun[]> {
  const experiment = await startExperiment(flags, output);
  const training = { epochs: flags.epochs, batchSize: flags.batchSize, learningRate: flags.learningRate };
  const runs: DaRun[] = [];
  for (const { name, options, learningRate, prepare, trained } of plan) {
    const da = new DenoisingAutoencoder({ hiddenSize: flags.hidden, seed: flags.seed, ...options });
    try {
      prepare?.(da);
      runs.push(await trainDaRun(experiment, name, da, experiment.mnist.train, { ...training, learningRate: learningRate ?? training.learningRate }));
      trained?.(da);
    } finally {
      da.dispose();
    }
  }
  const { figures, files } = runFigures(runs, costChart(runs, title));
  const summary = Object.fromEntries(runs.map((run) => [`final cost, ${run.name}`, run.diverged ?? run.history.at(-1)?.cost.toFixed(3) ?? 'no epoch']));
  await writeReport(experiment, { title, summary: { ...summary, backend: experiment.backend.backend }, figures, config: { ...flags } }, files);
  return runs;
}

/** `sdae compare-noise`: a plain autoencoder and a dA from the same seed, side by side. */
export async function compareNoiseCommand(flags: DaComparisonFlags, output: Output): Promise<void> {
  await compareRuns(flags, output, `Plain autoencoder vs dA (corruption ${flags.corruption}), 784-${flags.hidden}`, [
    { name: 'corruption 0', options: { corruptionLevel: 0 } },
    { name: `corruption ${flags.corruption}`, options: { corruptionLevel: flags.corruption } },
  ]);
}

/**
 * `sdae transfer`: trains a sigmoid dA, then a sigmoid and a ReLU dA initialised from its weights
 * (scaled by --scale, biases reset), against the same two activations from random weights.
 */
export async function transferCommand(flags: DaComparisonFlags & { scale: number }, output: Output): Promise<void> {
  // A copy of the trained source outlives its run (each run's dA is disposed after it).
  let source: AnyModel | undefined;
  const fromSource = (da: DenoisingAutoencoder) => initializeFrom(da, source as AnyModel, { scale: flags.scale });
  const activations: ActivationName[] = ['sigmoid', 'relu'];
  try {
    await compareRuns(flags, output, `Weight transfer from a sigmoid dA (scale ${flags.scale})`, [
      {
        name: 'sigmoid source',
        options: { corruptionLevel: flags.corruption },
        trained: (da) => {
          source = modelFromBytes(modelToBytes(da));
        },
      },
      ...activations.map((activation) => ({ name: `${activation} from sigmoid x${flags.scale}`, options: { activation, corruptionLevel: flags.corruption, seed: flags.seed + 1 }, prepare: fromSource })),
      ...activations.map((activation) => ({ name: `${activation} random`, options: { activation, corruptionLevel: flags.corruption, seed: flags.seed + 1 } })),
    ]);
  } finally {
    source?.dispose();
  }
}

/** `sdae sweep`: one dA per learning rate (or per hidden size), every cost curve on one chart. */
export async function sweepCommand(flags: DaComparisonFlags & { learningRates?: number[]; hiddenSizes?: number[] }, output: Output): Promise<void> {
  if (flags.hiddenSizes !== undefined) {
    await compareRuns(
      flags,
      output,
      `Hidden-size sweep, dA with corruption ${flags.corruption}`,
      flags.hiddenSizes.map((hiddenSize) => ({ name: `hidden ${hiddenSize}`, options: { hiddenSize, corruptionLevel: flags.corruption } })),
    );
    return;
  }
  await compareRuns(
    flags,
    output,
    `Learning-rate sweep, dA 784-${flags.hidden} with corruption ${flags.corruption}`,
    (flags.learningRates ?? [0.01, 0.05, 0.1]).map((learningRate) => ({ name: `lr ${learningRate}`, options: { corruptionLevel: flags.corruption }, learningRate })),
  );
}
