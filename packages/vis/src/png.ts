import { convertIndexedToRgb, decode, encode } from 'fast-png';
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

/**
 * Decodes a PNG of any kind (grey, grey+alpha, RGB, RGBA or a palette; 1, 2, 4, 8 or 16 bits per
 * sample) into 8-bit RGBA: to check a written file, or to read a picture someone saved.
 *
 * @throws {InvalidArgumentError} for bytes that are not a valid PNG.
 * @example const { data, width, height } = decodePng(await readFile('digit.png'));
 */
export function decodePng(bytes: Uint8Array): RgbaImage {
  let png: ReturnType<typeof decode>;
  let samples: Uint8Array;
  try {
    png = decode(bytes);
    samples = png.palette === undefined ? eightBitSamples(png) : convertIndexedToRgb(png);
  } catch (error) {
    throw new InvalidArgumentError('bytes', bytes.length, `decodePng: the bytes are not a valid PNG (${(error as Error).message}).`);
  }
  const { width, height } = png;
  const channels = png.palette === undefined ? png.channels : png.palette[0]!.length;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const source = pixel * channels;
    const grey = channels <= 2;
    data[4 * pixel] = samples[source]!;
    data[4 * pixel + 1] = samples[grey ? source : source + 1]!;
    data[4 * pixel + 2] = samples[grey ? source : source + 2]!;
    data[4 * pixel + 3] = channels === 2 || channels === 4 ? samples[source + channels - 1]! : 255;
  }
  return { data, width, height };
}

/** A decoded PNG's samples at 8 bits each, one per channel: 16-bit ones keep their high byte, packed 1/2/4-bit ones are spread to 0-255. */
function eightBitSamples(png: ReturnType<typeof decode>): Uint8Array {
  const { width, height, channels, depth, data } = png;
  if (depth === 8) return data as Uint8Array;
  if (depth === 16) return Uint8Array.from(data as Uint16Array, (sample) => sample >> 8);
  // Rows of 1, 2 or 4-bit samples are packed, most significant bits first, each row starting on a byte.
  const samples = new Uint8Array(width * height * channels);
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const maximum = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let index = 0; index < width * channels; index++) {
      const bit = index * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      samples[y * width * channels + index] = Math.round((((byte >> (8 - depth - (bit & 7))) & maximum) * 255) / maximum);
    }
  }
  return samples;
}
