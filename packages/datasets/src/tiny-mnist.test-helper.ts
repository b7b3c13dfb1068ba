import { expect } from 'vitest';
import { encodeIdx } from './idx';
import type { MnistFiles } from './mnist';

/**
 * Four tiny MNIST-format files (2 x 2 images: `trainCount` train, `testCount` test), for error
 * cases. Image i's pixels are i, i+1, i+2, i+3; label i is i % 10.
 */
export function tinyMnistFiles(trainCount = 3, testCount = 2): MnistFiles<Uint8Array> {
  const images = (count: number) =>
    encodeIdx(
      [count, 2, 2],
      Uint8Array.from({ length: count * 4 }, (_, index) => Math.floor(index / 4) + (index % 4)),
    );
  const labels = (count: number) =>
    encodeIdx(
      [count],
      Uint8Array.from({ length: count }, (_, index) => index % 10),
    );
  return { trainImages: images(trainCount), trainLabels: labels(trainCount), testImages: images(testCount), testLabels: labels(testCount) };
}

export const TINY_NAMES: MnistFiles<string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/**
 * Asserts two typed arrays hold the same bytes. Far faster than `toEqual` on MNIST-sized
 * arrays (millions of elements), and it names the first difference.
 */
export function expectSameElements(actual: ArrayBufferView, expected: ArrayBufferView): void {
  const a = new Uint8Array(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
  expect(a.length, 'byte length').toBe(b.length);
  // A byte comparison first: findIndex over MNIST's 157 MB of training pixels took seconds.
  if (Buffer.compare(a, b) === 0) return;
  const first = a.findIndex((byte, index) => byte !== b[index]);
  expect(first, 'first differing byte').toBe(-1);
}
