import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { Random, SEED_RANGE, deriveSeed, requireSeed } from './random';

describe('Random', () => {
  it('produces the xoshiro128** reference sequence from state [1, 2, 3, 4]', () => {
    // Worked by hand from the reference algorithm: rotl(s1 * 5, 7) * 9, then the state update.
    const random = Random.fromState([1, 2, 3, 4]);
    expect([random.nextUint32(), random.nextUint32(), random.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('repeats the same numbers for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('continues exactly from a saved state', () => {
    const random = new Random(7);
    random.next();
    const saved = random.getState();
    const expected = [random.next(), random.next()];
    const restored = Random.fromState(saved);
    expect([restored.next(), restored.next()]).toEqual(expected);
  });

  it('rewinds an existing generator to a saved state with setState', () => {
    const random = new Random(11);
    const saved = random.getState();
    const expected = [random.next(), random.next()];
    random.setState(saved);
    expect([random.next(), random.next()]).toEqual(expected);
    expect(() => random.setState([1, 2, 3])).toThrow(/Random.setState: state must be 4 whole numbers/);
    expect(() => random.setState('1,2,3,4' as unknown as number[])).toThrow('received "1,2,3,4".');
  });

  it('draws numbers in [0, 1) with mean near 1/2', () => {
    const random = new Random(3);
    const values = Array.from({ length: 20_000 }, () => random.next());
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((sum, value) => sum + value, 0) / values.length).toBeCloseTo(0.5, 1);
  });

  it('draws standard normal samples with mean 0 and variance 1', () => {
    const random = new Random(5);
    const values = Array.from({ length: 20_000 }, () => random.nextGaussian());
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeGreaterThan(0.95);
    expect(variance).toBeLessThan(1.05);
  });

  it('shuffles into a permutation of the same values', () => {
    const values = Int32Array.from({ length: 100 }, (_, index) => index);
    new Random(1).shuffle(values);
    expect(Array.from(values).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, index) => index));
    expect(Array.from(values)).not.toEqual(Array.from({ length: 100 }, (_, index) => index));
  });

  it('refuses a saved state that is not four words', () => {
    expect(() => Random.fromState([1, 2])).toThrow(InvalidArgumentError);
    expect(() => Random.fromState([0, 0, 0, 0])).toThrow(/not all 0/);
  });

  it('refuses a non-finite seed', () => {
    expect(() => new Random(Number.NaN)).toThrow('Random: seed must be a finite number; received NaN.');
  });
});

describe('deriveSeed', () => {
  it('gives each stream its own seed, the same every time', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, epoch) => deriveSeed(1, epoch)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(1, 5)).toBe(deriveSeed(1, 5));
    expect(deriveSeed(1, 5)).not.toBe(deriveSeed(2, 5));
  });

  it('fillMask draws exactly the mask next() < level would, and leaves the state where next() would', () => {
    for (const level of [0, 0.1, 0.3, 0.5, 1]) {
      const fast = new Random(7);
      const slow = new Random(7);
      const mask = fast.fillMask(new Float32Array(15_680), level);
      const expected = Float32Array.from({ length: 15_680 }, () => (slow.next() < level ? 0 : 1));
      expect(mask).toEqual(expected);
      expect(fast.getState()).toEqual(slow.getState());
      expect(fast.nextUint32()).toBe(slow.nextUint32());
    }
    const ones = new Random(3).fillMask(new Float32Array(1000), 0);
    expect(ones.every((value) => value === 1)).toBe(true);
    const share = new Random(3).fillMask(new Float32Array(100_000), 0.3).reduce((sum, value) => sum + (1 - value), 0) / 100_000;
    expect(share).toBeGreaterThan(0.29);
    expect(share).toBeLessThan(0.31);
  });
});

describe('requireSeed', () => {
  it('accepts the whole numbers a stream keeps as given, 0 to 2^32 - 1', () => {
    expect([0, 1, 42, SEED_RANGE.max].map((seed) => requireSeed('f', 'seed', seed))).toEqual([0, 1, 42, 4294967295]);
  });

  it('refuses seeds that would silently train as another: 0.5 and 2^32 as 0, -1 as 2^32 - 1', () => {
    // Why: a stream keeps the low 32 bits, so these seeds draw exactly what another seed draws.
    expect(new Random(0.5).next()).toBe(new Random(0).next());
    expect(new Random(2 ** 32).next()).toBe(new Random(0).next());
    for (const seed of [0.5, 0.9, 2 ** 32, 2 ** 53, 1e308, -1, Number.NaN, '1']) {
      expect(() => requireSeed('sdae', '--seed', seed), String(seed)).toThrow(
        `sdae: --seed must be a whole number from 0 to 4294967295 (2^32 - 1; the random streams keep 32 bits of a seed, so other values would train as some other seed); received`,
      );
    }
  });
});
