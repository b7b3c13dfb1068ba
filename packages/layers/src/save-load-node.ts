import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { crc32 } from '@sdae/core';
import { readRegularFile } from '@sdae/datasets';
import { formatError, manifestBytes, packTensors, unpackTensors } from './bundle';
import { ModelFormatError } from './errors';
import type { Model } from './model';
import { modelFromBundle, modelToBundle, warnOnce, type AnyModel } from './model-io';

/** The file names inside a saved model's directory. */
export const MODEL_FILES = { config: 'model.json', weights: 'weights.bin' } as const;

/**
 * The field of model.json holding the CRC-32 of everything in it but the weight manifest (which
 * has a CRC-32 per tensor): the class, configuration and random states, as compact JSON in the
 * order written. An edit (deleting `config.activation`) would otherwise load another model.
 */
const METADATA_CHECKSUM = 'metadataCrc32';

function metadataChecksum(meta: Record<string, unknown>): number {
  return crc32(new TextEncoder().encode(JSON.stringify(meta)));
}

/**
 * Checks model.json's metadata (without `weights` and the checksum) against its checksum. A
 * model.json without one was saved by an older sdae: it loads, with a warning once per file.
 *
 * @throws {ModelFormatError} naming the file when the metadata changed since it was saved.
 */
function checkMetadata(meta: Record<string, unknown>, checksum: unknown, file: string): void {
  if (checksum === undefined) {
    warnOnce(
      file,
      `sdae: ${file} was saved by an older sdae without a checksum of its configuration, so an edit to it cannot be detected. ` +
        'Save the model again (saveModel) to add one.',
    );
    return;
  }
  if (checksum !== metadataChecksum(meta)) {
    throw new ModelFormatError(
      { file, field: 'metadata', expected: `${METADATA_CHECKSUM} ${JSON.stringify(checksum)}`, found: 'other content' },
      `${file}: the model's class, configuration or random states fail their checksum (${METADATA_CHECKSUM}): the file was edited ` +
        'or damaged since it was saved, and would load another model. Use an intact copy or save the model again.',
    );
  }
}

/** Writes a file and flushes it to disk, so that a rename after it publishes complete content. */
async function writeDurably(path: string, content: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    // A write to an open file (ENOSPC) carries no path: name the file.
    const system = error as NodeJS.ErrnoException;
    if (error instanceof Error && typeof system.code === 'string' && system.path === undefined) system.path = path;
    throw error;
  } finally {
    await handle.close();
  }
}

/** The leftovers of interrupted saves of `target`: its `.partial-*` (new, unpublished) and `.previous-*` (old) siblings. */
async function saveLeftovers(target: string): Promise<{ partial: string[]; previous: string[] }> {
  const base = basename(target);
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  const matching = (kind: string) => names.filter((name) => name.startsWith(`${base}.${kind}-`)).map((name) => join(dirname(target), name));
  return { partial: matching('partial'), previous: matching('previous') };
}

/**
 * Repairs what an interrupted {@link saveModel} left beside `directory`: when the model itself is
 * missing (the save stopped between its two renames), the old model is put back from its
 * `.previous-*` copy; with `removeLeftovers`, every other `.partial-*` and `.previous-*` copy is
 * removed. Called by saveModel (which removes) and loadModel (which only puts back).
 */
