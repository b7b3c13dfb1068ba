import { closeSync, openSync, readFileSync, renameSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SdaeError } from '@sdae/core';

/** The lock file a run keeps in its --out directory while it runs. */
export const LOCK_FILE = '.sdae-lock';

/**
 * The locks this process holds, by path, each released by {@link releaseOutLocks} or at exit, with
 * the directories the run made (the output directory and the new parents above it, up to the
 * first made), removed then if nothing was written into them.
 */
const held = new Map<string, { directory: string; madeFrom: string | undefined }>();

/** What a lock file records. */
interface LockRecord {
  pid: number;
  started: string;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
    return Number.isSafeInteger(record.pid) && record.pid > 0 ? record : undefined;
  } catch {
    return undefined;
  }
}

function releaseAtExit(): void {
  for (const [path, { directory, madeFrom }] of held) {
    if (readLock(path)?.pid !== process.pid) continue;
    rmSync(path, { force: true });
    if (madeFrom === undefined) continue;
    try {
      for (let made = directory; ; made = dirname(made)) {
        rmdirSync(made);
        if (made === madeFrom || dirname(made) === made) break;
      }
    } catch {
      // Not empty: the run wrote its outputs there.
    }
  }
  held.clear();
}

/**
 * Takes the lock of an output directory for this process: a `.sdae-lock` file holding the pid,
 * the start time and the command. A lock of a live process refuses the run; a stale one (its
 * process has died, e.g. killed) is taken over. Released when the command ends or the process exits;
 * with `madeFrom` (the first directory the run made, as `mkdir -p` reports it), the directories it
 * made go too if nothing else was written into them (a run refused before training leaves the
 * disk as it was).
 *
 * @throws {SdaeError} when another live run uses the directory.
 */
export function lockOutDirectory(directory: string, commandLine: readonly string[], madeFrom?: string): void {
  const path = join(directory, LOCK_FILE);
  if (held.has(path)) return;
  const record: LockRecord = { pid: process.pid, started: new Date().toISOString(), command: ['sdae', ...commandLine].join(' ') };
  const content = `${JSON.stringify(record)}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(path, 'wx');
      try {
        writeSync(descriptor, content);
      } finally {
        closeSync(descriptor);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readLock(path);
    if (owner !== undefined && owner.pid !== process.pid && isAlive(owner.pid)) {
      throw new SdaeError(
        `--out ${directory} is in use by another run (pid ${owner.pid}, started ${owner.started}: ${owner.command}). ` +
          `Wait for it to finish or choose another --out; if that process is not an sdae run, remove ${path}.`,
      );
    }
    // Stale (its process is gone) or unreadable: replace it in one rename, then check it is ours.
    const temporary = `${path}.${process.pid}`;
    const descriptor = openSync(temporary, 'w');
    try {
      writeSync(descriptor, content);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
    if (readLock(path)?.pid === process.pid) break;
  }
  if (readLock(path)?.pid !== process.pid) {
    throw new SdaeError(`--out ${directory}: another run took its lock ${path} at the same moment. Choose another --out.`);
  }
  if (held.size === 0) process.once('exit', releaseAtExit);
  held.set(path, { directory, madeFrom });
}

/** Releases every output lock this process holds (at the end of a command). */
export function releaseOutLocks(): void {
  releaseAtExit();
  process.removeListener('exit', releaseAtExit);
}
