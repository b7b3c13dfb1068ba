import { InvalidArgumentError } from '@sdae/core';

/**
 * The most pixels a picture sdae writes may have: 25 megapixels (100 MB as RGBA), the size of a
 * large photograph. Past it a PNG takes gigabytes to build and no viewer shows it whole.
 */
export const MAX_PICTURE_PIXELS = 25_000_000;

/**
 * The grid of tiles a filter picture lays `filterCount` filters out in: rows of 10, as many rows
 * as the filters fill, at most 10 (the tutorial's 10 x 10 of 500).
 */
export function filterTileShape(filterCount: number): [number, number] {
  return [Math.min(10, Math.max(1, Math.ceil(filterCount / 10))), 10];
}

/** The width and height in pixels of a filter picture of `filterCount` tiles of `imageShape`, 1 pixel apart, enlarged `enlargeBy` times. */
export function filterPictureSize(filterCount: number, enlargeBy: number, imageShape: [number, number] = [28, 28]): [number, number] {
  const [rows, columns] = filterTileShape(filterCount);
  return [((imageShape[1] + 1) * columns - 1) * enlargeBy, ((imageShape[0] + 1) * rows - 1) * enlargeBy];
}

/**
 * Refuses an enlargement that would make a filter picture of `filterCount` tiles larger than
 * {@link MAX_PICTURE_PIXELS}, before anything trains: `sdae sda --enlarge 300` would otherwise
 * fail after pretraining, building a picture of billions of pixels.
 *
 * @throws {InvalidArgumentError} naming `flagName` (a usage error), the picture's size and the largest factor that fits.
 */
export function requireEnlargeFits(flagName: string, enlargeBy: number, filterCount: number): void {
  const [width, height] = filterPictureSize(filterCount, enlargeBy);
  if (width * height <= MAX_PICTURE_PIXELS) return;
  const [baseWidth, baseHeight] = filterPictureSize(filterCount, 1);
  const largest = Math.max(1, Math.floor(Math.sqrt(MAX_PICTURE_PIXELS / (baseWidth * baseHeight))));
  throw new InvalidArgumentError(
    flagName,
    enlargeBy,
    `${flagName} ${enlargeBy} would make the ${baseWidth} x ${baseHeight} picture of ${filterCount} filters ${width} x ${height} pixels, ` +
      `more than the ${MAX_PICTURE_PIXELS / 1e6} megapixels a picture may have (a PNG that size takes gigabytes to build). ` +
      `Use ${flagName} ${largest} or less.`,
  );
}
