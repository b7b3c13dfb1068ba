import { InvalidArgumentError } from '@sdae/core';
import { imageSetFromBytes, type ImageSet } from '@sdae/datasets';
import { describe, expect, it } from 'vitest';
import { requireTrainingImages } from './data-checks';

const UNIT = "the dA's cross-entropy loss needs pixels in [0, 1]";

/** A fresh set of 3 images of 2x2 pixels (each check remembers the sets it passed). */
function setOf(...pixels: number[]): ImageSet {
  return { images: Float32Array.from(pixels), labels: new Uint8Array(3), count: 3, height: 2, width: 2, numClasses: 2 };
}

/** The message `requireTrainingImages` throws for `set` (it must throw an InvalidArgumentError). */
function refusal(set: ImageSet, unitInterval?: string): string {
  try {
    requireTrainingImages('trainAutoencoder', 'set', set, unitInterval);
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  return expect.fail('expected an InvalidArgumentError');
}

describe('requireTrainingImages', () => {
  it('accepts pixels in [0, 1], both ends and -0 included', () => {
    expect(() => requireTrainingImages('trainAutoencoder', 'set', setOf(0, 1, -0, 0.5, 1, 0, 0.25, 0.75, 0, 1, 0, 1), UNIT)).not.toThrow();
  });

  it('names the first NaN or infinite pixel by image and pixel', () => {
    expect(refusal(setOf(0, 0, 0, 0, 0, 0, Number.NaN, 0, 0, 0, 0, 0))).toMatch(
      /holds NaN at image 1, pixel 2; every pixel must be a finite/,
    );
    expect(refusal(setOf(0, 0, 0, 0, 0, 0, 0, 0, 0, -Infinity, 0, 0))).toMatch(/holds -Infinity at image 2, pixel 1;/);
  });

  it('reports a non-finite pixel before an earlier pixel outside [0, 1]', () => {
    expect(refusal(setOf(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Infinity), UNIT)).toMatch(/holds Infinity at image 2, pixel 3;/);
  });

  it('names the first pixel outside [0, 1] when the loss needs them there, and accepts it otherwise', () => {
    const bytes = setOf(0, 255, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(() => requireTrainingImages('trainAutoencoder', 'set', bytes)).not.toThrow();
    expect(refusal(bytes, UNIT)).toMatch(/holds 255 at image 0, pixel 1, but the dA's cross-entropy loss needs pixels in \[0, 1\]/);
  });

  it("does not scan pixels divided from bytes (a loader's), and still scans a copy of them", () => {
    const loaded = imageSetFromBytes(Uint8Array.of(0, 255, 128, 7, 9, 1, 2, 3, 4, 5, 6, 200), new Uint8Array(3), {
      start: 0,
      count: 3,
      height: 2,
      width: 2,
      numClasses: 2,
    });
    const copy = { ...loaded, images: Float32Array.from(loaded.images) };
    // Writes into a loader's array are not seen (pixelBytesOf's contract): a pixel of 255 shows whether the scan ran.
    loaded.images[5] = 255;
    copy.images[5] = 255;
    expect(() => requireTrainingImages('trainAutoencoder', 'set', loaded, UNIT)).not.toThrow();
    expect(refusal(copy, UNIT)).toMatch(/holds 255 at image 1, pixel 1, but the dA's cross-entropy loss needs pixels in \[0, 1\]/);
  });

  it('still refuses a loader-shaped set whose images were replaced by a bad array', () => {
    const loaded = imageSetFromBytes(new Uint8Array(12), new Uint8Array(3), { start: 0, count: 3, height: 2, width: 2, numClasses: 2 });
    loaded.images = Float32Array.of(0, 0, 0, 0, Number.NaN, 0, 0, 0, 0, 0, 0, 0);
    expect(refusal(loaded)).toMatch(/holds NaN at image 1, pixel 0; every pixel must be a finite/);
  });
});
