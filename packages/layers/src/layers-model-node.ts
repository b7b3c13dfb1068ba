import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { formatError } from './bundle';
import {
  exportLayersModelWith,
  importLayersModelWith,
  partsOf,
  routerHandler,
  type ExportedLayersModel,
  type LayersModelLocation,
} from './layers-model-io';
import type { LayersModelPart } from './layers-format';
import type { AnyModel } from './model-io';
import { MAX_MODEL_JSON_BYTES, MAX_WEIGHT_BYTES, readModelFile, recoverModelDirectory, writeDirectoryAtomically } from './save-load-node';
import { openRegularFile, readRegularFile, type RegularFileOptions } from '@sdae/datasets';
import { ModelFormatError } from './errors';

/** The size of one weight file, as tensorflowjs_converter splits them (4 MiB). */
const SHARD_BYTES = 4 * 1024 * 1024;

/** The file holding a layers model's topology and weights manifest. */
const MODEL_JSON = 'model.json';

/**
 * A tfjs IOHandler for a directory holding a layers-format model: `model.json` (topology and
 * weights manifest) and the weights in 4 MiB shards `group1-shard1of1.bin`..., as
 * tensorflowjs_converter writes them. Saving replaces the directory atomically as saveModel does
 * (a complete copy exists at every moment); loading puts back a copy an interrupted save left.
 * Works with any tfjs model, which makes `tf.loadLayersModel` and `model.save` usable with
 * directories in Node without @tensorflow/tfjs-node.
 *
 * @example const model = await tf.loadLayersModel(layersModelDirectory('export/mlp'));
 */
export function layersModelDirectory(directory: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
        throw new TypeError(
          `layersModelDirectory: ${directory}: saving needs a JSON modelTopology (a layers model); a graph model's binary topology is not supported.`,
        );
      }
      const data = new Uint8Array(
        artifacts.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(artifacts.weightData).slice(),
      );
      const count = Math.ceil(data.length / SHARD_BYTES);
      const files: Record<string, Uint8Array | string> = {};
      const paths: string[] = [];
      for (let shard = 0; shard < count; shard++) {
        const name = `group1-shard${shard + 1}of${count}.bin`;
        paths.push(name);
        files[name] = data.subarray(shard * SHARD_BYTES, (shard + 1) * SHARD_BYTES);
      }
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      files[MODEL_JSON] = `${JSON.stringify(modelJson)}\n`;
      await writeDirectoryAtomically(directory, files);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      await recoverModelDirectory(directory, false);
      const file = join(directory, MODEL_JSON);
      const fix = 'Pass a directory written by exportLayersModel, model.save or tensorflowjs_converter.';
      const text = new TextDecoder().decode(
        await readModelFile('importLayersModel', file, fix, { kind: 'a model.json', maxBytes: MAX_MODEL_JSON_BYTES, within: directory }),
      );
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw formatError(file, 'content', 'valid JSON', (error as Error).message, fix);
      }
      const manifest = (json as Partial<tf.io.ModelJSON> | null)?.weightsManifest;
      const valid =
        typeof json === 'object' &&
        json !== null &&
        'modelTopology' in json &&
        Array.isArray(manifest) &&
        manifest.every(
          (group) => Array.isArray(group?.paths) && group.paths.every((path) => typeof path === 'string') && Array.isArray(group?.weights),
        );
      if (!valid)
        throw formatError(
          file,
          'content',
          'a model.json with modelTopology and weightsManifest [{ paths, weights }]',
          text.slice(0, 80),
          fix,
        );
      return tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, async (groups) => {
        const shards = await checkShards(directory, file, groups, fix);
        const data = new Uint8Array(shards.reduce((total, shard) => total + shard.size, 0));
        let offset = 0;
        for (const shard of shards) {
          // Read with the size checked above as its budget: a file that grew since is refused.
          const bytes = await readRegularFile(shard.path, { ...shard.options, maxBytes: shard.size });
          if (bytes.length !== shard.size) {
            throw formatError(shard.path, 'size', `${shard.size} bytes`, `${bytes.length} bytes (it changed while being read)`, fix);
          }
          data.set(bytes, offset);
          offset += shard.size;
        }
        return [groups.flatMap((group) => group.weights), data.buffer];
      });
    },
  };
}

/** A weight file, checked, and how to read it. */
interface WeightShard {
  path: string;
  size: number;
  options: RegularFileOptions;
}

/** Bytes per stored value of each weight dtype (or quantized dtype) of the layers format. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/**
 * The weight shards a manifest lists, with their sizes, checking the manifest against itself and the files
 * before any byte of weights is read: each path a file name inside `directory` listed once, each
 * shard a regular file there (links followed), and their sizes summing to what the weights'
 * shapes and dtypes fill.
 */
