import { InvalidArgumentError, requireKnownKeys, requireNonNegativeInteger, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { tileRasterImages, type GreyImage } from './tile-raster-images';

/** Options of {@link reconstructionGrid}. */
export interface ReconstructionGridOptions {
  /** The `[height, width]` of one image. @default [28, 28] */
  imageShape?: [number, number];
  /** How many examples (columns) to show. @default all the originals, at most 10; with `grid`, rows x columns */
  count?: number;
  /**
   * Lay each set (originals, corrupted, reconstructions) out as a `[rows, columns]` grid of
   * examples, the sets side by side 4 pixels apart (one row of examples: stacked, as without it).
   * @default one row of `count` examples per set, the sets stacked
   */
  grid?: [number, number];
}

/** Black pixels between the sets of a {@link reconstructionGrid} laid out side by side. */
const SET_SPACING = 4;

/**
 * Originals, corrupted inputs and reconstructions side by side: one row of tiles each (rows left
 * out when not given), one column per example; with `grid: [r, c]` (r > 1) each set is an r x c
 * grid of the same examples and the sets sit side by side. Values are pixels in [0, 1], shown unscaled.
 *
 * @example const image = reconstructionGrid({ originals: x.dataSync(), corrupted: da.corrupt(x).dataSync(), reconstructions: da.reconstruct(x).dataSync() });
 */
export function reconstructionGrid(
  rows: { originals: ArrayLike<number>; corrupted?: ArrayLike<number>; reconstructions?: ArrayLike<number> },
  options: ReconstructionGridOptions = {},
): GreyImage {
  requireKnownKeys('reconstructionGrid', 'options', options, {
    imageShape: true,
    count: true,
    grid: true,
  } satisfies KnownKeys<ReconstructionGridOptions>);
  const caller = 'reconstructionGrid';
  const imageShape = options.imageShape ?? [28, 28];
  const imageSize = imageShape[0] * imageShape[1];
  const available = Math.floor(rows.originals.length / imageSize);
  const grid = options.grid === undefined ? undefined : requireGrid(caller, options.grid);
  const count = requirePositiveInteger(
    caller,
    'count',
    options.count ?? (grid === undefined ? Math.min(available, 10) : grid[0] * grid[1]),
  );
  const present = [rows.originals, rows.corrupted, rows.reconstructions].filter((row): row is ArrayLike<number> => row !== undefined);
  const values = new Float32Array(present.length * count * imageSize);
  present.forEach((row, index) => {
    if (row.length < count * imageSize) {
      throw new InvalidArgumentError(
        'rows',
        row.length,
        `${caller}: every row must hold at least ${count} images of ${imageSize} values (${count * imageSize}); one holds ${row.length}.`,
      );
    }
    for (let value = 0; value < count * imageSize; value++) values[index * count * imageSize + value] = row[value];
  });
  if (grid === undefined || grid[0] === 1) {
    return tileRasterImages(values, { imageShape, tileShape: [present.length, grid?.[1] ?? count], scaleRowsToUnitInterval: false });
  }
  const sets = present.map((_, index) =>
    tileRasterImages(values.subarray(index * count * imageSize, (index + 1) * count * imageSize), {
      imageShape,
      tileShape: grid,
      scaleRowsToUnitInterval: false,
    }),
  );
  return besideEachOther(sets, SET_SPACING);
}

function requireGrid(caller: string, grid: unknown): [number, number] {
  if (!Array.isArray(grid) || grid.length !== 2) {
    throw new InvalidArgumentError('grid', grid, `${caller}: grid must be a pair [rows, columns]; received ${JSON.stringify(grid)}.`);
  }
  return [requirePositiveInteger(caller, 'grid[0]', grid[0]), requirePositiveInteger(caller, 'grid[1]', grid[1])];
}

/** Images of one height placed left to right, `spacing` black pixels apart. */
function besideEachOther(images: readonly GreyImage[], spacing: number): GreyImage {
  const height = Math.max(...images.map((image) => image.height));
  const width = images.reduce((sum, image) => sum + image.width, 0) + spacing * (images.length - 1);
  const pixels = new Uint8Array(height * width);
  let left = 0;
  for (const image of images) {
    for (let y = 0; y < image.height; y++) pixels.set(image.pixels.subarray(y * image.width, (y + 1) * image.width), y * width + left);
    left += image.width + spacing;
  }
  return { pixels, width, height };
}

/** Options of {@link activationGrid}. */
export interface ActivationGridOptions {
  /**
   * Scale each layer's values on their own to [0, 1] (min to black, max to white), for
   * activations that are not in [0, 1] (ReLU, tanh). @default false: values taken as [0, 1], clamped
   */
  scaleToUnitInterval?: boolean;
  /** Black pixels between the layers. @default 4 */
  spacing?: number;
}

/**
 * Hidden-unit activations as a picture: one pixel row per example, one column per hidden unit
 * (white = 1), each layer a block left to right (an SdA's layers, first to last). Values in [0,
 * 1] are shown as they are (times 255, truncated), as sigmoid units give them.
 *
 * @param layers each layer's activations, `examples x units` row-major, and its unit count.
 * @throws {InvalidArgumentError} when a layer is not a whole number of examples or the layers hold different numbers of examples.
 * @example const image = activationGrid([{ values: da.encode(x).dataSync(), units: 500 }]);
 */
export function activationGrid(
  layers: readonly { values: ArrayLike<number>; units: number }[],
  options: ActivationGridOptions = {},
): GreyImage {
  const caller = 'activationGrid';
  requireKnownKeys(caller, 'options', options, { scaleToUnitInterval: true, spacing: true } satisfies KnownKeys<ActivationGridOptions>);
  const scale = options.scaleToUnitInterval ?? false;
  const spacing = requireNonNegativeInteger(caller, 'spacing', options.spacing ?? SET_SPACING);
  if (layers.length === 0)
    throw new InvalidArgumentError('layers', layers, `${caller}: layers must hold at least one layer; received none.`);
  const examples = layers[0]!.values.length / requirePositiveInteger(caller, 'layers[0].units', layers[0]!.units);
  const blocks = layers.map(({ values, units }, index) => {
    requirePositiveInteger(caller, `layers[${index}].units`, units);
    if (values.length !== examples * units || !Number.isInteger(examples)) {
      throw new InvalidArgumentError(
        `layers[${index}]`,
        values.length,
        `${caller}: layers[${index}] must hold ${Number.isInteger(examples) ? examples : 'a whole number of'} examples of ${units} units; ` +
          `received ${values.length} values. Give every layer the same examples.`,
      );
    }
    return tileRasterImages(values, { imageShape: [examples, units], tileShape: [1, 1], scaleRowsToUnitInterval: scale });
  });
  return besideEachOther(blocks, spacing);
}

/**
 * Enlarges an image by repeating each pixel `factor` times in both directions (nearest
 * neighbour), e.g. 5 x 5 convolution kernels shown at 50 x 50.
 */
export function enlarge(image: GreyImage, factor: number): GreyImage {
  requirePositiveInteger('enlarge', 'factor', factor);
  const width = image.width * factor;
  const height = image.height * factor;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = image.pixels[Math.floor(y / factor) * image.width + Math.floor(x / factor)];
  }
  return { pixels, width, height };
}
