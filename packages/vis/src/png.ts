import { encode } from 'fast-png';
import { InvalidArgumentError } from '@sdae/core';
import type { GreyImage } from './tile-raster-images';

/**
 * An RGBA image, four bytes per pixel, row-major: the one buffer that feeds both a PNG file (Node)
 * and a canvas `new ImageData(image.data, image.width, image.height)` (browsers).
 */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** An opaque RGBA copy of a grey image (R = G = B = the grey byte, A = 255). */
export function greyToRgba(image: GreyImage): RgbaImage {
  const data = new Uint8ClampedArray(image.width * image.height * 4);
  for (let index = 0; index < image.pixels.length; index++) {
    data.fill(image.pixels[index], 4 * index, 4 * index + 3);
    data[4 * index + 3] = 255;
  }
  return { data, width: image.width, height: image.height };
}

/**
 * The image as a browser `ImageData`, ready for `context.putImageData(...)` on a canvas: the same
 * bytes that {@link encodePng} writes to a file.
 *
 * @throws {InvalidArgumentError} where there is no `ImageData` (Node): write a PNG there instead.
 */
export function toImageData(image: RgbaImage): ImageData {
  const ImageDataClass = (globalThis as { ImageData?: typeof ImageData }).ImageData;
  if (ImageDataClass === undefined) {
    throw new InvalidArgumentError(
      'image',
      'ImageData',
      'toImageData: this platform has no ImageData (it is a browser API); in Node use encodePng and write the file.',
    );
  }
  return new ImageDataClass(image.data as Uint8ClampedArray<ArrayBuffer>, image.width, image.height);
}

/**
 * Encodes an RGBA image as a PNG file (8 bits per channel) with fast-png, a maintained pure-JS
 * encoder: the same code in Node and browsers.
 *
 * @throws {InvalidArgumentError} when `data` does not hold `width * height * 4` bytes.
 * @example await writeFile('filters.png', encodePng(greyToRgba(tileRasterImages(filters))));
 */
export function encodePng(image: RgbaImage): Uint8Array {
  const { data, width, height } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data.length !== width * height * 4) {
    throw new InvalidArgumentError(
      'image',
      { width, height, bytes: data.length },
      `encodePng: image must be width x height x 4 bytes with whole, positive sizes; received ${width} x ${height} and ${data.length} bytes.`,
    );
  }
  return encode({ width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels: 4, depth: 8 });
}

export { decodePng } from './png-decode';
export type { DecodePngOptions } from './png-decode';
