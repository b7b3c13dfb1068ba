import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { selectBackend } from '@sdae/backend';
import { Mlp, saveModel } from '@sdae/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { MAX_PEAK_RSS_BYTES, measuredSdae, type MeasuredRun } from './measured-cli.test-helper';
import { concat, ihdrChunk, pngChunk, pngChunks, pngFile, repeated, sevenPixels, sevenPng, zlibStream } from './picture-bytes.test-helper';

// Issue 27, cases 2 and 3: hostile pictures and files given to the built command. Each is refused
// by name (class and message) with its exit code, or decoded within budget, and every run's
// peak resident memory, reported by the child process itself, stays under 300 MB.

let root: string;
let model: string;
/** Each run's peak RSS in MB, printed after the tests for the record. */
const peaks: Record<string, number> = {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-hostile-'));
  await selectBackend({ backend: 'cpu' });
  const mlp = new Mlp({ inputSize: 784, hiddenSizes: [8], numClasses: 10, seed: 1 });
  model = join(root, 'model');
  await saveModel(mlp, model);
  mlp.dispose();
  writeFileSync(join(root, 'seven.png'), sevenPng());
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  console.log(`peak RSS (MB) per run: ${JSON.stringify(peaks)}`);
});

/** Expects a refusal: the exit code, the error class first in the stack SDAE_DEBUG prints, its message, and the memory bound. */
function expectRefused(run: MeasuredRun, code: number, className: string, message: string, options: { printsHeader?: boolean } = {}): void {
  expect(run.code, run.err).toBe(code);
  expect(run.err).toContain(`sdae: ${message}`);
  expect(run.err).toMatch(new RegExp(`^${className}: `, 'm'));
  if (!options.printsHeader) expect(run.out).toBe('');
  expectBoundedMemory(run);
}

function expectBoundedMemory(run: MeasuredRun): void {
  expect(run.peakRss, 'the child reported its peak RSS').toBeDefined();
  peaks[run.args.join(' ').replaceAll(`${root}/`, '')] = Math.round(run.peakRss! / 2 ** 20);
  expect(run.peakRss!).toBeLessThan(MAX_PEAK_RSS_BYTES);
}

const predict = (...images: string[]) => measuredSdae(['predict', '--model', model, ...images]);

describe('sdae predict on hostile pictures (case 2)', () => {
  it('refuses a 1 MB PNG whose 1 x 1 header hides image data inflating to 1 GiB, after a few MiB', async () => {
    const file = join(root, 'idat-bomb.png');
    writeFileSync(file, pngFile(ihdrChunk(1, 1, 8, 0), pngChunk('IDAT', await zlibStream(repeated(new Uint8Array(1024 * 1024), 1024)))));
    expectRefused(
      await predict(file),
      EXIT.usage,
      'InvalidArgumentError',
      `IMAGE ${file} starts as a PNG file but cannot be decoded (its image data inflates past the 2 bytes its 1 x 1 IHDR implies (a ` +
        'damaged file or a decompression bomb); inflation was stopped there); save the picture again as PNG or JPEG.',
    );
  });

  it('predicts a picture carrying a 1 GiB colour-profile bomb as it predicts the picture without it, never inflating the profile', async () => {
    const [header, ...rest] = pngChunks(sevenPng());
    const profile = await zlibStream(repeated(new Uint8Array(1024 * 1024), 1024));
    const file = join(root, 'iccp-bomb.png');
    writeFileSync(
      file,
      pngFile(header!, pngChunk('iCCP', concat(new TextEncoder().encode('bomb'), Uint8Array.of(0, 0), profile)), ...rest),
    );
    const [plain, bombed] = [await predict(join(root, 'seven.png')), await predict(file)];
    expect(bombed.code, bombed.err).toBe(EXIT.ok);
    expect(bombed.out).toBe(plain.out.replace(join(root, 'seven.png'), file));
    expectBoundedMemory(bombed);
  });

  it('checks the real IHDR when another chunk comes first: an 8000 x 8000 picture is refused before decoding', async () => {
    const file = join(root, 'hidden-header.png');
    const rows = await zlibStream(repeated(new Uint8Array(8001), 8000), 1);
    writeFileSync(
      file,
      pngFile(pngChunk('tEXt', new TextEncoder().encode('Comment\0first')), ihdrChunk(8000, 8000, 8, 0), pngChunk('IDAT', rows)),
    );
    expectRefused(
      await predict(file),
      EXIT.usage,
      'InvalidArgumentError',
      `IMAGE ${file} is 8000 x 8000 pixels (64.0 megapixels), more than the 4 megapixels a PNG is read at; nothing was decoded. ` +
        'Scale it down: the network sees 28 x 28 pixels.',
    );
  });

  it('refuses a small 5000 x 5000 16-bit picture from its header', async () => {
    const file = join(root, 'sixteen-bit.png');
    const row = new Uint8Array(1 + 5000 * 8).fill(0xff);
    row[0] = 0;
    writeFileSync(file, pngFile(ihdrChunk(5000, 5000, 16, 6), pngChunk('IDAT', await zlibStream(repeated(row, 5000)))));
    expectRefused(
      await predict(file),
      EXIT.usage,
      'InvalidArgumentError',
      `IMAGE ${file} is 5000 x 5000 pixels (25.0 megapixels), more than the 4 megapixels a PNG is read at; nothing was decoded.`,
    );
  });

  it('predicts the largest pictures accepted, a 4-megapixel 16-bit RGBA PNG and a 1.5-megapixel JPEG, under 300 MB', async () => {
    const side = 2000;
    const seven = sevenPixels(side);
    const rows = function* () {
      for (let y = 0; y < side; y++) {
        const row = new Uint8Array(1 + side * 8);
        for (let x = 0; x < side; x++) row.fill(seven[y * side + x]!, 1 + 8 * x, 1 + 8 * x + 6).fill(0xff, 1 + 8 * x + 6, 1 + 8 * x + 8);
        yield row;
      }
    };
    const png = join(root, 'large.png');
    writeFileSync(png, pngFile(ihdrChunk(side, side, 16, 6), pngChunk('IDAT', await zlibStream(rows(), 1))));
    const jpegSide = 1224;
    const small = sevenPixels(jpegSide);
    const rgba = new Uint8Array(jpegSide * jpegSide * 4);
    small.forEach((grey, pixel) => rgba.set([grey, grey, grey, 255], 4 * pixel));
    const jpeg = join(root, 'large.jpg');
    writeFileSync(jpeg, encodeJpeg({ data: rgba, width: jpegSide, height: jpegSide }, 90).data);
    for (const [file, source] of [
      [png, 'PNG 2000 x 2000'],
      [jpeg, 'JPEG 1224 x 1224'],
    ] as const) {
      const run = await predict(file);
      expect(run.code, run.err).toBe(EXIT.ok);
      expect(run.out).toContain(`${file} (${source}, light background, inverted): `);
      expectBoundedMemory(run);
    }
  });

  it('refuses a FIFO and a device as pictures at once, by their type, and a 1.9 GB sparse file by its size', async () => {
    const fifo = join(root, 'picture.fifo');
    execFileSync('mkfifo', [fifo]);
    expectRefused(
      await predict(fifo),
      EXIT.usage,
      'InvalidArgumentError',
      `IMAGE: ${fifo} is a FIFO (named pipe), not a PNG or JPEG picture; it was not read. Pass a PNG or JPEG picture of a digit (at most 32 MiB).`,
    );
    expectRefused(
      await predict('/dev/zero'),
      EXIT.usage,
      'InvalidArgumentError',
      'IMAGE: /dev/zero is a character device, not a PNG or JPEG picture',
    );
    const sparse = join(root, 'sparse.png');
    writeFileSync(sparse, '');
    truncateSync(sparse, 1_900_000_000);
    expectRefused(
      await predict(sparse),
      EXIT.usage,
      'InvalidArgumentError',
      `IMAGE: ${sparse} holds 1.8 GiB (1900000000 bytes), more than the 32.0 MiB (33554432 bytes) a PNG or JPEG picture may hold; it was not read.`,
    );
  });
});

