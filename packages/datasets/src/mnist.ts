import { DatasetFormatError } from './errors';
import { parseIdx, type IdxArray } from './idx';
import { imageSetFromBytesOnRead, type ImageSet } from './image-set';
import { requirePositiveInteger, resolveChoice } from '@sdae/core';

/** The four MNIST files, by role. */
export interface MnistFiles<T> {
  trainImages: T;
  trainLabels: T;
  testImages: T;
  testLabels: T;
}

/** The roles of the four files, in a fixed order. */
export const MNIST_FILE_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;

/** One of the four MNIST files. */
export type MnistFileRole = (typeof MNIST_FILE_ROLES)[number];

/** Maps each of the four files (in parallel) through an async function. */
export async function mapMnistFiles<T, U>(
  files: MnistFiles<T>,
  transform: (value: T, role: MnistFileRole) => Promise<U>,
): Promise<MnistFiles<U>> {
  const values = await Promise.all(MNIST_FILE_ROLES.map((role) => transform(files[role], role)));
  return { trainImages: values[0], trainLabels: values[1], testImages: values[2], testLabels: values[3] };
}

/** The names the original MNIST distribution gives its four (uncompressed) files. */
export const MNIST_FILE_NAMES: MnistFiles<string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/**
 * How MNIST is divided:
 * - `'theano'`: the Theano tutorials' split: the first 50,000 training images train, the last
 *   10,000 validate, the 10,000 test images test.
 * - `'standard'`: all 60,000 training images train, the 10,000 test images test, no validation.
 * - `'mini'`: a tenth of the Theano split for long experiments on small machines: the first
 *   5,000 training images, the first 1,000 of the Theano validation images, the first 1,000
 *   test images.
 */
export type MnistSplitName = 'theano' | 'standard' | 'mini';

/** The split names {@link loadMnist} accepts. */
export const MNIST_SPLIT_NAMES: readonly MnistSplitName[] = ['theano', 'standard', 'mini'];

interface SplitPart {
  source: 'train' | 'test';
  start: number;
  count: number;
}

const SPLIT_PLANS: Record<MnistSplitName, { train: SplitPart; validation?: SplitPart; test: SplitPart }> = {
  theano: {
    train: { source: 'train', start: 0, count: 50_000 },
    validation: { source: 'train', start: 50_000, count: 10_000 },
    test: { source: 'test', start: 0, count: 10_000 },
  },
  standard: {
    train: { source: 'train', start: 0, count: 60_000 },
    test: { source: 'test', start: 0, count: 10_000 },
  },
  mini: {
    train: { source: 'train', start: 0, count: 5_000 },
    validation: { source: 'train', start: 50_000, count: 1_000 },
    test: { source: 'test', start: 0, count: 1_000 },
  },
};

/**
 * MNIST divided into its splits; `validation` is undefined for the `'standard'` split. Each set's
 * pixels are converted from the files' bytes when its `images` are first read.
 */
export interface Mnist {
  split: MnistSplitName;
  train: ImageSet;
  validation: ImageSet | undefined;
  test: ImageSet;
}

/** Options shared by every MNIST loader. */
export interface MnistSplitOptions {
  /**
   * How to divide the data into train, validation and test sets.
   * @default 'theano'
   */
  split?: MnistSplitName;
  /**
   * At most this many images of each set, its first ones (only those are converted): what
   * `sliceImageSet(set, 0, limit)` gives for each set, without converting the rest.
   * @default every image of the split
   */
  limit?: number;
}

/** The context a loader gives to {@link mnistFromBytes} for its error messages. */
export interface MnistSources {
  /** How each file is named in messages (a path, a URL). */
  names: MnistFiles<string>;
  /** The public function that is loading, named first in messages. */
  caller: string;
  /** The last sentence of an error: how to fix it. */
  fix: string;
}

const MNIST_CLASSES = 10;

/**
 * Parses and validates the four MNIST files (decompressed bytes) and divides them into a split.
 * The Node and browser loaders both end here, so they return the same arrays for the same bytes.
 *
 * Every check runs before any array is returned: nothing half-loaded escapes.
 *
 * @throws {DatasetFormatError} for a malformed file, an images/labels count mismatch, a label
 *   outside 0-9, train and test images of different sizes, or files too small for the split.
 */
