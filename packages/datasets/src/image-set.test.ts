import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { classCounts, imageSetFromBytes, meanPixel, oneHot, sliceImageSet } from './image-set';

describe('oneHot', () => {
  it('sets a single 1 per row at the label', () => {
    expect(Array.from(oneHot(Uint8Array.of(2, 0), 3))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('refuses a label not below numClasses', () => {
    expect(() => oneHot([1, 3], 3)).toThrowError(
      new InvalidArgumentError(
        'labels',
        3,
        'oneHot: labels[1] is 3; expected a whole number in [0, 2]. Pass a larger numClasses or fix the labels.',
      ),
    );
  });
});

describe('imageSetFromBytes', () => {
  it('copies the asked images and divides pixels by 255', () => {
    const set = imageSetFromBytes(Uint8Array.of(0, 51, 102, 255, 1, 2), Uint8Array.of(4, 5, 6), {
      start: 1,
      count: 2,
      height: 1,
      width: 2,
      numClasses: 10,
    });
    expect(Array.from(set.images)).toEqual([102 / 255, 1, 1 / 255, 2 / 255].map(Math.fround));
    expect(Array.from(set.labels)).toEqual([5, 6]);
    expect(set.count).toBe(2);
  });
});

describe('sliceImageSet', () => {
  const set = imageSetFromBytes(Uint8Array.of(10, 20, 30, 40), Uint8Array.of(1, 2, 3, 4), {
    start: 0,
    count: 4,
    height: 1,
    width: 1,
    numClasses: 5,
  });

  it('shares memory with the set', () => {
    const slice = sliceImageSet(set, 1, 2);
    expect(Array.from(slice.labels)).toEqual([2, 3]);
    expect(slice.images.buffer).toBe(set.images.buffer);
    expect(slice.count).toBe(2);
  });

  it('refuses a range beyond the set', () => {
    expect(() => sliceImageSet(set, 3, 2)).toThrow(
      'sliceImageSet: images 3 to 4 do not exist in a set of 4 images. Pass start + count <= 4.',
    );
  });
});

describe('classCounts and meanPixel', () => {
  it('count labels per class and average pixels', () => {
    const set = { labels: Uint8Array.of(0, 2, 2), numClasses: 3, images: Float32Array.of(0, 0.5, 1, 0.5) };
    expect(classCounts(set)).toEqual([1, 0, 2]);
    expect(meanPixel(set)).toBe(0.5);
  });
});
