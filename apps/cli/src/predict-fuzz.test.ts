import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { selectBackend } from '@sdae/backend';
import { InvalidArgumentError, Random, crc32 } from '@sdae/core';
import { digitInput } from '@sdae/datasets';
import { Mlp, saveModel } from '@sdae/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { MAX_PIXELS, decodeDigitImage } from './digit-image';
import { MAX_PEAK_RSS_BYTES, measuredSdae } from './measured-cli.test-helper';
import { sevenPixels, sevenPng } from './picture-bytes.test-helper';

// Issue 27: mutations of a PNG and a JPEG digit through predict's picture path (decodeDigitImage,
// then digitInput), in this process: each gives an MNIST input or a named error (an
// InvalidArgumentError naming IMAGE or the picture), never another error, in bounded memory.
// SDAE_FUZZ_COUNT sets the mutations per format (2,000 by default); the seed is fixed.

const COUNT = Number(process.env['SDAE_FUZZ_COUNT'] ?? 2000);
const SEED = 27;
/** The few mutations also given to the built command, which must end with exit 0 or 2 under 300 MB. */
const SPAWNED = 3;
/** A cap for larger SDAE_FUZZ_COUNTs on a busy machine (a JPEG mutation takes up to about 5 ms). */
const TIMEOUT_MS = Math.max(60_000, COUNT * 20);

/** Bytes 4-byte-field values that often find bugs: zero, one, the largest signed and unsigned. */
const EXTREMES = [0x00000000, 0x00000001, 0x7fffffff, 0xffffffff, 0x00010000, 0x0000ffff];

/** Rewrites each PNG chunk's CRC so that mutations reach past the checksums into the decoder. */
function fixPngCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 8; offset + 12 <= bytes.length;) {
    const length = view.getUint32(offset);
    if (offset + 12 + length > bytes.length) return;
    view.setUint32(offset + 8 + length, crc32(bytes.subarray(offset + 4, offset + 8 + length)));
    offset += 12 + length;
  }
}

/** One seeded mutation of `original`: flipped bytes, an extreme 4-byte value, a cut, a repeated or removed slice. */
function mutate(original: Uint8Array, random: Random, png: boolean): Uint8Array {
  const at = (length: number) => Math.floor(random.next() * length);
  let bytes = original.slice();
  const kind = at(5);
  if (kind === 0) {
    for (let flips = 1 + at(8); flips > 0; flips--) bytes[at(bytes.length)] = at(256);
  } else if (kind === 1) {
    // Headers sit early: mostly aim there.
    const offset = random.next() < 0.7 ? at(Math.min(64, bytes.length - 4)) : at(bytes.length - 4);
    new DataView(bytes.buffer).setUint32(offset, EXTREMES[at(EXTREMES.length)]!);
  } else if (kind === 2) {
    bytes = bytes.subarray(0, at(bytes.length));
  } else if (kind === 3) {
    const start = at(bytes.length);
    const slice = bytes.subarray(start, start + 1 + at(512));
    const insertAt = at(bytes.length);
    bytes = Uint8Array.from([...bytes.subarray(0, insertAt), ...slice, ...bytes.subarray(insertAt)]);
  } else {
    const start = at(bytes.length);
    bytes = Uint8Array.from([...bytes.subarray(0, start), ...bytes.subarray(start + 1 + at(512))]);
  }
  if (png && random.next() < 0.5) fixPngCrcs(bytes);
  return bytes;
}

let root: string;
let model: string;
const originals: Record<'PNG' | 'JPEG', Uint8Array> = { PNG: new Uint8Array(0), JPEG: new Uint8Array(0) };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-fuzz-'));
  originals.PNG = sevenPng(56);
  const grey = sevenPixels(56);
  const rgba = new Uint8Array(56 * 56 * 4);
  grey.forEach((value, pixel) => rgba.set([value, value, value, 255], 4 * pixel));
  originals.JPEG = new Uint8Array(encodeJpeg({ data: rgba, width: 56, height: 56 }, 90).data);
  await selectBackend({ backend: 'cpu' });
  const mlp = new Mlp({ inputSize: 784, hiddenSizes: [8], numClasses: 10, seed: 1 });
  model = join(root, 'model');
  await saveModel(mlp, model);
  mlp.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(['PNG', 'JPEG'] as const)('predict on %s mutations', (format) => {
  it(
    `gives an MNIST input or a named error for each of ${COUNT} mutations, in bounded memory`,
    () => {
      const random = new Random(SEED + (format === 'PNG' ? 0 : 1));
      const outcomes = { decoded: 0, refused: 0, noDigit: 0 };
      for (let index = 0; index < COUNT; index++) {
        const bytes = mutate(originals[format], random, format === 'PNG');
        const file = `mutation-${index}`;
        let picture: ReturnType<typeof decodeDigitImage>;
        try {
          picture = decodeDigitImage(bytes, file);
        } catch (error) {
          expect(InvalidArgumentError.isInstance(error), `${file}: ${String(error)}`).toBe(true);
          expect((error as InvalidArgumentError).argument).toBe('IMAGE');
          expect((error as Error).message).toMatch(new RegExp(`^IMAGE ${file} `));
          outcomes.refused++;
          continue;
        }
        expect(picture.width * picture.height).toBeLessThanOrEqual(MAX_PIXELS[picture.format]);
        expect(picture.data.length).toBe(picture.width * picture.height * 4);
        try {
          expect(digitInput(picture).input.length).toBe(784);
          outcomes.decoded++;
        } catch (error) {
          expect(InvalidArgumentError.isInstance(error), `${file}: ${String(error)}`).toBe(true);
          outcomes.noDigit++;
        }
      }
      // The mutations reach both ends: some still decode, some are refused.
      expect(outcomes.decoded).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
      // This test file runs in a process of its own: its high-water mark bounds every decoding above.
      expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(MAX_PEAK_RSS_BYTES);
    },
    TIMEOUT_MS,
  );

  it(`ends the built command with exit 0 or 2, never an internal error, for ${SPAWNED} mutations`, async () => {
    const random = new Random(SEED + 100 + (format === 'PNG' ? 0 : 1));
    for (let index = 0; index < SPAWNED; index++) {
      const file = join(root, `spawned-${format}-${index}`);
      writeFileSync(file, mutate(originals[format], random, format === 'PNG'));
      const run = await measuredSdae(['predict', '--model', model, '--backend', 'cpu', file]);
      expect([EXIT.ok, EXIT.usage], run.err).toContain(run.code);
      expect(run.err).not.toContain('internal error');
      expect(run.peakRss).toBeLessThan(MAX_PEAK_RSS_BYTES);
    }
  });
});
