import { InvalidArgumentError, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { tileRasterImages, type GreyImage } from './tile-raster-images';

/** Options of {@link reconstructionGrid}. */
export interface ReconstructionGridOptions {
  /** The `[height, width]` of one image. @default [28, 28] */
  imageShape?: [number, number];
  /** How many examples (columns) to show. @default all the originals, at most 10 */
  count?: number;
}

/**
 * Originals, corrupted inputs and reconstructions side by side: one row of tiles each (rows left
 * out when not given), one column per example. Values are pixels in [0, 1], shown unscaled.
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
  } satisfies KnownKeys<ReconstructionGridOptions>);
  const caller = 'reconstructionGrid';
  const imageShape = options.imageShape ?? [28, 28];
  const imageSize = imageShape[0] * imageShape[1];
  const available = Math.floor(rows.originals.length / imageSize);
  const count = requirePositiveInteger(caller, 'count', options.count ?? Math.min(available, 10));
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
  return tileRasterImages(values, { imageShape, tileShape: [present.length, count], scaleRowsToUnitInterval: false });
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
