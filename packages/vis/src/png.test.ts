import { describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import { decodePng, encodePng, greyToRgba, toImageData } from './png';
import { tileRasterImages } from './tile-raster-images';

describe('greyToRgba', () => {
  it('copies each grey byte to R, G and B with an opaque alpha', () => {
    const rgba = greyToRgba({ pixels: Uint8Array.of(0, 128, 255), width: 3, height: 1 });
    expect(Array.from(rgba.data)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });
});

describe('toImageData', () => {
  it('explains that ImageData is a browser API when there is none', () => {
    expect(() => toImageData(greyToRgba({ pixels: Uint8Array.of(1), width: 1, height: 1 }))).toThrow(
      'toImageData: this platform has no ImageData (it is a browser API); in Node use encodePng and write the file.',
    );
  });
});

describe('encodePng', () => {
  it('writes a PNG whose header states the size and whose pixels decode to the same buffer', () => {
    const values = Float32Array.from({ length: 12 * 784 }, (_, index) => Math.sin(index));
    const image = greyToRgba(tileRasterImages(values, { tileShape: [3, 4] }));
    const png = encodePng(image);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(new TextDecoder().decode(png.subarray(12, 16))).toBe('IHDR');
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([4 * 29 - 1, 3 * 29 - 1]);
    const decoded = decodePng(png);
    expect([decoded.width, decoded.height]).toEqual([image.width, image.height]);
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it('refuses a buffer of the wrong size and bytes that are not a PNG', () => {
    expect(() => encodePng({ data: new Uint8ClampedArray(7), width: 1, height: 2 })).toThrow(
      'encodePng: image must be width x height x 4 bytes with whole, positive sizes; received 1 x 2 and 7 bytes.',
    );
    expect(() => decodePng(Uint8Array.of(1, 2, 3))).toThrow(/decodePng: the bytes are not a valid PNG/);
  });

  it('reads 1-bit grey (rows packed, each on whole bytes), 16-bit grey+alpha and palette PNGs as 8-bit RGBA', () => {
    // 3 x 2 pixels, 1 bit each: rows 101 and 010, each padded to one byte.
    const oneBit = decodePng(encode({ width: 3, height: 2, channels: 1, depth: 1, data: Uint8Array.of(0b1010_0000, 0b0100_0000) }));
    expect(Array.from(oneBit.data).filter((_, index) => index % 4 === 0)).toEqual([255, 0, 255, 0, 255, 0]);
    const sixteen = decodePng(encode({ width: 1, height: 1, channels: 2, depth: 16, data: Uint16Array.of(0x8001, 0xffff) }));
    expect(Array.from(sixteen.data)).toEqual([0x80, 0x80, 0x80, 0xff]);
    const palette = decodePng(
      encode({
        width: 2,
        height: 1,
        channels: 1,
        depth: 8,
        data: Uint8Array.of(1, 0),
        palette: [
          [10, 20, 30],
          [200, 100, 50],
        ],
      }),
    );
    expect(Array.from(palette.data)).toEqual([200, 100, 50, 255, 10, 20, 30, 255]);
  });
});
