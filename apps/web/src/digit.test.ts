import { describe, expect, it } from 'vitest';
import { mnistInput } from './digit';

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

  it('scales a filled square in a corner to a 20 x 20 block of ones centred at (14, 14)', () => {
    const input = mnistInput(
      image(280, 280, (x, y) => x < 50 && y < 50),
      280,
      280,
    );
    expect(litBox(input)).toEqual({ top: 4, bottom: 23, left: 4, right: 23 });
    expect(input[4 * 28 + 4]).toBeCloseTo(1, 6);
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
});
