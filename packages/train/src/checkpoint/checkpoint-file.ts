import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { openRegularFile } from '@sdae/datasets';
import { ModelFormatError, readBundleBytes } from '@sdae/layers';
import type { CheckpointOptions } from '../loops/loop-options';

/**
 * Writes `bytes` to `path` atomically: to a temporary file beside it, flushed to disk, then
 * renamed over the old file. A crash mid-write leaves the previous file intact.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw namingPath(error, target);
  }
}

/**
 * `error` with `path` as its path when it is a file system error without one: a write to an open
 * file (a disk filling up, ENOSPC) carries no path, and the message would not say which file.
 */
export function namingPath(error: unknown, path: string): unknown {
  const system = error as NodeJS.ErrnoException;
  if (error instanceof Error && typeof system.code === 'string' && system.path === undefined) system.path = path;
  return error;
}

/**
 * Removes the temporary files (`<path>.tmp-*`) that writes of `path` interrupted by a crash or a
 * kill left behind. One process writes a given path at a time.
 */
export async function removeWriteLeftovers(path: string): Promise<void> {
  const target = resolve(path);
  const prefix = `${basename(target)}.tmp-`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  for (const name of names) if (name.startsWith(prefix)) await rm(join(dirname(target), name), { force: true });
}

/**
 * Checkpoints to one file, replaced atomically each time; the first write also removes the
 * temporary files of writes a crash or kill interrupted.
 *
 * @example
 * await trainAutoencoder(da, mnist.train, { checkpoint: fileCheckpoint('runs/da.ckpt', { every: 1 }) });
 * // later: { resume: await readCheckpointFile('runs/da.ckpt') }
 */
export function fileCheckpoint(path: string, options: { every?: number } = {}): CheckpointOptions {
  let cleaned = false;
  return {
    every: options.every ?? 1,
    write: async (bytes) => {
      if (!cleaned) await removeWriteLeftovers(path);
      cleaned = true;
      await writeFileAtomic(path, bytes);
    },
  };
}

/** The largest checkpoint read (2 GiB, about what one typed array holds). */
const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/**
 * Reads a checkpoint file for the `resume` option, bounded and typed: a regular file (not a FIFO
 * or device) whose header is read first, and whose size must be what its header and tensor list
 * promise before the rest is read.
 *
 * @throws {ModelFormatError} naming the file when it cannot be read, is not a regular file, or its
 *   size differs from what it promises.
 */
export async function readCheckpointFile(path: string): Promise<Uint8Array> {
  const file = await openRegularFile(path, {
    caller: 'readCheckpointFile',
    kind: 'a checkpoint file',
    maxBytes: MAX_CHECKPOINT_BYTES,
    fix: 'Pass the file given to fileCheckpoint.',
    makeError: (details, message) => new ModelFormatError(details, message),
  });
  try {
    return await readBundleBytes(file.size, (offset, length) => file.read(offset, length), path);
  } finally {
    await file.close();
  }
}
