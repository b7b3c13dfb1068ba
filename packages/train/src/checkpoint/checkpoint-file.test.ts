import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder, ModelFormatError } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from './checkpoint';
import { fileCheckpoint, readCheckpointFile, writeFileAtomic } from './checkpoint-file';
import { trainAutoencoder } from '../loops/train-autoencoder';

describe('writeFileAtomic', () => {
  it('keeps the old file whole while a new one is written and when writing fails', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sdae-atomic-'));
    const path = join(directory, 'run.ckpt');
    await writeFile(path, 'good');
    const big = new Uint8Array(64 * 1024 * 1024).fill(7);
    const writing = writeFileAtomic(path, big);
    // While the big write is under way the target still holds the old content.
    expect(await readFile(path, 'utf8')).toBe('good');
    await writing;
    expect((await readFile(path)).length).toBe(big.length);
    await writeFile(path, 'good');
    // A write that fails (the bytes are not bytes) leaves the old file and no temporary file.
    await expect(writeFileAtomic(path, 42 as unknown as Uint8Array)).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe('good');
    expect(await readdir(directory)).toEqual(['run.ckpt']);
  });
});

describe('fileCheckpoint and readCheckpointFile', () => {
  it('write a checkpoint a run can resume from, and name a missing file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sdae-ckpt-'));
    const path = join(directory, 'da.ckpt');
    const set = barsAndStripes({ size: 4, count: 32 });
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4 });
    await trainAutoencoder(da, set, { epochs: 2, batchSize: 8, checkpoint: fileCheckpoint(path) });
    const checkpoint = decodeCheckpoint(await readCheckpointFile(path), path);
    expect(checkpoint.state.nextEpoch).toBe(2);
    expect(checkpoint.className).toBe('DenoisingAutoencoder');
    await expect(readCheckpointFile(join(directory, 'missing.ckpt'))).rejects.toThrow(ModelFormatError);
    await writeFile(path, (await readFile(path)).subarray(0, 100));
    expect(() => decodeCheckpoint(new Uint8Array(Buffer.from('SDAE')), path)).toThrow(/da.ckpt: header is wrong/);
    da.dispose();
  });
});

describe('readCheckpointFile on hostile files', () => {
  const refusal = (path: string) =>
    readCheckpointFile(path).then(
      () => undefined,
      (caught: unknown) => caught as ModelFormatError,
    );

  it('refuses /dev/zero by its type without reading it', async () => {
    const error = await refusal('/dev/zero');
    expect(ModelFormatError.isInstance(error)).toBe(true);
    expect(error!.message).toBe(
      'readCheckpointFile: /dev/zero is a character device, not a checkpoint file; it was not read. Pass the file given to fileCheckpoint.',
    );
  });

  it('refuses a FIFO at once', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sdae-ckpt-')), 'fifo.ckpt');
    execFileSync('mkfifo', [path]);
    expect((await refusal(path))!.found).toBe('a FIFO (named pipe)');
  });

  it('reads only the header of a 1.9 GB sparse file of zeros, whose signature decodeCheckpoint then refuses', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sdae-ckpt-')), 'zeros.ckpt');
    await writeFile(path, '');
    await truncate(path, 1_900_000_000);
    const bytes = await readCheckpointFile(path);
    expect(bytes.length).toBe(16);
    expect(() => decodeCheckpoint(bytes, path)).toThrow(
      `${path}: header is wrong: expected the "SDAE" signature and a 16-byte header, found bytes 00 00 00 00`,
    );
  });

  it('refuses a checkpoint longer than its tensor list promises before reading its values', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sdae-ckpt-'));
    const path = join(directory, 'da.ckpt');
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 4 });
    await trainAutoencoder(da, barsAndStripes({ size: 4, count: 8 }), { epochs: 1, batchSize: 8, checkpoint: fileCheckpoint(path) });
    da.dispose();
    const size = (await readFile(path)).length;
    await truncate(path, size + 1_000_000_000);
    const error = await refusal(path);
    expect(error!.field).toBe('size of the weight data');
    expect(error!.message).toMatch(
      /da\.ckpt: size of the weight data is wrong: expected \d+ bytes \(what its tensor list holds\), found \d+ bytes\. .*it was not read further/,
    );
  });
});

describe('fileCheckpoint leftovers', () => {
  it('removes the temporary files of interrupted writes at its first write, and only those of its path', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sdae-ckpt-tmp-'));
    const path = join(directory, 'run.ckpt');
    await writeFile(`${path}.tmp-0badc0de`, 'half a checkpoint');
    await writeFile(join(directory, 'other.ckpt.tmp-12345678'), 'not ours');
    await fileCheckpoint(path).write(Uint8Array.of(1, 2, 3));
    expect((await readdir(directory)).sort()).toEqual(['other.ckpt.tmp-12345678', 'run.ckpt']);
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
  });
});