export function mnistFromBytes(bytes: MnistFiles<Uint8Array>, sources: MnistSources, options: MnistSplitOptions = {}): Mnist {
  const { names, caller, fix } = sources;
  const split = resolveChoice(caller, 'split', options.split ?? 'theano', MNIST_SPLIT_NAMES);
  const limit = options.limit === undefined ? Number.POSITIVE_INFINITY : requirePositiveInteger(caller, 'limit', options.limit);
  const parse = (role: MnistFileRole, rank: number): IdxArray => parseIdx(bytes[role], { file: names[role], caller, rank, fix });

  const parsed = {
    train: pairImagesWithLabels(parse('trainImages', 3), parse('trainLabels', 1), names.trainImages, names.trainLabels, sources),
    test: pairImagesWithLabels(parse('testImages', 3), parse('testLabels', 1), names.testImages, names.testLabels, sources),
  };
  const [, height, width] = parsed.train.images.dims as [number, number, number];
  const [, testHeight, testWidth] = parsed.test.images.dims as [number, number, number];
  if (testHeight !== height || testWidth !== width) {
    throw new DatasetFormatError(
      {
        file: names.testImages,
        field: 'dimensions',
        offset: 8,
        expected: `${height} x ${width} images as in ${names.trainImages}`,
        found: `${testHeight} x ${testWidth}`,
      },
      `${caller}: ${names.testImages}: images are ${testHeight} x ${testWidth} but ${names.trainImages} holds ${height} x ${width} images. ${fix}`,
    );
  }

  const plan = SPLIT_PLANS[split];
  const take = (part: SplitPart): ImageSet => {
    const source = parsed[part.source];
    const available = source.images.dims[0];
    const file = part.source === 'train' ? names.trainImages : names.testImages;
    if (part.start + part.count > available) {
      throw new DatasetFormatError(
        {
          file,
          field: 'number of images',
          offset: 4,
          expected: `at least ${part.start + part.count} images for split '${split}'`,
          found: `${available}`,
        },
        `${caller}: ${file} holds ${available} images but split '${split}' needs ${part.start + part.count}. ` +
          `Use the full MNIST files, or a split that fits.`,
      );
    }
    const count = Math.min(part.count, limit);
    return imageSetFromBytesOnRead(source.images.data, source.labels.data, {
      start: part.start,
      count,
      height,
      width,
      numClasses: MNIST_CLASSES,
    });
  };
  return {
    split,
    train: take(plan.train),
    validation: plan.validation === undefined ? undefined : take(plan.validation),
    test: take(plan.test),
  };
}

function pairImagesWithLabels(
  images: IdxArray,
  labels: IdxArray,
  imagesName: string,
  labelsName: string,
  { caller, fix }: MnistSources,
): { images: IdxArray; labels: IdxArray } {
  const imageCount = images.dims[0];
  const labelCount = labels.dims[0];
  if (imageCount !== labelCount) {
    throw new DatasetFormatError(
      {
        file: labelsName,
        field: 'number of labels',
        offset: 4,
        expected: `${imageCount} labels, one per image of ${imagesName}`,
        found: `${labelCount}`,
      },
      `${caller}: ${labelsName} holds ${labelCount} labels but ${imagesName} holds ${imageCount} images: ` +
        `expected one label per image. The two files do not belong together. ${fix}`,
    );
  }
  const data = labels.data;
  for (let index = 0; index < data.length; index++) {
    if (data[index] >= MNIST_CLASSES) {
      const offset = 8 + index;
      throw new DatasetFormatError(
        { file: labelsName, field: 'label', offset, expected: 'a label in 0-9', found: `${data[index]} (example ${index})` },
        `${caller}: ${labelsName}: label of example ${index} at byte offset ${offset} is ${data[index]}; ` +
          `expected a digit 0-9. The file is corrupt. ${fix}`,
      );
    }
  }
  return { images, labels };
}
