import { describe, expect, it } from 'vitest';
import { activationGrid, enlarge, reconstructionGrid } from './image-grids';

describe('reconstructionGrid', () => {
  it('puts originals, corrupted inputs and reconstructions in rows, one column per example, unscaled', () => {
    const image = reconstructionGrid(
      { originals: [1, 0, 0.5, 0.5], corrupted: [0, 0, 0.5, 0], reconstructions: [0.9, 0.1, 0.4, 0.6] },
      { imageShape: [1, 2] },
    );
    expect([image.height, image.width]).toEqual([5, 5]);
    expect(Array.from(image.pixels)).toEqual([255, 0, 0, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 0, 0, 0, 0, 229, 25, 0, 102, 153]);
  });

  it('lays each set out as a grid of the same examples, the sets side by side 4 pixels apart', () => {
    // Four 1x1 examples in a 2x2 grid: each set is 3 x 3 pixels (1 pixel spacing), two sets 3 + 4 + 3 wide.
    const image = reconstructionGrid(
      { originals: [1, 0.5, 0.2, 0], reconstructions: [0, 0.2, 0.5, 1] },
      { imageShape: [1, 1], grid: [2, 2] },
    );
    expect([image.height, image.width]).toEqual([3, 10]);
    const rows = [0, 1, 2].map((y) => Array.from(image.pixels.subarray(y * 10, y * 10 + 10)));
    expect(rows).toEqual([
      [255, 0, 127, 0, 0, 0, 0, 0, 0, 51],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [51, 0, 0, 0, 0, 0, 0, 127, 0, 255],
    ]);
  });

  it('with a grid of one row stacks the sets as without a grid', () => {
    const rows = { originals: [1, 0, 0.5, 0.5], corrupted: [0, 0, 0.5, 0] };
    expect(reconstructionGrid(rows, { imageShape: [1, 2], grid: [1, 2] })).toEqual(reconstructionGrid(rows, { imageShape: [1, 2] }));
  });

  it('refuses a grid that is not two whole numbers >= 1', () => {
    expect(() => reconstructionGrid({ originals: [1] }, { imageShape: [1, 1], grid: [0, 3] })).toThrow(
      /grid\[0\] must be a whole number >= 1/,
    );
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

describe('activationGrid', () => {
  it('draws one row per example and one column per unit, each layer a block, values in [0, 1] times 255', () => {
    // Two examples; layer 1 has 2 units, layer 2 has 1 unit; 1 pixel between the blocks.
    const image = activationGrid(
      [
        { values: [0, 1, 0.5, 0.25], units: 2 },
        { values: [0.1, 0.9], units: 1 },
      ],
      { spacing: 1 },
    );
    expect([image.height, image.width]).toEqual([2, 4]);
    expect(Array.from(image.pixels)).toEqual([0, 255, 0, 25, 127, 63, 0, 229]);
  });

  it('scales each layer on its own to [0, 1] when asked (ReLU activations)', () => {
    const image = activationGrid([{ values: [0, 2, 4, 8], units: 2 }], { scaleToUnitInterval: true });
    expect(Array.from(image.pixels)).toEqual([0, 63, 127, 254]);
  });

  it('refuses layers holding different numbers of examples', () => {
    expect(() =>
      activationGrid([
        { values: [0, 1, 0, 1], units: 2 },
        { values: [0, 1, 0], units: 1 },
      ]),
    ).toThrow('activationGrid: layers[1] must hold 2 examples of 1 units; received 3 values. Give every layer the same examples.');
  });
});
