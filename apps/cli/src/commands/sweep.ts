import { Option, type Command } from 'commander';
import { compareRuns } from '../da-runs';
import {
  addCommand,
  daHiddenSize,
  daTrainingFlags,
  engineFlags,
  experimentFlags,
  flag,
  distinctList,
  positiveNumber,
  refuseInapplicable,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';

const FLAGS = {
  learningRates: flag<number[] | undefined>(() =>
    new Option('--learning-rates <rates>', 'comma-separated learning rates').argParser(distinctList(positiveNumber)),
  ),
  hiddenSizes: flag<number[] | undefined>(() =>
    new Option('--hidden-sizes <sizes>', 'comma-separated hidden sizes (instead of learning rates)')
      .argParser(distinctList(daHiddenSize('--hidden-sizes')))
      .conflicts('learningRates'),
  ),
  ...daTrainingFlags({ epochs: 5 }),
  ...experimentFlags('runs/sweep'),
  ...engineFlags,
};

/** The flags of `sdae sweep`. */
export type SweepFlags = FlagValues<typeof FLAGS>;

/** `sdae sweep`: one dA per learning rate (or per hidden size), every cost curve on one chart. */
export async function sweepCommand(flags: SweepFlags, output: Output): Promise<void> {
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
    (flags.learningRates ?? [0.01, 0.05, 0.1]).map((learningRate) => ({
      name: `lr ${learningRate}`,
      options: { corruptionLevel: flags.corruption },
      learningRate,
    })),
  );
}

/** Adds `sdae sweep` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(program, 'sweep', 'one dA per learning rate (or per hidden size), every cost curve on one chart', FLAGS, (flags, command) => {
    const sweepingSizes = flags.hiddenSizes !== undefined;
    refuseInapplicable(
      command,
      '--hidden',
      !sweepingSizes,
      "does not apply with --hidden-sizes, which sets each run's hidden size; drop --hidden.",
    );
    refuseInapplicable(
      command,
      '--learning-rate',
      sweepingSizes,
      "does not apply to a learning-rate sweep, where --learning-rates sets each run's rate; drop --learning-rate, or sweep --hidden-sizes.",
    );
    return sweepCommand(flags, output);
  });
}
