import { InvalidArgumentError as InvalidFlagError, Option, type Command } from 'commander';
import { initializeFrom, modelFromBytes, modelToBytes, type AnyModel, type DenoisingAutoencoder } from '@sdae/layers';
import { compareRuns } from '../run/da-runs';
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

/** The activations of the dAs the trained sigmoid source initialises (and that also train from random weights). */
export const TRANSFER_TARGETS = ['sigmoid', 'relu'] as const;

/** One of {@link TRANSFER_TARGETS}. */
export type TransferTarget = (typeof TRANSFER_TARGETS)[number];

/**
 * Parses `--target-scales`: `TARGET=FACTOR` pairs, comma-separated, each target once and one of
 * {@link TRANSFER_TARGETS}: `sigmoid=1,relu=0.1` gives `[['sigmoid', 1], ['relu', 0.1]]`.
 */
export function targetScales(text: string): [TransferTarget, number][] {
  const pairs: [TransferTarget, number][] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    const [target = '', factor, ...rest] = item.split('=').map((part) => part.trim());
    if (factor === undefined || rest.length > 0) {
      throw new InvalidFlagError(`Expected TARGET=FACTOR pairs, comma-separated, such as sigmoid=1,relu=0.1; "${item}" is not one.`);
    }
    if (!(TRANSFER_TARGETS as readonly string[]).includes(target)) {
      throw new InvalidFlagError(
        `transfer trains ${TRANSFER_TARGETS.join(' and ')} targets from the sigmoid source; "${target}" is not one of them. ` +
          `Give scales for ${TRANSFER_TARGETS.join(', ')} only.`,
      );
    }
    if (pairs.some(([seen]) => seen === target)) {
      throw new InvalidFlagError(`${target} is given twice; give each target one scale.`);
    }
    let scale: number;
    try {
      scale = positiveNumber(factor);
    } catch {
      throw new InvalidFlagError(`The scale of ${target} must be a number > 0, in decimal notation (such as 0.1); received "${factor}".`);
    }
    pairs.push([target as TransferTarget, scale]);
  }
  return pairs;
}

const FLAGS = {
  targetScales: flag<[TransferTarget, number][]>(() =>
    new Option(
      '--target-scales <pairs>',
      'which targets the sigmoid source initialises and the factor each gets: TARGET=FACTOR, comma-separated (targets: sigmoid, relu)',
    )
      .argParser(targetScales)
      .default(
        [
          ['sigmoid', 1],
          ['relu', 0.1],
        ],
        'sigmoid=1,relu=0.1',
      ),
  ),
  ...daTrainingFlags({ epochs: 5 }),
  ...optimizerFlags({ optimizer: 'sgd', momentum: 0.5 }),
  ...experimentFlags('runs/transfer'),
  ...engineFlags,
};

/** The flags of `sdae transfer`. */
export type TransferFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae transfer`: trains a sigmoid dA, then a dA of each --target-scales activation initialised
 * from its weights (each scaled by its factor, biases reset), against the same activations from
 * random weights; every cost curve on one chart.
 */
export async function transferCommand(flags: TransferFlags, output: Output): Promise<void> {
  // A copy of the trained source outlives its run (each run's dA is disposed after it).
  let source: AnyModel | undefined;
  const fromSource = (scale: number) => (da: DenoisingAutoencoder) => initializeFrom(da, source as AnyModel, { scale });
  const model = { hiddenSize: flags.hidden, corruptionLevel: flags.corruption };
  const scales = flags.targetScales.map(([target, scale]) => `${target} x${scale}`).join(', ');
  try {
    await compareRuns(flags, output, `Weight transfer from a sigmoid dA (${scales})`, [
      {
        name: 'sigmoid source',
        options: model,
        trained: (da) => {
          source = modelFromBytes(modelToBytes(da));
        },
      },
      ...flags.targetScales.map(([activation, scale]) => ({
        name: `${activation} from sigmoid x${scale}`,
        options: { ...model, activation, seed: flags.seed + 1 },
        prepare: fromSource(scale),
      })),
      ...flags.targetScales.map(([activation]) => ({
        name: `${activation} random`,
        options: { ...model, activation, seed: flags.seed + 1 },
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
    'train a sigmoid dA, then a sigmoid and a ReLU dA initialised from it (each scaled by --target-scales, biases reset) against random initialisation, on one chart',
    FLAGS,
    (flags) => transferCommand(flags, output),
    (flags, command) => refuseOptimizerFlags(command, flags.optimizer),
  );
}
