// Turns a drawing into an MNIST-like input, as MNIST itself was made: the digit's bounding box is
// scaled to fit 20 x 20 pixels (aspect ratio kept, with anti-aliasing by area averaging), then
// placed in a 28 x 28 image so that its centre of mass is at the centre.

const FIT = 20;
const SIDE = 28;

/**
 * The MNIST input (784 values in [0, 1], row-major) for a grey drawing of `width` x `height`
 * pixels in [0, 1], white on black. An empty drawing gives all zeros.
 *
 * @example const input = mnistInput(pixels, 280, 280);
 */
export function mnistInput(pixels: ArrayLike<number>, width: number, height: number): Float32Array {
  if (pixels.length !== width * height) {
    throw new Error(`mnistInput: pixels must hold width x height = ${width * height} values, got ${pixels.length}.`);
  }
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! > 0) {
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
      rowMoment += value * (y + 0.5);
      columnMoment += value * (x + 0.5);
    }
  }
  // Offsets that put the centre of mass at (14, 14), kept inside the 28 x 28 frame.
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
