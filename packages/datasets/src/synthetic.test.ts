import { describe, expect, it } from 'vitest';
import { barsAndStripes } from './synthetic';

function image(set: ReturnType<typeof barsAndStripes>, index: number): number[][] {
  const size = set.width;
  return Array.from({ length: size }, (_, row) =>
    Array.from(set.images.subarray(index * size * size + row * size, index * size * size + (row + 1) * size)),
  );
}

describe('barsAndStripes', () => {
  it('lights whole rows for label 0 and whole columns for label 1, never none or all', () => {
    const set = barsAndStripes({ size: 5, count: 200, seed: 1 });
    for (let index = 0; index < set.count; index++) {
      const pixels = image(set, index);
      const lines = set.labels[index] === 0 ? pixels : pixels[0]!.map((_, column) => pixels.map((row) => row[column]!));
      for (const line of lines) expect(new Set(line).size).toBe(1);
      const lit = lines.filter((line) => line[0] === 1).length;
      expect(lit).toBeGreaterThan(0);
      expect(lit).toBeLessThan(5);
    }
  });

  it('has both classes in similar numbers and the declared geometry', () => {
    const set = barsAndStripes({ size: 4, count: 1000 });
    const stripes = set.labels.reduce((sum, label) => sum + label, 0);
    expect(stripes).toBeGreaterThan(400);
    expect(stripes).toBeLessThan(600);
    expect([set.height, set.width, set.numClasses, set.images.length]).toEqual([4, 4, 2, 16_000]);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(barsAndStripes({ seed: 3 }).images).toEqual(barsAndStripes({ seed: 3 }).images);
    expect(barsAndStripes({ seed: 3 }).images).not.toEqual(barsAndStripes({ seed: 4 }).images);
  });

  it('flips about the asked fraction of pixels of the same clean images', () => {
    const clean = barsAndStripes({ size: 8, count: 500, seed: 2 });
    const noisy = barsAndStripes({ size: 8, count: 500, seed: 2, flipProbability: 0.1 });
    expect(noisy.labels).toEqual(clean.labels);
    const flipped = noisy.images.reduce((count, pixel, index) => count + (pixel !== clean.images[index] ? 1 : 0), 0);
    expect(flipped / clean.images.length).toBeGreaterThan(0.09);
    expect(flipped / clean.images.length).toBeLessThan(0.11);
    expect(noisy.images.every((pixel) => pixel === 0 || pixel === 1)).toBe(true);
  });

  it('refuses a grid smaller than 2 x 2 and a flip probability outside [0, 1]', () => {
    expect(() => barsAndStripes({ size: 1 })).toThrow('barsAndStripes: size must be >= 2');
    expect(() => barsAndStripes({ flipProbability: 1.5 })).toThrow('flipProbability must be a finite number in [0, 1]; received 1.5');
  });
});
