import type { Command } from 'commander';
import { selectBackend } from '@sdae/backend';
import { formatSummary } from '@sdae/layers';
import { addCommand, jsonFlag, modelFlag, type FlagValues } from '../flags';
import type { Output } from '../output';
import { loadSavedModel } from '../saved-model';

const FLAGS = {
  model: modelFlag,
  json: jsonFlag('print one JSON object: the layers, their output shapes and parameters, and the totals'),
};

/** The flags of `sdae summary`. */
export type SummaryFlags = FlagValues<typeof FLAGS>;

/**
 * `sdae summary`: prints a saved model (or a checkpoint's model) as Keras' `model.summary()`
 * does: one row per layer (name and type, output shape, parameters), then the total, trainable
 * and non-trainable parameter counts.
 */
export async function summaryCommand(flags: SummaryFlags, output: Output): Promise<void> {
  await selectBackend({ backend: 'cpu' });
  const model = await loadSavedModel(flags.model);
  try {
    const summary = model.layerSummary();
    if (flags.json) output.out(`${JSON.stringify({ type: 'summary', model: flags.model, ...summary })}\n`);
    else output.out(`${formatSummary(summary).join('\n')}\n`);
  } finally {
    model.dispose();
  }
}

/** Adds `sdae summary` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'summary',
    "print a saved model's layers, output shapes and parameter counts (Keras' model.summary())",
    FLAGS,
    (flags) => summaryCommand(flags, output),
  );
}
