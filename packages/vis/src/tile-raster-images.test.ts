import { describe, expect, it } from 'vitest';
import { tileRasterImages } from './tile-raster-images';

describe('tileRasterImages', () => {
  it('scales each 2x2 tile on its own and lays tiles row-major with 1-pixel black spacing', () => {
    // Three images of 2x2 in a 2x2 grid: the fourth tile stays black.
    const values = [0, 1, 2, 3, /**/ 10, 10, 10, 20, /**/ -1, 1, 1, -1];
    const { pixels, height, width } = tileRasterImages(values, { imageShape: [2, 2], tileShape: [2, 2] });
    expect([height, width]).toEqual([5, 5]);
    // Tile 0: (v - 0) / (3 + 1e-8) * 255 truncated: 0, 84, 169, 254 (255 * 3 / (3 + 1e-8) = 254.999...).
    // Tile 1: 0, 0, 0, 254. Tile 2: 0, 254, 254, 0.
    expect(Array.from(pixels)).toEqual([0, 84, 0, 0, 0, 169, 254, 0, 0, 254, 0, 0, 0, 0, 0, 0, 254, 0, 0, 0, 254, 0, 0, 0, 0]);
  });

  it('gives 289 x 289 pixels for 10 x 10 MNIST tiles and shows only the first 100 rows', () => {
    const values = new Float32Array(101 * 784).map((_, index) => (index % 784) / 783);
    values.fill(5, 100 * 784); // a 101st image that must not appear
    const { pixels, height, width } = tileRasterImages(values);
    expect([height, width]).toEqual([289, 289]);
    expect(pixels[288 * 289 + 288]).toBe(254); // the last pixel of tile 99
    expect(pixels[28 * 289]).toBe(0); // the spacing row
  });

  it('keeps values in [0, 1] as they are when per-tile scaling is off, and a constant tile black', () => {
    const { pixels } = tileRasterImages([0.5, 1, 2, -1, 7, 7, 7, 7], {
      imageShape: [1, 4],
      tileShape: [2, 1],
      scaleRowsToUnitInterval: false,
      tileSpacing: [0, 0],
    });
    expect(Array.from(pixels)).toEqual([127, 255, 255, 0, 255, 255, 255, 255]);
    expect(Array.from(tileRasterImages([7, 7], { imageShape: [1, 2], tileShape: [1, 1] }).pixels)).toEqual([0, 0]);
  });

  it('refuses values that are not whole images and invalid shapes', () => {
    expect(() => tileRasterImages([1, 2, 3], { imageShape: [2, 2] })).toThrow(
      'tileRasterImages: values must hold whole images of 2 x 2 = 4 numbers; received 3 numbers, which is not a multiple of 4. Check imageShape.',
    );
    expect(() => tileRasterImages([1], { imageShape: [1, 1], tileShape: [0, 3] })).toThrow(
      /tileShape\[0\] must be a whole number >= 1; received 0/,
    );
    expect(() => tileRasterImages([1], { imageShape: [1, 1] as never, tileSpacing: [1] as never })).toThrow(/tileSpacing must be a pair/);
  });
});
