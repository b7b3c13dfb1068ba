import type { Command } from 'commander';
import { compareRuns } from '../da-runs';
import { addCommand, daTrainingFlags, engineFlags, experimentFlags, optimizerFlags, refuseOptimizerFlags, type FlagValues } from '../flags';
import type { Output } from '../output';

const FLAGS = {
  ...daTrainingFlags({ epochs: 5 }),
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  ...experimentFlags('runs/compare-noise'),
  ...engineFlags,
};

/** The flags of `sdae compare-noise`. */
export type CompareNoiseFlags = FlagValues<typeof FLAGS>;

/** `sdae compare-noise`: a plain autoencoder and a dA from the same seed, side by side. */
export async function compareNoiseCommand(flags: CompareNoiseFlags, output: Output): Promise<void> {
  await compareRuns(flags, output, `Plain autoencoder vs dA (corruption ${flags.corruption}), 784-${flags.hidden}`, [
    { name: 'corruption 0', options: { corruptionLevel: 0 } },
    { name: `corruption ${flags.corruption}`, options: { corruptionLevel: flags.corruption } },
  ]);
}

/** Adds `sdae compare-noise` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'compare-noise',
    'a plain autoencoder and a dA from the same seed side by side: one cost chart, both filter grids',
    FLAGS,
    (flags) => compareNoiseCommand(flags, output),
    (flags, command) => refuseOptimizerFlags(command, flags.optimizer),
  );
}
