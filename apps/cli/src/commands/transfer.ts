import { Option, type Command } from 'commander';
import { initializeFrom, modelFromBytes, modelToBytes, type ActivationName, type AnyModel, type DenoisingAutoencoder } from '@sdae/layers';
import { compareRuns } from '../da-runs';
import {
  addCommand,
  daTrainingFlags,
  engineFlags,
  experimentFlags,
  flag,
  optimizerFlags,
  positiveNumber,
  refuseOptimizerFlags,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';

const FLAGS = {
  scale: flag<number>(() =>
    new Option('--scale <factor>', 'factor applied to the transferred weights').argParser(positiveNumber).default(0.1),
  ),
  ...daTrainingFlags({ epochs: 5 }),
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  ...experimentFlags('runs/transfer'),
  ...engineFlags,
};

/** The flags of `sdae transfer`. */
export type TransferFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae transfer`: trains a sigmoid dA, then a sigmoid and a ReLU dA initialised from its weights
 * (scaled by --scale, biases reset), against the same two activations from random weights.
 */
export async function transferCommand(flags: TransferFlags, output: Output): Promise<void> {
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
      ...activations.map((activation) => ({
        name: `${activation} from sigmoid x${flags.scale}`,
        options: { activation, corruptionLevel: flags.corruption, seed: flags.seed + 1 },
        prepare: fromSource,
      })),
      ...activations.map((activation) => ({
        name: `${activation} random`,
        options: { activation, corruptionLevel: flags.corruption, seed: flags.seed + 1 },
      })),
    ]);
  } finally {
    source?.dispose();
  }
}

/** Adds `sdae transfer` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'transfer',
    'train a sigmoid dA, then a sigmoid and a ReLU dA initialised from it (scaled, biases reset) against random initialisation',
    FLAGS,
    (flags) => transferCommand(flags, output),
    (flags, command) => refuseOptimizerFlags(command, flags.optimizer),
  );
}
