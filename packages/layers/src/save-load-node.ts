import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { formatError, packTensors, unpackTensors } from './bundle';
import { ModelFormatError } from './errors';
import type { Model } from './model';
import { modelFromBundle, modelToBundle, type AnyModel } from './model-io';

/** The file names inside a saved model's directory. */
export const MODEL_FILES = { config: 'model.json', weights: 'weights.bin' } as const;

/**
 * Saves a model to a directory holding `model.json` (class, configuration, random states and the
 * weight manifest) and `weights.bin` (float32 little-endian). The directory is written beside
 * the target and renamed into place, so an interrupted save never leaves a half-written model.
 *
 * @example await saveModel(da, 'runs/da-500');
 */
export async function saveModel(model: Model, directory: string): Promise<void> {
  const target = resolve(directory);
  const { meta, tensors } = modelToBundle(model);
  const staging = `${target}.partial-${randomBytes(4).toString('hex')}`;
  const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
  await mkdir(dirname(target), { recursive: true });
  await mkdir(staging);
  try {
    const { manifest, data } = packTensors(tensors);
    const json = { ...meta, weights: manifest };
    await writeFile(join(staging, MODEL_FILES.weights), data);
    await writeFile(join(staging, MODEL_FILES.config), `${JSON.stringify(json, null, 2)}\n`);
    const hadPrevious = await rename(target, previous).then(
      () => true,
      () => false,
    );
    await rename(staging, target);
    if (hadPrevious) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Loads a model saved with {@link saveModel}.
 *
 * @throws {ModelFormatError} naming the file that is missing, truncated or inconsistent.
 * @example const da = (await loadModel('runs/da-500')) as DenoisingAutoencoder;
 */
export async function loadModel(directory: string): Promise<AnyModel> {
  const configFile = join(directory, MODEL_FILES.config);
  const weightsFile = join(directory, MODEL_FILES.weights);
  const read = async (file: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new ModelFormatError(
        { file, field: 'file', expected: 'a readable file', found: (error as NodeJS.ErrnoException).code ?? 'an error' },
        `loadModel: cannot read ${file} (${(error as Error).message}). Pass the directory written by saveModel.`,
      );
    }
  };
  const [jsonBytes, weightBytes] = await Promise.all([read(configFile), read(weightsFile)]);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(jsonBytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw formatError(configFile, 'content', 'valid JSON', (error as Error).message, 'Save the model again.');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw formatError(configFile, 'content', 'a JSON object', JSON.stringify(meta)?.slice(0, 80) ?? 'nothing', 'Save the model again.');
  }
  const { tensors, verified } = unpackTensors(
    meta.weights,
    new Uint8Array(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength),
    weightsFile,
  );
  delete meta.weights;
  return modelFromBundle({ meta, tensors, verified }, configFile);
}
