import { InvalidArgumentError, describeValue } from '@sdae/core';
import type { ImageSet } from '@sdae/datasets';

/** Sets whose images were found finite (and those found in [0, 1]): each is scanned once. */
const finiteSets = new WeakSet<ImageSet>();
const unitSets = new WeakSet<ImageSet>();

/**
 * Checks a training set's images before any tensor is made: a Float32Array of `count * height *
 * width` finite pixels and, with `unitInterval` (a cross-entropy loss on the pixels themselves),
 * every pixel in [0, 1]. A NaN pixel would otherwise surface as a "diverged" cost, and pixels of
 * 255 as a negative cross-entropy reported as success.
 *
 * @param argument the set's name in the caller's parameters, `'set'` or `'data.train'`.
 * @param unitInterval why pixels must lie in [0, 1], completing "`<caller>: ... but <why>`"; undefined when they need not.
 * @throws {InvalidArgumentError} naming the set, the image and pixel, the value and the fix.
 */
export function requireTrainingImages(caller: string, argument: string, set: ImageSet, unitInterval?: string): void {
  const { images, count, height, width } = set;
  if (!(images instanceof Float32Array) || images.length !== count * height * width) {
    throw new InvalidArgumentError(
      `${argument}.images`,
      images,
      `${caller}: ${argument}.images must be a Float32Array of count x height x width = ${count} x ${height} x ${width} pixels; ` +
        `received ${images instanceof Float32Array ? `${images.length} pixels` : describeValue(images)}. Build the set with imageSetFromBytes or loadMnist.`,
    );
  }
  const pixelsPerImage = height * width;
  const where = (index: number) => `image ${Math.floor(index / pixelsPerImage)}, pixel ${index % pixelsPerImage}`;
  if (!finiteSets.has(set)) {
    const index = images.findIndex((pixel) => !Number.isFinite(pixel));
    if (index >= 0) {
      throw new InvalidArgumentError(
        `${argument}.images`,
        images[index],
        `${caller}: ${argument}.images holds ${images[index]} at ${where(index)}; every pixel must be a finite number (a NaN ` +
          'pixel makes every cost NaN). Fix or drop that image.',
      );
    }
    finiteSets.add(set);
  }
  if (unitInterval === undefined || unitSets.has(set)) return;
  const index = images.findIndex((pixel) => pixel < 0 || pixel > 1);
  if (index >= 0) {
    throw new InvalidArgumentError(
      `${argument}.images`,
      images[index],
      `${caller}: ${argument}.images holds ${images[index]} at ${where(index)}, but ${unitInterval}. Scale the pixels to ` +
        "[0, 1] (bytes divided by 255, as loadMnist and imageSetFromBytes do), or use loss: 'squared-error'.",
    );
  }
  unitSets.add(set);
}
