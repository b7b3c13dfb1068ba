import {
  InvalidArgumentError,
  requireBoolean,
  requireKnownKeys,
  requireNonNegativeInteger,
  requirePositiveInteger,
  type KnownKeys,
} from '@sdae/core';

/** Options of {@link tileRasterImages}; the defaults are Theano's `tile_raster_images`. */
export interface TileRasterImagesOptions {
  /** The `[height, width]` of one image (one row of the input). @default [28, 28] */
  imageShape?: [number, number];
  /** The grid, `[rows, columns]` of tiles. @default [10, 10] */
  tileShape?: [number, number];
  /** Black pixels between tiles, `[vertical, horizontal]`. @default [1, 1] */
  tileSpacing?: [number, number];
  /** Scale each tile on its own to [0, 1] (min to 0, max to 1) before converting. @default true */
  scaleRowsToUnitInterval?: boolean;
}

/** A grey image, one byte per pixel, row-major. */
export interface GreyImage {
  pixels: Uint8Array;
  height: number;
  width: number;
}

function requirePair(caller: string, argument: string, value: unknown, allowZero: boolean): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new InvalidArgumentError(argument, value, `${caller}: ${argument} must be a pair [a, b]; received ${JSON.stringify(value)}.`);
  }
  const check = allowZero ? requireNonNegativeInteger : requirePositiveInteger;
  return [check(caller, `${argument}[0]`, value[0]), check(caller, `${argument}[1]`, value[1])];
}

const TILE_RASTER_IMAGES_OPTION_KEYS: KnownKeys<TileRasterImagesOptions> = {
  imageShape: true,
  tileShape: true,
  tileSpacing: true,
  scaleRowsToUnitInterval: true,
};

/**
 * Lays rows of `values` (e.g. W^T: one filter per row) out as a grid of grey tiles, exactly as
 * Theano's `tile_raster_images`: tiles filled row-major, separated by `tileSpacing` black pixels;
 * each tile scaled on its own (subtract its min, multiply by 1 / (max + 1e-8), times 255,
 * truncated to uint8) unless `scaleRowsToUnitInterval` is false (values then taken as [0, 1]
 * and clamped); spacing and unused tiles stay 0; only the first rows x columns rows are shown.
 * The output is `(h + sv) * rows - sv` by `(w + sh) * columns - sh` pixels: 289 x 289 for
 * 10 x 10 MNIST tiles.
 *
 * @param values `count * height * width` numbers, one image per row, row-major.
 * @throws {InvalidArgumentError} when `values` is not a whole number of images or an option is invalid.
 * @example
 * const { pixels, height, width } = tileRasterImages(filters, { imageShape: [28, 28], tileShape: [10, 10] });
 */
export function tileRasterImages(values: ArrayLike<number>, options: TileRasterImagesOptions = {}): GreyImage {
  const caller = 'tileRasterImages';
  requireKnownKeys(caller, 'options', options, TILE_RASTER_IMAGES_OPTION_KEYS);
  const [imageHeight, imageWidth] = requirePair(caller, 'imageShape', options.imageShape ?? [28, 28], false);
  const [rows, columns] = requirePair(caller, 'tileShape', options.tileShape ?? [10, 10], false);
  const [spaceVertical, spaceHorizontal] = requirePair(caller, 'tileSpacing', options.tileSpacing ?? [1, 1], true);
  const scale = requireBoolean(caller, 'scaleRowsToUnitInterval', options.scaleRowsToUnitInterval ?? true);
  const imageSize = imageHeight * imageWidth;
  if (values.length % imageSize !== 0) {
    throw new InvalidArgumentError(
      'values',
      values.length,
      `${caller}: values must hold whole images of ${imageHeight} x ${imageWidth} = ${imageSize} numbers; ` +
        `received ${values.length} numbers, which is not a multiple of ${imageSize}. Check imageShape.`,
    );
  }
  const count = Math.min(values.length / imageSize, rows * columns);
  const height = (imageHeight + spaceVertical) * rows - spaceVertical;
  const width = (imageWidth + spaceHorizontal) * columns - spaceHorizontal;
  const pixels = new Uint8Array(height * width);
  for (let tile = 0; tile < count; tile++) {
    const start = tile * imageSize;
    let min = 0;
    let factor = 1;
    if (scale) {
      min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let index = start; index < start + imageSize; index++) {
        min = Math.min(min, values[index]);
        max = Math.max(max, values[index]);
      }
      factor = 1 / (max - min + 1e-8);
    }
    const top = Math.floor(tile / columns) * (imageHeight + spaceVertical);
    const left = (tile % columns) * (imageWidth + spaceHorizontal);
    for (let y = 0; y < imageHeight; y++) {
      for (let x = 0; x < imageWidth; x++) {
        const unit = (values[start + y * imageWidth + x] - min) * factor;
        // numpy's float-to-uint8 assignment truncates; clamping only matters for unscaled input.
        pixels[(top + y) * width + left + x] = Math.trunc(Math.min(1, Math.max(0, unit)) * 255);
      }
    }
  }
  return { pixels, height, width };
}