async function checkShards(directory: string, file: string, groups: tf.io.WeightsManifestConfig, fix: string): Promise<WeightShard[]> {
  const paths = groups.flatMap((group) => group.paths);
  const listed = new Set<string>();
  for (const path of paths) {
    if (isAbsolute(path) || normalize(path).split(/[\\/]/).includes('..')) {
      throw formatError(file, 'weightsManifest paths', 'file names inside the directory', JSON.stringify(path), fix);
    }
    const name = normalize(path);
    if (listed.has(name)) {
      throw formatError(
        file,
        'weightsManifest paths',
        'each weight file listed once',
        `${JSON.stringify(path)} listed again (${paths.length} paths in all)`,
        fix,
      );
    }
    listed.add(name);
  }
  let promised = 0;
  for (const spec of groups.flatMap((group) => group.weights)) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const shapeValid = Array.isArray(spec.shape) && spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!shapeValid || DTYPE_BYTES[dtype] === undefined) {
      throw formatError(
        file,
        `weight ${spec.name}`,
        'a shape of whole sizes and a numeric dtype',
        JSON.stringify({ shape: spec.shape, dtype }),
        fix,
      );
    }
    promised += spec.shape.reduce((product, d) => product * d, 1) * DTYPE_BYTES[dtype]!;
  }
  if (promised > MAX_WEIGHT_BYTES) {
    throw formatError(file, 'weightsManifest', `at most ${MAX_WEIGHT_BYTES} bytes of weights`, `weights filling ${promised} bytes`, fix);
  }
  const options: RegularFileOptions = {
    caller: 'importLayersModel',
    kind: 'a weight file of this model',
    maxBytes: promised,
    within: directory,
    fix,
    makeError: (details, message) => new ModelFormatError(details, message),
  };
  // Each shard is opened only to learn its type and size (closed at once: thousands may be listed).
  const shards: WeightShard[] = [];
  for (const path of paths) {
    const shard = await openRegularFile(join(directory, path), options);
    await shard.close();
    shards.push({ path: shard.path, size: shard.size, options });
  }
  const found = shards.reduce((total, shard) => total + shard.size, 0);
  if (found !== promised) {
    throw formatError(
      file,
      'size of the weight files',
      `${promised} bytes in all (what the weights' shapes and dtypes fill)`,
      `${found} bytes in ${shards.length} file${shards.length === 1 ? '' : 's'}`,
      fix,
    );
  }
  return shards;
}

/** A directory for a string location that is not a URL of another scheme (`file://` URLs are directories). */
function directoryOf(location: string): string | undefined {
  if (location.startsWith('file://')) return fileURLToPath(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined;
  return basename(location) === MODEL_JSON ? dirname(location) : location;
}

function nodeHandler(location: string, caller: string, purpose: 'save' | 'load'): tf.io.IOHandler {
  const directory = directoryOf(location);
  return directory === undefined ? routerHandler(location, caller, purpose) : layersModelDirectory(directory);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isFile(),
    () => false,
  );
}

/**
 * Writes a model in the standard TensorFlow.js layers format, which `tf.loadLayersModel` loads
 * with the same predictions; in Node `location` may also be a directory (or `file://` URL):
 * `<dir>/model.json` and its weight shards, or for a dA `<dir>/encoder/` and `<dir>/decoder/`.
 * Each such directory is replaced as a whole (atomically, as saveModel replaces its directory),
 * so pass one that holds nothing else. Every other detail is the browser entry's exportLayersModel.
 *
 * @example await exportLayersModel(sda, 'export/sda'); // tf.loadLayersModel(layersModelDirectory('export/sda'))
 */
export function exportLayersModel(model: AnyModel, location: LayersModelLocation): Promise<ExportedLayersModel[]> {
  return exportLayersModelWith(model, location, nodeHandler);
}

/**
 * Loads a layers-format model into the sdae model that computes the same function; in Node
 * `location` may also be a directory (or its model.json): one holding `encoder/` and `decoder/`
 * (an exported dA) gives a DenoisingAutoencoder. Every other detail is the browser entry's
 * importLayersModel.
 *
 * @throws {ModelFormatError} naming the file and the layer sdae cannot represent, and what it supports.
 * @example const cnn = (await importLayersModel('export/cnn')) as ReluCnn;
 */
export async function importLayersModel(location: LayersModelLocation): Promise<AnyModel> {
  let parts: LayersModelPart[] = partsOf(location);
  const directory = typeof location === 'string' ? directoryOf(location) : undefined;
  if (directory !== undefined && !(await isFile(join(directory, MODEL_JSON))) && (await isFile(join(directory, 'encoder', MODEL_JSON)))) {
    parts = ['encoder', 'decoder'];
  }
  return importLayersModelWith(location, parts, nodeHandler, (name) => {
    const partDirectory = directoryOf(name);
    return partDirectory === undefined ? name : join(partDirectory, MODEL_JSON);
  });
}