describe('models and checkpoints that are not files (case 3)', () => {
  it('refuses /dev/zero as --model of export and predict, and as --resume', async () => {
    const message =
      'readCheckpointFile: /dev/zero is a character device, not a checkpoint file; it was not read. Pass the file given to fileCheckpoint.';
    expectRefused(
      await measuredSdae(['export', '--model', '/dev/zero', '--out', join(root, 'never')]),
      EXIT.failed,
      'ModelFormatError',
      message,
    );
    expectRefused(
      await measuredSdae(['predict', '--model', '/dev/zero', join(root, 'seven.png')]),
      EXIT.failed,
      'ModelFormatError',
      message,
    );
    const resume = await measuredSdae([
      'da',
      '--split',
      'mini',
      '--limit',
      '100',
      '--hidden',
      '5',
      '--backend',
      'cpu',
      '--resume',
      '/dev/zero',
      '--out',
      join(root, 'never'),
    ]);
    expectRefused(resume, EXIT.failed, 'ModelFormatError', message, { printsHeader: true });
  });

  it('refuses a FIFO as --model at once', async () => {
    const fifo = join(root, 'model.fifo');
    execFileSync('mkfifo', [fifo]);
    expectRefused(
      await measuredSdae(['predict', '--model', fifo, join(root, 'seven.png')]),
      EXIT.failed,
      'ModelFormatError',
      `readCheckpointFile: ${fifo} is a FIFO (named pipe), not a checkpoint file; it was not read.`,
    );
  });

  it('refuses a model whose weights.bin is linked to /dev/zero', async () => {
    const linked = join(root, 'linked-model');
    const mlp = new Mlp({ inputSize: 784, hiddenSizes: [8], numClasses: 10 });
    await saveModel(mlp, linked);
    mlp.dispose();
    unlinkSync(join(linked, 'weights.bin'));
    symlinkSync('/dev/zero', join(linked, 'weights.bin'));
    expectRefused(
      await measuredSdae(['predict', '--model', linked, join(root, 'seven.png')]),
      EXIT.failed,
      'ModelFormatError',
      `loadModel: ${join(linked, 'weights.bin')} is a symbolic link to /dev/zero, outside ${linked}; it was not followed (a model's files ` +
        'stay in its directory). Pass the directory written by saveModel.',
    );
  });

  it('reads only the header of a 1.9 GB sparse file given as --model before refusing its signature', async () => {
    const sparse = join(root, 'sparse.sdae');
    writeFileSync(sparse, '');
    truncateSync(sparse, 1_900_000_000);
    expectRefused(
      await measuredSdae(['export', '--model', sparse, '--out', join(root, 'never')]),
      EXIT.failed,
      'ModelFormatError',
      `${sparse}: header is wrong: expected the "SDAE" signature and a 16-byte header, found bytes 00 00 00 00.`,
    );
  });
});
