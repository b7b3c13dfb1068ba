import { readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { selectBackend } from '@sdae/backend';
import { InvalidArgumentError } from '@sdae/core';
import { exportLayersModel, exportOnnx, formatCount, layersModelCounts, type AnyModel } from '@sdae/layers';
import { addCommand, exportFormatFlag, jsonFlag, modelFlag, outFlag, type FlagValues } from '../flags';
import type { Output } from '../output';
import { loadSavedModel } from '../saved-model';
import { requireWritable } from '../writable';

const FLAGS = {
  model: modelFlag,
  format: exportFormatFlag,
  out: outFlag('the directory to write the export to (new, empty, or a previous export, which is replaced)'),
  json: jsonFlag('print one JSON object describing the export'),
};

/** The flags of `sdae export`. */
export type ExportFlags = FlagValues<typeof FLAGS>;

/** What a directory of a previous export holds: model.json and weight shards, a dA's encoder/ and decoder/, or model.onnx. */
const EXPORT_ENTRY = /^(model\.onnx|model\.json|group\d+-shard\d+of\d+\.bin|encoder|decoder)$/;

/**
 * Refuses an --out that holds anything but a previous export (the export replaces it) or that
 * lies inside --model: `--out .` must not replace the working directory, nor an export the model.
 */
async function requireExportTarget(out: string, model: string): Promise<void> {
  const inside = relative(resolve(model), resolve(out));
  if (inside === '' || !inside.startsWith('..')) {
    throw new InvalidArgumentError('--out', out, `--out ${out} is the --model ${model} or inside it; pass a directory outside the model.`);
  }
  const entries = await readdir(out).catch(() => [] as string[]);
  const foreign = entries.filter((name) => !EXPORT_ENTRY.test(name));
  if (foreign.length > 0) {
    throw new InvalidArgumentError(
      '--out',
      out,
      `--out ${out} holds files that are not a previous export (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}), which ` +
        'the export would replace; pass a new or empty directory.',
    );
  }
}

/** The file an ONNX export writes inside --out. */
const ONNX_FILE = 'model.onnx';

/**
 * `sdae export`: writes a model a training command saved (or a checkpoint's model) in a standard
 * format: `--format tfjs` is the TensorFlow.js layers format (model.json + weight shards) that
 * `tf.loadLayersModel` loads with the same predictions; a dA is written as `encoder/` and `decoder/`.
 * `--format onnx` writes `model.onnx`, the model's inference graph (a classifier's probabilities,
 * a dA's hidden code and reconstruction) for onnxruntime and any ONNX tool.
 */
export async function exportCommand(flags: ExportFlags, output: Output): Promise<void> {
  await requireExportTarget(flags.out, flags.model);
  await requireWritable([{ flag: '--out', path: flags.out, kind: 'directory' }]);
  await selectBackend({ backend: 'cpu' });
  const model = await loadSavedModel(flags.model);
  try {
    if (flags.format === 'onnx') await exportAsOnnx(model, flags, output);
    else await exportAsTfjs(model, flags, output);
  } finally {
    model.dispose();
  }
}

async function exportAsTfjs(model: AnyModel, flags: ExportFlags, output: Output): Promise<void> {
  const exported = await exportLayersModel(model, flags.out);
  const files = exported.map(({ part, location }) => ({ part, file: join(location, 'model.json') }));
  const counts = layersModelCounts(model);
  if (flags.json) {
    output.out(
      `${JSON.stringify({ type: 'export', format: flags.format, model: flags.model, className: model.className, parameters: model.parameterCount(), files, layersModelParameters: counts.total, layersModelDifferences: counts.differences })}\n`,
    );
    return;
  }
  const lines = [
    `Exported the ${model.className} in ${flags.model} (${model.parameterCount()} parameters) as a TensorFlow.js layers model:`,
    ...files.map(({ part, file }) => `  ${part === 'model' ? '' : `${part}: `}${file}`),
    ...(counts.differences.length === 0
      ? []
      : [`tfjs-layers' summary() counts ${formatCount(counts.total)} parameters in the export: ${counts.differences.join('; ')}.`]),
    'Load it with tf.loadLayersModel from @tensorflow/tfjs-layers (in Node, with layersModelDirectory from @sdae/layers or ' +
      'file:// and tfjs-node), or back into sdae with importLayersModel.',
  ];
  output.out(`${lines.join('\n')}\n`);
}

async function exportAsOnnx(model: AnyModel, flags: ExportFlags, output: Output): Promise<void> {
  await rm(flags.out, { recursive: true, force: true });
  const exported = await exportOnnx(model, join(flags.out, ONNX_FILE));
  const describe = ({ name, shape }: { name: string; shape: (number | string)[] }) => `${name} [${shape.join(', ')}]`;
  if (flags.json) {
    const { file, bytes, inputs, outputs } = exported;
    output.out(
      `${JSON.stringify({ type: 'export', format: flags.format, model: flags.model, className: model.className, parameters: model.parameterCount(), files: [{ part: 'model', file }], bytes, inputs, outputs })}\n`,
    );
    return;
  }
  const lines = [
    `Exported the ${model.className} in ${flags.model} (${model.parameterCount()} parameters) as an ONNX model (opset 17, ${exported.bytes} bytes):`,
    `  ${join(flags.out, ONNX_FILE)}`,
    `  input ${exported.inputs.map(describe).join(', ')} -> ${exported.outputs.map(describe).join(', ')}`,
    "Run it with onnxruntime (onnxruntime-node, onnxruntime-web, Python's onnxruntime.InferenceSession) or any ONNX tool.",
  ];
  output.out(`${lines.join('\n')}\n`);
}

/** Adds `sdae export` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'export',
    "write a saved model (a training run's <out>/model, or a checkpoint) in a standard format: tfjs (tf.loadLayersModel) or onnx (onnxruntime)",
    FLAGS,
    (flags) => exportCommand(flags, output),
  );
}