export async function recoverModelDirectory(directory: string, removeLeftovers = true): Promise<void> {
  const target = resolve(directory);
  const { partial, previous } = await saveLeftovers(target);
  if (previous.length > 0 && !(await exists(target))) await rename(previous.pop()!, target);
  if (removeLeftovers) for (const leftover of [...partial, ...previous]) await rm(leftover, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Saves a model to a directory holding `model.json` (class, configuration, random states and the
 * weight manifest with a CRC-32 per tensor) and `weights.bin` (float32 little-endian). The new
 * directory is written and flushed beside the target (`<dir>.partial-*`), the old one renamed to
 * `<dir>.previous-*`, the new one renamed into place, then the old one removed: at every moment
 * a complete model exists, under its name or as the previous copy, and the next saveModel or
 * loadModel puts that copy back and removes the leftovers of an interrupted save. One process
 * saves to a directory at a time.
 *
 * @example await saveModel(da, 'runs/da-500');
 */
export async function saveModel(model: Model, directory: string): Promise<void> {
  const { meta, tensors } = modelToBundle(model);
  const { manifest, data } = packTensors(tensors);
  await writeDirectoryAtomically(directory, {
    [MODEL_FILES.weights]: data,
    [MODEL_FILES.config]: `${JSON.stringify({ ...meta, [METADATA_CHECKSUM]: metadataChecksum(meta), weights: manifest }, null, 2)}\n`,
  });
}

/**
 * Replaces `directory` by a new one holding `files` (names relative to it, written in order), as
 * {@link saveModel} does: staged and flushed in `<dir>.partial-*`, the old directory renamed to
 * `<dir>.previous-*`, the new one renamed into place, the old one removed, so that a complete copy
 * exists at every moment and {@link recoverModelDirectory} can put it back.
 */
export async function writeDirectoryAtomically(directory: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const target = resolve(directory);
  await mkdir(dirname(target), { recursive: true });
  await recoverModelDirectory(target);
  const staging = `${target}.partial-${randomBytes(4).toString('hex')}`;
  const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
  await mkdir(staging);
  try {
    for (const [name, content] of Object.entries(files)) await writeDurably(join(staging, name), content);
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

/** The largest model.json read: its configuration and weight manifest (a model's weights are in other files). */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;

/** The most bytes a model's weights may hold once read (2 GiB, about what one typed array holds). */
export const MAX_WEIGHT_BYTES = 2 ** 31 - 1;

/** What {@link readModelFile} accepts: the file's kind for messages, its byte budget, the directory it stays in. */
export interface ModelFileLimits {
  /** What the file should be, for messages: `'a model.json'`. */
  kind: string;
  /** The most bytes it may hold (what its manifest promises, or a budget). */
  maxBytes: number;
  /** The model's directory: the file, links followed, must lie inside it. */
  within: string;
}

/**
 * Reads one file of a saved model, bounded and typed: a regular file inside the model's
 * directory (links followed) of at most `limits.maxBytes`; a FIFO, a device, a link out of the
 * directory or a larger file is refused before it is read.
 *
 * @throws {ModelFormatError} naming `caller` and the file when it cannot or must not be read, ending with `fix`.
 */
export async function readModelFile(caller: string, file: string, fix: string, limits: ModelFileLimits): Promise<Uint8Array> {
  return readRegularFile(file, { caller, fix, ...limits, makeError: (details, message) => new ModelFormatError(details, message) });
}

/**
 * Loads a model saved with {@link saveModel}, first putting back the previous copy when an
 * interrupted save left none under its name.
 *
 * @throws {ModelFormatError} naming the file that is missing, truncated or inconsistent.
 * @example const da = (await loadModel('runs/da-500')) as DenoisingAutoencoder;
 */
export async function loadModel(directory: string): Promise<AnyModel> {
  await recoverModelDirectory(directory, false);
  const configFile = join(directory, MODEL_FILES.config);
  const weightsFile = join(directory, MODEL_FILES.weights);
  const fix = 'Pass the directory written by saveModel.';
  const jsonBytes = await readModelFile('loadModel', configFile, fix, {
    kind: 'a model.json',
    maxBytes: MAX_MODEL_JSON_BYTES,
    within: directory,
  });
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder().decode(jsonBytes)) as Record<string, unknown>;
  } catch (error) {
    throw formatError(configFile, 'content', 'valid JSON', (error as Error).message, 'Save the model again.');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw formatError(configFile, 'content', 'a JSON object', JSON.stringify(meta)?.slice(0, 80) ?? 'nothing', 'Save the model again.');
  }
  // The manifest says how many bytes weights.bin holds: a file of another size is refused before it is read.
  const promised = manifestBytes(meta.weights);
  if (promised === undefined) unpackTensors(meta.weights, new Uint8Array(0), weightsFile);
  if (promised! > MAX_WEIGHT_BYTES) {
    throw formatError(
      configFile,
      'weight manifest',
      `at most ${MAX_WEIGHT_BYTES} bytes of weights`,
      `${promised} bytes`,
      'Save the model again.',
    );
  }
  const weightBytes = await readModelFile('loadModel', weightsFile, fix, {
    kind: 'the weights.bin its model.json describes',
    maxBytes: promised!,
    within: directory,
  });
  const { tensors, verified } = unpackTensors(meta.weights, weightBytes, weightsFile);
  const checksum = meta[METADATA_CHECKSUM];
  const described = { ...meta };
  delete described.weights;
  delete described[METADATA_CHECKSUM];
  // A model.json with neither kind of checksum gets the weights' warning alone.
  if (checksum !== undefined || verified) checkMetadata(described, checksum, configFile);
  return modelFromBundle({ meta: described, tensors, verified }, configFile);
}
