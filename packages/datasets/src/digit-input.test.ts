import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { digitInput, mnistInput, type RgbaPixels } from './digit-input';
import type { ImageSet } from './image-set';
import { loadMnist } from './load-mnist-node';

function image(width: number, height: number, lit: (x: number, y: number) => boolean): Float32Array {
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = lit(x, y) ? 1 : 0;
  return pixels;
}

function litBox(input: Float32Array): { top: number; bottom: number; left: number; right: number } {
  const box = { top: 28, bottom: -1, left: 28, right: -1 };
  input.forEach((value, index) => {
    if (value <= 0) return;
    const [y, x] = [Math.floor(index / 28), index % 28];
    Object.assign(box, {
      top: Math.min(box.top, y),
      bottom: Math.max(box.bottom, y),
      left: Math.min(box.left, x),
      right: Math.max(box.right, x),
    });
  });
  return box;
}

describe('mnistInput', () => {
  it('gives all zeros for an empty drawing', () => {
    expect(Array.from(mnistInput(new Float32Array(100 * 100), 100, 100)).every((value) => value === 0)).toBe(true);
  });

  it('scales a filled square in a corner to a 20 x 20 block of ones whose centre of mass is on pixel (14, 14)', () => {
    const input = mnistInput(
      image(280, 280, (x, y) => x < 50 && y < 50),
      280,
      280,
    );
    expect(litBox(input)).toEqual({ top: 5, bottom: 24, left: 5, right: 24 });
    expect(input[5 * 28 + 5]).toBeCloseTo(1, 6);
    expect(input.reduce((sum, value) => sum + value, 0)).toBeCloseTo(400, 3);
  });

  it('keeps the aspect ratio: a tall bar becomes 20 pixels high and a quarter as wide', () => {
    const input = mnistInput(
      image(200, 200, (x, y) => x >= 150 && x < 170 && y >= 20 && y < 100),
      200,
      200,
    );
    const box = litBox(input);
    expect(box.bottom - box.top + 1).toBe(20);
    expect(box.right - box.left + 1).toBe(5);
    // Offsets are whole pixels, so the centre of mass lands within half a pixel of 14.
    expect(Math.abs((box.left + box.right + 1) / 2 - 14)).toBeLessThanOrEqual(0.5);
  });

  it('averages the area each output pixel covers: a checkerboard becomes uniform grey', () => {
    const input = mnistInput(
      image(40, 40, (x, y) => (x + y) % 2 === 0),
      40,
      40,
    );
    expect(input[14 * 28 + 14]).toBeCloseTo(0.5, 6);
  });

  it('rejects pixels that do not match the size, naming the expected count', () => {
    expect(() => mnistInput(new Float32Array(10), 4, 4)).toThrow(/width x height = 16 values, got 10/);
  });

  it('ignores pixels at or below inkThreshold when finding the box, and keeps them inside it', () => {
    const pixels = image(100, 100, (x, y) => x >= 40 && x < 60 && y >= 40 && y < 60);
    pixels[0] = 0.0625; // faint noise in a corner: with it the box would span the whole picture
    const box = litBox(mnistInput(pixels, 100, 100, { inkThreshold: 0.0625 }));
    expect(box).toEqual({ top: 5, bottom: 24, left: 5, right: 24 });
    expect(litBox(mnistInput(pixels, 100, 100))).not.toEqual(box);
  });
});

/** A 28 x 28 input drawn `scale` times larger as RGBA, dark on light (paper) or light on dark. */
function picture(input: ArrayLike<number>, scale: number, background: 'light' | 'dark', alpha = 255): RgbaPixels {
  const side = 28 * scale;
  const data = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const value = Math.round(255 * input[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!);
      data.set([...Array<number>(3).fill(background === 'light' ? 255 - value : value), alpha], 4 * (y * side + x));
    }
  }
  return { data, width: side, height: side };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const mean = (values: ArrayLike<number>) => Array.from(values).reduce((sum, value) => sum + value, 0) / values.length;
  const [meanA, meanB] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let index = 0; index < a.length; index++) {
    ab += (a[index]! - meanA) * (b[index]! - meanB);
    aa += (a[index]! - meanA) ** 2;
    bb += (b[index]! - meanB) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('digitInput', () => {
  let test: ImageSet;
  beforeAll(async () => {
    ({ test } = await loadMnist({ split: 'mini' }));
  });
  const digit = (index: number) => test.images.subarray(index * 784, (index + 1) * 784);

  it('gives back real MNIST test digits drawn 10 times larger, dark on white, inverted', () => {
    for (let index = 0; index < 20; index++) {
      const { input, inverted, background } = digitInput(picture(digit(index), 10, 'light'));
      expect(inverted).toBe(true);
      expect(background).toBe(1);
      // MNIST digits are already fitted in 20 x 20 and centred by mass: the same pipeline nearly reproduces them.
      expect(correlation(input, digit(index))).toBeGreaterThan(0.9);
    }
  });

  it('reads a light digit on black as it is (the draw pad), without inverting', () => {
    const { input, inverted, background } = digitInput(picture(digit(0), 10, 'dark'));
    expect([inverted, background]).toEqual([false, 0]);
    const fromLight = digitInput(picture(digit(0), 10, 'light')).input;
    input.forEach((value, index) => expect(value).toBeCloseTo(fromLight[index]!, 6));
  });

  it('maps a grey background to 0 and composites transparent pixels over white', () => {
    const grey = picture(digit(1), 5, 'light');
    for (let index = 0; index < grey.data.length; index += 4) {
      (grey.data as Uint8ClampedArray).fill(Math.round(64 + (191 * (grey.data[index] as number)) / 255), index, index + 3);
    }
    const reference = digitInput(picture(digit(1), 5, 'light')).input;
    const { input, background } = digitInput(grey);
    expect(background).toBeCloseTo(1, 6);
    expect(correlation(input, reference)).toBeGreaterThan(0.99);
    // Fully transparent everywhere but the digit: over white, a dark digit on light.
    const transparent = picture(digit(1), 5, 'light');
    for (let index = 0; index < transparent.data.length; index += 4) {
      if (transparent.data[index] === 255) (transparent.data as Uint8ClampedArray).fill(0, index, index + 4);
    }
    expect(digitInput(transparent).inverted).toBe(true);
    expect(correlation(digitInput(transparent).input, reference)).toBeGreaterThan(0.99);
  });

  it('refuses a picture without a digit, and one whose bytes do not match its size', () => {
    const blank = { data: new Uint8Array(10 * 10 * 4).fill(255), width: 10, height: 10 };
    expect(() => digitInput(blank)).toThrow(InvalidArgumentError);
    expect(() => digitInput(blank)).toThrow(/holds no digit: no pixel stands out from its light background \(grey level 1\.00\)/);
    expect(() => digitInput({ data: new Uint8Array(12), width: 2, height: 2 })).toThrow(
      /width x height x 4 bytes \(RGBA\).*2 x 2 and 12 bytes/,
    );
  });
});
