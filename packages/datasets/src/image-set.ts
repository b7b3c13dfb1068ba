import { InvalidArgumentError, requireNonNegativeInteger, requirePositiveInteger } from '@sdae/core';
import { pixelBytesOf, recordPixelBytes } from './pixel-sources';

/**
 * Labelled grey images, all in one flat array: image `i` is
 * `images.subarray(i * height * width, (i + 1) * height * width)`, row-major, in [0, 1].
 */
export interface ImageSet {
  /** `count * height * width` pixels in [0, 1], image after image. */
  images: Float32Array;
  /** One class index per image, in `[0, numClasses)`. */
  labels: Uint8Array;
  /** The number of images. */
  count: number;
  /** Rows per image (28 for MNIST). */
  height: number;
  /** Columns per image (28 for MNIST). */
  width: number;
  /** The number of classes the labels index (10 for MNIST). */
  numClasses: number;
}

/** Where a subset of raw unsigned-byte images and labels lies, and its geometry. */
export interface RawImageRange {
  start: number;
  count: number;
  height: number;
  width: number;
  numClasses: number;
}

/**
 * Builds an {@link ImageSet} from raw bytes (as in IDX files): copies images `start` to
 * `start + count - 1`, dividing each pixel by 255.
 *
 * @example const set = imageSetFromBytes(pixels, labels, { start: 0, count: 100, height: 28, width: 28, numClasses: 10 });
 */
export function imageSetFromBytes(pixels: Uint8Array, labels: Uint8Array, range: RawImageRange): ImageSet {
  const { start, count, height, width, numClasses } = range;
  return { images: pixelsFromBytes(pixels, range), labels: labels.slice(start, start + count), count, height, width, numClasses };
}

/**
 * Images `start` to `start + count - 1` of raw bytes, each pixel divided by 255, recorded for
 * pixelBytesOf with a copy of their bytes (a quarter of the pixels' size): the caller's buffer may
 * change afterwards, and the fingerprint of a checkpoint must be that of the pixels trained on.
 */
function pixelsFromBytes(pixels: Uint8Array, { start, count, height, width }: RawImageRange): Float32Array {
  const imageSize = height * width;
  const source = pixels.slice(start * imageSize, (start + count) * imageSize);
  const images = new Float32Array(source.length);
  for (let index = 0; index < source.length; index++) images[index] = source[index] / 255;
  return recordPixelBytes(images, source);
}

/**
 * {@link imageSetFromBytes} whose pixels are divided by 255 when its `images` are first read (or
 * never, when they are replaced first): a loader returns three sets, and a run that reads one
 * set's pixels converts only those (converting all 70,000 MNIST images took 0.3 s before `sdae
 * da`'s first step, which reads the 50,000 training images). `pixels` must not change until then.
 */
export function imageSetFromBytesOnRead(pixels: Uint8Array, labels: Uint8Array, range: RawImageRange): ImageSet {
  const { start, count, height, width, numClasses } = range;
  const set = {} as ImageSet;
  const settle = (images: Float32Array) =>
    Object.defineProperty(set, 'images', { value: images, writable: true, enumerable: true, configurable: true });
  // Defined first, so the set lists its fields in imageSetFromBytes's order.
  Object.defineProperty(set, 'images', {
    enumerable: true,
    configurable: true,
    get: () => {
      const images = pixelsFromBytes(pixels, range);
      settle(images);
      return images;
    },
    set: settle,
  });
  return Object.assign(set, { labels: labels.slice(start, start + count), count, height, width, numClasses });
}

/**
 * The images `start` to `start + count - 1` of a set, as views that share its memory (no copy).
 * Handy to train on the first N examples.
 *
 * @throws {InvalidArgumentError} when the range does not lie inside the set.
 * @example const first1000 = sliceImageSet(mnist.train, 0, 1000);
 */
export function sliceImageSet(set: ImageSet, start: number, count: number): ImageSet {
  requireNonNegativeInteger('sliceImageSet', 'start', start);
  requirePositiveInteger('sliceImageSet', 'count', count);
  if (start + count > set.count) {
    throw new InvalidArgumentError(
      'count',
      count,
      `sliceImageSet: images ${start} to ${start + count - 1} do not exist in a set of ${set.count} images. ` +
        `Pass start + count <= ${set.count}.`,
    );
  }
  const imageSize = set.height * set.width;
  const images = set.images.subarray(start * imageSize, (start + count) * imageSize);
  const bytes = pixelBytesOf(set.images);
  if (bytes !== undefined) recordPixelBytes(images, bytes.subarray(start * imageSize, (start + count) * imageSize));
  return {
    ...set,
    images,
    labels: set.labels.subarray(start, start + count),
    count,
  };
}

/**
 * One-hot encodes class labels: row `i` of the result (length `numClasses`) is 1 at
 * `labels[i]` and 0 elsewhere.
 *
 * @throws {InvalidArgumentError} when a label is not below `numClasses`.
 * @example oneHot(Uint8Array.of(2, 0), 3); // Float32Array [0, 0, 1, 1, 0, 0]
 */
export function oneHot(labels: ArrayLike<number>, numClasses = 10): Float32Array {
  requirePositiveInteger('oneHot', 'numClasses', numClasses);
  const out = new Float32Array(labels.length * numClasses);
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new InvalidArgumentError(
        'labels',
        label,
        `oneHot: labels[${index}] is ${label}; expected a whole number in [0, ${numClasses - 1}]. ` +
          `Pass a larger numClasses or fix the labels.`,
      );
    }
    out[index * numClasses + label] = 1;
  }
  return out;
}

/** Counts the images of each class: entry `k` is the number of labels equal to `k`. */
export function classCounts(set: Pick<ImageSet, 'labels' | 'numClasses'>): number[] {
  const counts = new Array<number>(set.numClasses).fill(0);
  for (const label of set.labels) counts[label] += 1;
  return counts;
}

/** The mean pixel value over every image of the set. */
export function meanPixel(set: Pick<ImageSet, 'images'>): number {
  let sum = 0;
  for (const pixel of set.images) sum += pixel;
  return set.images.length === 0 ? 0 : sum / set.images.length;
}
