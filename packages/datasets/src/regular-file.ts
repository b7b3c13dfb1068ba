// Bounded, typed reads of the files users hand to sdae (models, checkpoints, pictures, MNIST):
// a file is read only when it is a regular file no larger than its format allows, so a FIFO, a
// device such as /dev/zero, a symbolic link out of a model's directory or a huge sparse file is
// refused by name before a byte of it is read.
import { constants } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { Stats } from 'node:fs';
import { DatasetFormatError, type DatasetFormatErrorDetails } from './errors';

/** What a refused file is, and the error to throw for it. */
export type FileErrorFactory = (details: DatasetFormatErrorDetails, message: string) => Error;

/** Options of {@link openRegularFile} and {@link readRegularFile}. */
export interface RegularFileOptions {
  /** The public function reading, named first in error messages (`'loadModel'`). */
  caller: string;
  /** The most bytes the file may hold: larger files are refused before anything is read. */
  maxBytes: number;
  /** What the file should be, for messages: `'a checkpoint file'`. */
  kind: string;
  /** The last sentence of every error message: how the user can fix it. */
  fix: string;
  /**
   * A directory the file must lie in once symbolic links are followed (a model's directory), or
   * undefined to accept a file anywhere.
   * @default undefined
   */
  within?: string;
  /**
   * Makes the error thrown for a refused file.
   * @default a DatasetFormatError
   */
  makeError?: FileErrorFactory;
}

/** An open regular file, its size known, read only in bounded pieces. */
export interface RegularFile {
  /** The path it was opened by. */
  path: string;
  /** Its size in bytes when opened (at most the `maxBytes` it was opened with). */
  size: number;
  /** Reads `length` bytes at `offset`; fewer bytes than asked (a file shrunk meanwhile) is an error. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** What a non-regular file is, in words. */
function describeType(found: Stats): string {
  if (found.isDirectory()) return 'a directory';
  if (found.isFIFO()) return 'a FIFO (named pipe)';
  if (found.isCharacterDevice()) return 'a character device';
  if (found.isBlockDevice()) return 'a block device';
  if (found.isSocket()) return 'a socket';
  if (found.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** A byte count for messages: `1.5 MiB (1572864 bytes)`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

function isInside(directory: string, path: string): boolean {
  const inside = relative(directory, path);
  return inside === '' || (!inside.startsWith('..') && !isAbsolute(inside));
}

/**
 * Opens a file for bounded reading, after checking what it is: it must exist, be a regular file
 * (not a FIFO, device, socket or directory: opening never blocks, even on a FIFO), lie inside
 * `within` once links are followed, and hold at most `maxBytes`. Nothing is read yet; the
 * caller reads a header with `read` and compares the size with what the header promises.
 *
 * @throws the error of `makeError` (a DatasetFormatError by default) naming the file, what it is,
 *   what was expected and how to fix it.
 * @example
 * const file = await openRegularFile(path, { caller: 'loadModel', kind: 'a weights file', maxBytes: 1 << 30, fix: 'Save the model again.' });
 * try { const header = await file.read(0, 16); } finally { await file.close(); }
 */
export async function openRegularFile(path: string, options: RegularFileOptions): Promise<RegularFile> {
  const { caller, maxBytes, kind, fix, within } = options;
  const makeError: FileErrorFactory = options.makeError ?? ((details, message) => new DatasetFormatError(details, message));
  const refuse = (field: string, expected: string, found: string, problem: string): never => {
    throw makeError({ file: path, field, expected, found }, `${caller}: ${path} ${problem}. ${fix}`);
  };
  const linked = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    throw makeError(
      { file: path, field: 'file', expected: `${kind} that exists and can be read`, found: error.code ?? error.message },
      `${caller}: cannot read ${path} (${error.code ?? error.message}). ${fix}`,
    );
  });
  if (within !== undefined) {
    const [directory, target] = await Promise.all([realpath(within), realpath(path)]).catch((error: NodeJS.ErrnoException) =>
      refuse('file', `${kind} inside ${within}`, error.code ?? error.message, `cannot be resolved (${error.code ?? error.message})`),
    );
    if (!isInside(directory, target)) {
      refuse(
        'location',
        `${kind} inside ${within}`,
        `a link to ${target}`,
        `is a symbolic link to ${target}, outside ${within}; it was not followed (a model's files stay in its directory)`,
      );
    }
  }
  const found = linked.isSymbolicLink() ? await stat(path).catch(() => linked) : linked;
  if (!found.isFile()) refuse('file type', kind, describeType(found), `is ${describeType(found)}, not ${kind}; it was not read`);
  const tooLarge = (size: number) =>
    refuse(
      'size',
      `at most ${formatBytes(maxBytes)}`,
      formatBytes(size),
      `holds ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} ${kind} may hold; it was not read`,
    );
  if (found.size > maxBytes) tooLarge(found.size);
  // O_NONBLOCK: a FIFO swapped in since the check opens at once (and is refused below) instead of waiting for a writer.
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return refuse('file', `${kind} that can be read`, code, `cannot be opened (${code})`);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) refuse('file type', kind, describeType(opened), `is ${describeType(opened)}, not ${kind}; it was not read`);
    if (opened.size > maxBytes) tooLarge(opened.size);
    return {
      path,
      size: opened.size,
      read: async (offset, length) => {
        const bytes = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        if (filled < length) {
          refuse(
            'size',
            `${offset + length} bytes`,
            `${offset + filled} bytes`,
            `ended after ${offset + filled} bytes, before the ${offset + length} read (it shrank while being read)`,
          );
        }
        return bytes;
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a whole file after the checks of {@link openRegularFile}: a regular file of at most
 * `maxBytes` (inside `within` when given), read in one bounded piece of its size.
 *
 * @throws as {@link openRegularFile}.
 * @example const json = await readRegularFile('model/model.json', { caller: 'loadModel', kind: 'a model.json', maxBytes: 64 << 20, fix });
 */
export async function readRegularFile(path: string, options: RegularFileOptions): Promise<Uint8Array> {
  const file = await openRegularFile(path, options);
  try {
    return await file.read(0, file.size);
  } finally {
    await file.close();
  }
}
