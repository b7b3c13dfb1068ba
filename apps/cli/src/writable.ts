import { access, constants, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SdaeError } from '@sdae/core';

/**
 * A file or directory the command must read or write cannot be used. The message is one line:
 * `<what> <path>: <reason>. <how to fix>`; `code` is the system's error code (`ENOTDIR`, `EACCES`).
 */
export class FileAccessError extends SdaeError {
  readonly path: string;
  readonly code: string;

  constructor(fields: { what: string; path: string; reason: string; fix: string; code: string }) {
    super(`${fields.what} ${fields.path}: ${fields.reason}. ${fields.fix}`);
    this.path = fields.path;
    this.code = fields.code;
  }
}

/** A Node system error (`ENOENT`, `EACCES`...) as thrown by `node:fs`. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

/** True for an error `node:fs` threw (it carries an `E...` code). */
export function isSystemError(error: unknown): error is SystemError {
  if (!(error instanceof Error) || SdaeError.isInstance(error)) return false;
  const code = (error as Partial<SystemError>).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory, not a file',
  EEXIST: 'it already exists',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

/** A system error's reason in words, with its code: `permission denied (EACCES)`. */
export function systemErrorReason(error: SystemError): string {
  return `${REASONS[error.code] ?? error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${error.code})`;
}

/**
 * The one-line error for a file system failure outside the up-front checks (a disk filling up
 * during training, a file removed under the run): what was being done, the path, the reason.
 */
export function fileSystemFailure(error: SystemError): FileAccessError {
  return new FileAccessError({
    what: `cannot ${error.syscall ?? 'use'}`,
    path: error.path ?? '(unknown path)',
    reason: systemErrorReason(error),
    fix: 'Check the path, its permissions and the free space, or choose another path',
    code: error.code,
  });
}

/** A path the command will write: a directory (`--out`) or a file (`--checkpoint`). */
export interface OutputPath {
  /** The flag that names it, for the message: `'--out'`. */
  flag: string;
  path: string;
  kind: 'directory' | 'file';
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isSystemError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

/**
 * Creates `directory` and its missing parents one at a time (returning those it made, top
 * first). Node's `mkdir({ recursive: true })` loops forever under `/proc`, so it is not used.
 */
async function makeDirectories(target: OutputPath, directory: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  let current = directory;
  for (;;) {
    const found = await statOrUndefined(current);
    if (found?.isDirectory()) break;
    if (found !== undefined) {
      throw new FileAccessError({
        what: `${target.flag} ${target.kind}`,
        path: target.path,
        reason: current === directory ? 'it is a file, not a directory' : `${current} is a file, not a directory`,
        fix:
          target.kind === 'directory'
            ? `Pass ${target.flag} a directory (new or existing), or move the file away`
            : `Pass ${target.flag} a path whose parents are directories`,
        code: 'ENOTDIR',
      });
    }
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing) {
    await mkdir(path);
    created.push(path);
  }
}

/** Writes and removes a probe file in `directory`. */
async function probe(directory: string): Promise<void> {
  const path = join(directory, `.sdae-write-test-${process.pid}`);
  const handle = await open(path, 'wx');
  try {
    await handle.write('sdae');
  } finally {
    await handle.close();
    await unlink(path);
  }
}

async function checkOne(target: OutputPath, created: string[]): Promise<void> {
  const path = resolve(target.path);
  const directory = target.kind === 'directory' ? path : dirname(path);
  if (target.kind === 'file') {
    const found = await statOrUndefined(path);
    if (found?.isDirectory()) {
      throw new FileAccessError({
        what: `${target.flag} file`,
        path: target.path,
        reason: 'it is a directory, not a file',
        fix: `Pass ${target.flag} a file path, such as ${join(target.path, 'checkpoint.sdae')}`,
        code: 'EISDIR',
      });
    }
    if (found !== undefined) await access(path, constants.W_OK);
  }
  await makeDirectories(target, directory, created);
  await probe(directory);
}

/**
 * Checks that every target can be written before a command loads data or trains: creates the
 * missing directories, writes a probe file into each and removes it, then removes the directories
 * it made (the command makes them again when it first writes). Passed or refused, the disk is
 * left as it was, so a command that stops later on a usage error has written nothing.
 *
 * @throws {FileAccessError} naming the flag, the path, the reason and how to fix it.
 * @example await requireWritable([{ flag: '--out', path: 'runs/da', kind: 'directory' }]);
 */
export async function requireWritable(targets: readonly OutputPath[]): Promise<void> {
  const created: string[] = [];
  let current: OutputPath | undefined;
  try {
    for (const target of targets) {
      current = target;
      await checkOne(target, created);
    }
  } catch (error) {
    if (!isSystemError(error) || current === undefined) throw error;
    throw new FileAccessError({
      what: `${current.flag} ${current.kind}`,
      path: current.path,
      reason: `cannot ${error.syscall ?? 'write'} ${error.path ?? current.path}: ${systemErrorReason(error)}`,
      fix: `Pass ${current.flag} a ${current.kind} you can write, or fix its permissions`,
      code: error.code,
    });
  } finally {
    for (const path of created.reverse()) await rmdir(path).catch(() => undefined);
  }
}
