import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { imageSetFromBytes, imageSetFromBytesOnRead, sliceImageSet } from './image-set';
import { pixelBytesOf, pixelChecksum } from './pixel-sources';

// 6 images of 2 x 3 pixels, every byte value somewhere, no two images alike.
const BYTES = Uint8Array.from({ length: 36 }, (_, index) => (index * 53 + 7) & 0xff).map((byte, index) => (index === 5 ? 255 : byte));
const LABELS = Uint8Array.of(0, 1, 2, 3, 4, 5);
const RANGE = { start: 1, count: 4, height: 2, width: 3, numClasses: 10 };

/** zlib's CRC-32 of the float32 bytes of `values`, made here independently of the code under test. */
function floatCrc(values: ArrayLike<number>, previous = 0): number {
  return zlibCrc32(new Uint8Array(Float32Array.from(values).buffer), previous);
}

describe('pixelBytesOf', () => {
  it("gives imageSetFromBytes's pixels the bytes they were divided from", () => {
    const set = imageSetFromBytes(BYTES, LABELS, RANGE);
    expect(Array.from(pixelBytesOf(set.images)!)).toEqual(Array.from(BYTES.subarray(6, 30)));
  });

  it("keeps its own copy of the bytes: the caller's buffer changing later changes neither bytes nor checksum", () => {
    const buffer = BYTES.slice();
    const set = imageSetFromBytes(buffer, LABELS, RANGE);
    const lazy = imageSetFromBytesOnRead(buffer, LABELS, RANGE);
    const checksum = pixelChecksum(lazy.images);
    buffer.fill(255);
    expect(Array.from(pixelBytesOf(set.images)!)).toEqual(Array.from(BYTES.subarray(6, 30)));
    expect(pixelChecksum(set.images)).toBe(floatCrc(set.images));
    expect(pixelChecksum(lazy.images)).toBe(checksum);
  });

  it('records pixels converted on first read, and not an array that replaced them', () => {
    const set = imageSetFromBytesOnRead(BYTES, LABELS, RANGE);
    expect(Array.from(pixelBytesOf(set.images)!)).toEqual(Array.from(BYTES.subarray(6, 30)));
    set.images = Float32Array.from(set.images);
    expect(pixelBytesOf(set.images)).toBeUndefined();
  });

  it("gives a slice of a loader's set the bytes of its own images", () => {
    const slice = sliceImageSet(imageSetFromBytes(BYTES, LABELS, RANGE), 2, 2);
    expect(Array.from(pixelBytesOf(slice.images)!)).toEqual(Array.from(BYTES.subarray(18, 30)));
  });

  it('knows no bytes for pixels made elsewhere, or a slice of them', () => {
    const images = Float32Array.from(BYTES, (byte) => byte / 255);
    expect(pixelBytesOf(images)).toBeUndefined();
    const slice = sliceImageSet({ images, labels: LABELS, count: 6, height: 2, width: 3, numClasses: 10 }, 1, 2);
    expect(pixelBytesOf(slice.images)).toBeUndefined();
  });
});

describe('pixelChecksum', () => {
  it("equals zlib's CRC-32 of the float pixels for a loader's set, its slices, and an array made elsewhere", () => {
    const set = imageSetFromBytes(BYTES, LABELS, RANGE);
    const expected = floatCrc(Array.from(BYTES.subarray(6, 30), (byte) => byte / 255));
    expect(pixelChecksum(set.images)).toBe(expected);
    expect(pixelChecksum(Float32Array.from(set.images))).toBe(expected);
    const slice = sliceImageSet(set, 1, 3);
    expect(pixelChecksum(slice.images, 0x1234)).toBe(
      floatCrc(
        Array.from(BYTES.subarray(12, 30), (byte) => byte / 255),
        0x1234,
      ),
    );
  });

  it('gives the CRC-32 that fingerprints recorded before it read bytes (a known answer)', () => {
    // The float32 bytes of 0/255 .. 255/255 (little-endian), as crc32 over the pixels gave on main at f82531b.
    const everyByte = imageSetFromBytes(
      Uint8Array.from({ length: 256 }, (_, byte) => byte),
      new Uint8Array(16),
      {
        start: 0,
        count: 16,
        height: 4,
        width: 4,
        numClasses: 10,
      },
    );
    expect(pixelChecksum(everyByte.images)).toBe(0xb438ec03);
    expect(floatCrc(Array.from({ length: 256 }, (_, byte) => byte / 255))).toBe(0xb438ec03);
  });
});
