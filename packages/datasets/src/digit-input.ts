// Turns a picture of one digit into an MNIST-like input, as MNIST itself was made: the digit's
// bounding box is scaled to fit 20 x 20 pixels (aspect ratio kept, with anti-aliasing by area
// averaging), then placed in a 28 x 28 image so that its centre of mass falls on pixel (14, 14). The web
// app's draw-a-digit pad and `sdae predict`'s image files both go through mnistInput.
import { InvalidArgumentError, requireKnownKeys, requireNumber, type KnownKeys } from '@sdae/core';

const FIT = 20;
const SIDE = 28;

/** Options of {@link mnistInput}. */
export interface MnistInputOptions {
  /**
   * Pixels at or below this value do not count towards the digit's bounding box (they are still
   * resampled when inside it): a little noise around the digit, as JPEG leaves, is cropped away.
   * @default 0
   */
  inkThreshold?: number;
}

/**
 * The MNIST input (784 values in [0, 1], row-major) for a grey drawing of `width` x `height`
 * pixels in [0, 1], white on black. An empty drawing gives all zeros.
 *
 * @throws {InvalidArgumentError} when `pixels` does not hold `width * height` values.
 * @example const input = mnistInput(pixels, 280, 280);
 */
export function mnistInput(pixels: ArrayLike<number>, width: number, height: number, options: MnistInputOptions = {}): Float32Array {
  requireKnownKeys('mnistInput', 'options', options, { inkThreshold: true } satisfies KnownKeys<MnistInputOptions>);
  const threshold = requireNumber('mnistInput', 'options.inkThreshold', options.inkThreshold ?? 0, { min: 0, max: 1, excludeMax: true });
  if (pixels.length !== width * height) {
    throw new InvalidArgumentError(
      'pixels',
      pixels.length,
      `mnistInput: pixels must hold width x height = ${width * height} values, got ${pixels.length}.`,
    );
  }
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! > threshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  const output = new Float32Array(SIDE * SIDE);
  if (bottom < 0) return output;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = FIT / Math.max(boxWidth, boxHeight);
  const fittedWidth = Math.max(1, Math.round(boxWidth * scale));
  const fittedHeight = Math.max(1, Math.round(boxHeight * scale));
  const fitted = areaResample(pixels, width, { left, top, width: boxWidth, height: boxHeight }, fittedWidth, fittedHeight);

  let mass = 0;
  let rowMoment = 0;
  let columnMoment = 0;
  for (let y = 0; y < fittedHeight; y++) {
    for (let x = 0; x < fittedWidth; x++) {
      const value = fitted[y * fittedWidth + x]!;
      mass += value;
      rowMoment += value * y;
      columnMoment += value * x;
    }
  }
  // Offsets that put the centre of mass on pixel (14, 14), kept inside the 28 x 28 frame: MNIST's
  // test digits have theirs at (13.99, 14.01) on average.
  const offsetY = clamp(Math.round(SIDE / 2 - rowMoment / mass), 0, SIDE - fittedHeight);
  const offsetX = clamp(Math.round(SIDE / 2 - columnMoment / mass), 0, SIDE - fittedWidth);
  for (let y = 0; y < fittedHeight; y++) {
    for (let x = 0; x < fittedWidth; x++) output[(y + offsetY) * SIDE + x + offsetX] = fitted[y * fittedWidth + x]!;
  }
  return output;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Resamples a box of the image to `outWidth` x `outHeight` by averaging the area each output pixel covers. */
function areaResample(
  pixels: ArrayLike<number>,
  stride: number,
  box: { left: number; top: number; width: number; height: number },
  outWidth: number,
  outHeight: number,
): Float32Array {
  const output = new Float32Array(outWidth * outHeight);
  const stepX = box.width / outWidth;
  const stepY = box.height / outHeight;
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = oy * stepY;
    const y1 = y0 + stepY;
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = ox * stepX;
      const x1 = x0 + stepX;
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const coverY = Math.min(y1, y + 1) - Math.max(y0, y);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const coverX = Math.min(x1, x + 1) - Math.max(x0, x);
          sum += coverX * coverY * pixels[(box.top + y) * stride + box.left + x]!;
        }
      }
      output[oy * outWidth + ox] = sum / (stepX * stepY);
    }
  }
  return output;
}

