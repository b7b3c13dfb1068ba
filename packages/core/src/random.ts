import { InvalidArgumentError } from './errors';
import { describeValue, requirePositiveInteger } from './validate';

/** splitmix32: spreads a 32-bit seed over the state words. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
    mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
    return (mixed ^ (mixed >>> 16)) >>> 0;
  };
}

/**
 * Hashes a seed and stream numbers (an epoch, an iteration) into a new 32-bit seed, so that
 * every epoch or iteration has its own reproducible random stream: epoch 7 shuffles the same
 * way whether or not epochs 0-6 ran in this process (which makes resumed runs exact).
 *
 * @example new Random(deriveSeed(seed, epoch));
 */
export function deriveSeed(seed: number, ...streams: number[]): number {
  let hash = splitmix32(seed)();
  for (const stream of streams) hash = splitmix32((hash ^ Math.imul(stream >>> 0, 0x27d4eb2d)) >>> 0)();
  return hash;
}

/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**) whose whole state can be saved
 * and restored, e.g. in a checkpoint.
 *
 * @example
 * const random = new Random(42);
 * random.next(); // a number in [0, 1), the same on every platform for seed 42
 */
export class Random {
  private readonly state = new Uint32Array(4);

  /** @param seed any number; its low 32 bits are used. @default 0 */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) {
      throw new InvalidArgumentError('seed', seed, `Random: seed must be a finite number; received ${seed}.`);
    }
    const next = splitmix32(seed);
    for (let index = 0; index < 4; index++) this.state[index] = next();
  }

  /** A generator continuing exactly from a state returned by {@link Random.getState}. */
  static fromState(state: readonly number[]): Random {
    const random = new Random(0);
    random.setState(state);
    return random;
  }

  /**
   * Continues from a state returned by {@link Random.getState} (restoring a checkpoint).
   *
   * @throws {InvalidArgumentError} unless `state` is 4 whole numbers, not all 0.
   */
  setState(state: readonly number[]): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.every((word) => word === 0) ||
      !state.every((word) => Number.isInteger(word))
    ) {
      throw new InvalidArgumentError(
        'state',
        state,
        `Random.setState: state must be 4 whole numbers, not all 0, as returned by getState(); received ${describeValue(state)}.`,
      );
    }
    this.state.set(state.map((word) => word >>> 0));
  }

  /** The generator's state (4 unsigned 32-bit words), to save and restore later. */
  getState(): number[] {
    return Array.from(this.state);
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotateLeft(Math.imul(s[1], 5), 7), 9) >>> 0;
    const shifted = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= shifted;
    s[3] = rotateLeft(s[3], 11);
    return result;
  }

  /**
   * Fills `out` with a masking-noise mask: each entry 0 where the next draw is below `level`, else
   * 1; exactly `out[i] = this.next() < level ? 0 : 1` in turn (`next()` is the draw over 2^32, so
   * comparing the draw with `level * 2^32` is the same test), with the state kept in locals: a
   * 784x20 dA batch's mask is drawn several times faster than with `next()`. The entry is the
   * comparison's own value (`Number(draw >= ceil(level * 2^32))`, the same test for whole-number
   * draws), not a branch: a branch on random bits mispredicted often enough to take half the time.
   */
  fillMask(out: Float32Array, level: number): Float32Array {
    const threshold = Math.ceil(level * 0x1_0000_0000);
    const s = this.state;
    // The words as int32 (the same bits): xor, shifts and rotations stay in small integers.
    let [s0, s1, s2, s3] = [s[0] | 0, s[1] | 0, s[2] | 0, s[3] | 0];
    for (let index = 0; index < out.length; index++) {
      const times5 = Math.imul(s1, 5);
      const result = Math.imul((times5 << 7) | (times5 >>> 25), 9) >>> 0;
      const shifted = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= shifted;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[index] = Number(result >= threshold);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /** A number in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A whole number in [0, n). */
  nextInt(n: number): number {
    requirePositiveInteger('Random.nextInt', 'n', n);
    return Math.floor(this.next() * n);
  }

  /** A sample of the standard normal distribution (Box-Muller). */
  nextGaussian(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `values` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(values: T): T {
    for (let index = values.length - 1; index > 0; index--) {
      const other = Math.floor(this.next() * (index + 1));
      const value = values[index];
      values[index] = values[other];
      values[other] = value;
    }
    return values;
  }
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/**
 * The seeds the random streams tell apart: whole numbers from 0 to 2^32 - 1 (a stream keeps the
 * low 32 bits of its seed, so 0.5, 2^32 or 2^53 would silently train as another seed).
 */
export const SEED_RANGE = { min: 0, max: 0xffffffff } as const;

/**
 * Checks that `value` is a seed the random streams use as given: a whole number in
 * {@link SEED_RANGE}.
 *
 * @throws {InvalidArgumentError} naming caller and argument, with the range.
 * @example const seed = requireSeed('sdae', '--seed', 42);
 */
export function requireSeed(caller: string, argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < SEED_RANGE.min || value > SEED_RANGE.max) {
    throw new InvalidArgumentError(
      argument,
      value,
      `${caller}: ${argument} must be a whole number from ${SEED_RANGE.min} to ${SEED_RANGE.max} (2^32 - 1; the random streams keep ` +
        `32 bits of a seed, so other values would train as some other seed); received ${describeValue(value)}.`,
    );
  }
  return value;
}
