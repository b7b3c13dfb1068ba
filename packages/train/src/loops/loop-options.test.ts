import { imageSetFromBytes, type ImageSet } from '@sdae/datasets';
import { describe, expect, it } from 'vitest';
import { dataFingerprint } from './loop-options';

/** 16 images of 4 x 4 pixels holding the bytes 0..255 (divided by 255), labels 0..9, 0..5; `change` alters one byte. */
function everyByteSet(change?: number): ImageSet {
  const bytes = Uint8Array.from({ length: 256 }, (_, byte) => byte);
  if (change !== undefined) bytes[change] ^= 1;
  const labels = Uint8Array.from({ length: 16 }, (_, index) => index % 10);
  return imageSetFromBytes(bytes, labels, { start: 0, count: 16, height: 4, width: 4, numClasses: 10 });
}

describe('dataFingerprint', () => {
  it('gives the fingerprint that checkpoints recorded before it read bytes (a known answer)', () => {
    // zlib.crc32 of the labels after the pixels' float32 bytes (little-endian): main's dataFingerprint at f82531b.
    expect(dataFingerprint(everyByteSet())).toBe('16 images of 4 x 4, crc32 4a3fd280');
  });

  it("is the same for a loader's set and a copy of its pixels made elsewhere", () => {
    const loaded = everyByteSet();
    expect(dataFingerprint({ ...loaded, images: Float32Array.from(loaded.images) })).toBe(dataFingerprint(loaded));
  });

  it('changes with one pixel', () => {
    expect(dataFingerprint(everyByteSet(200))).not.toBe(dataFingerprint(everyByteSet()));
  });
});