/** An RGBA picture, four bytes per pixel, row-major (a decoded PNG or JPEG, a canvas' ImageData). */
export interface RgbaPixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** What {@link digitInput} made of a picture. */
export interface DigitInput {
  /** The MNIST input, 784 values in [0, 1], white digit on black. */
  input: Float32Array;
  /** Whether the picture had a light background (a dark digit on paper) and was inverted. */
  inverted: boolean;
  /** The background's grey level in the picture, in [0, 1] (the median of its border pixels). */
  background: number;
}

/** Pixels this far above the background (after inversion, as a fraction of the range) bound the digit; fainter ones are noise. */
const INK_THRESHOLD = 0.2;

/**
 * The MNIST input for a picture of one digit, whatever its colours: each pixel's grey level
 * (luminance, transparent pixels composited over white), inverted when the background (the median
 * of the border pixels) is light, rescaled so the background is 0 and full ink 1, then fitted and
 * centred by {@link mnistInput}, ignoring faint noise (under 0.2) when finding the digit's box.
 *
 * @throws {InvalidArgumentError} when `data` does not hold `width * height * 4` bytes, or the
 *   picture holds no digit (every pixel at the background's level).
 * @example const { input, inverted } = digitInput(decodePng(bytes));
 */
export function digitInput(picture: RgbaPixels): DigitInput {
  const { data, width, height } = picture;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || data.length !== width * height * 4) {
    throw new InvalidArgumentError(
      'picture',
      { width, height, bytes: data.length },
      `digitInput: picture must be width x height x 4 bytes (RGBA) with whole, positive sizes; received ${width} x ${height} and ${data.length} bytes.`,
    );
  }
  const grey = new Float32Array(width * height);
  for (let pixel = 0; pixel < grey.length; pixel++) {
    const alpha = data[4 * pixel + 3]! / 255;
    const luminance = (0.299 * data[4 * pixel]! + 0.587 * data[4 * pixel + 1]! + 0.114 * data[4 * pixel + 2]!) / 255;
    grey[pixel] = alpha * luminance + (1 - alpha);
  }
  const background = median(borderValues(grey, width, height));
  const inverted = background > 0.5;
  const level = inverted ? 1 - background : background;
  const range = 1 - level;
  // In place: each pixel's ink depends on its own grey level only, and a large picture needs one array, not two.
  const ink = grey;
  let strongest = 0;
  for (let pixel = 0; pixel < grey.length; pixel++) {
    const value = inverted ? 1 - grey[pixel]! : grey[pixel]!;
    ink[pixel] = range <= 0 ? 0 : clamp((value - level) / range, 0, 1);
    strongest = Math.max(strongest, ink[pixel]!);
  }
  if (strongest <= INK_THRESHOLD) {
    throw new InvalidArgumentError(
      'picture',
      { width, height, background },
      `digitInput: the ${width} x ${height} picture holds no digit: no pixel stands out from its ${inverted ? 'light' : 'dark'} background ` +
        `(grey level ${background.toFixed(2)}). Pass a picture of a digit, dark on light or light on dark.`,
    );
  }
  return { input: mnistInput(ink, width, height, { inkThreshold: INK_THRESHOLD }), inverted, background };
}

/** The grey levels of the outermost rows and columns. */
function borderValues(grey: Float32Array, width: number, height: number): number[] {
  const values: number[] = [];
  for (let x = 0; x < width; x++) values.push(grey[x]!, grey[(height - 1) * width + x]!);
  for (let y = 1; y < height - 1; y++) values.push(grey[y * width]!, grey[y * width + width - 1]!);
  return values;
}

function median(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
