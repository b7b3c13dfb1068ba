import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AnyModel } from '../model-io';
import { modelToOnnx, onnxSignature, type OnnxExportOptions, type OnnxSignature } from './onnx-export';

/** What {@link exportOnnx} wrote. */
export interface ExportedOnnxModel extends OnnxSignature {
  /** The absolute path of the `.onnx` file. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
}

/**
 * Writes a model's inference graph to a `.onnx` file (creating its directory); see
 * {@link modelToOnnx} for what the graph computes.
 *
 * @throws {UnsupportedKernelError} when the model runs a kernel without an ONNX form.
 * @example
 * const { file, inputs, outputs } = await exportOnnx(cnn, 'export/cnn.onnx');
 * // python: onnxruntime.InferenceSession('export/cnn.onnx').run(None, { 'x': images })
 */
export async function exportOnnx(model: AnyModel, path: string, options: OnnxExportOptions = {}): Promise<ExportedOnnxModel> {
  const bytes = await modelToOnnx(model, options);
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { file, bytes: bytes.length, ...onnxSignature(model, options) };
}
