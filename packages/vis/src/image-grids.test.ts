import { describe, expect, it } from 'vitest';
import { enlarge, reconstructionGrid } from './image-grids';

describe('reconstructionGrid', () => {
  it('puts originals, corrupted inputs and reconstructions in rows, one column per example, unscaled', () => {
    const image = reconstructionGrid(
      { originals: [1, 0, 0.5, 0.5], corrupted: [0, 0, 0.5, 0], reconstructions: [0.9, 0.1, 0.4, 0.6] },
      { imageShape: [1, 2] },
    );
    expect([image.height, image.width]).toEqual([5, 5]);
    expect(Array.from(image.pixels)).toEqual([255, 0, 0, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 0, 0, 0, 0, 229, 25, 0, 102, 153]);
  });

  it('refuses a row with fewer images than requested', () => {
    expect(() => reconstructionGrid({ originals: [1, 1, 1, 1], reconstructions: [1, 1] }, { imageShape: [1, 2], count: 2 })).toThrow(
      'reconstructionGrid: every row must hold at least 2 images of 2 values (4); one holds 2.',
    );
  });
});

describe('enlarge', () => {
  it('repeats every pixel factor x factor times', () => {
    const image = enlarge({ pixels: Uint8Array.of(1, 2, 3, 4), width: 2, height: 2 }, 2);
    expect(Array.from(image.pixels)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expect(() => enlarge(image, 0)).toThrow(/factor must be a whole number >= 1/);
  });
});
