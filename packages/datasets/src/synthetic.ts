import {
  InvalidArgumentError,
  Random,
  deriveSeed,
  requireKnownKeys,
  requireNumber,
  requirePositiveInteger,
  type KnownKeys,
} from '@sdae/core';
import type { ImageSet } from './image-set';

/** Options of {@link barsAndStripes}. */
export interface BarsAndStripesOptions {
  /** The side of the square grid. @default 4 */
  size?: number;
  /** The number of images. @default 256 */
  count?: number;
  /** The seed. @default 0 */
  seed?: number;
  /** The probability that each pixel is flipped after drawing. @default 0 */
  flipProbability?: number;
}

const BARS_AND_STRIPES_OPTION_KEYS: KnownKeys<BarsAndStripesOptions> = { size: true, count: true, seed: true, flipProbability: true };

/**
 * A small synthetic labelled dataset for unit tests that must train in seconds: "bars and
 * stripes" on a `size x size` grid. Each image lights a random subset (neither empty nor full)
 * of its rows (label 0, bars) or of its columns (label 1, stripes); pixels are 0 or 1, optionally
 * flipped with `flipProbability`. The same options give the same set.
 *
 * @example const set = barsAndStripes({ size: 4, count: 200, seed: 1 }); // 200 images of 4 x 4, 2 classes
 */
export function barsAndStripes(options: BarsAndStripesOptions = {}): ImageSet {
  requireKnownKeys('barsAndStripes', 'options', options, BARS_AND_STRIPES_OPTION_KEYS);
  const size = requirePositiveInteger('barsAndStripes', 'size', options.size ?? 4);
  const count = requirePositiveInteger('barsAndStripes', 'count', options.count ?? 256);
  const flipProbability = requireNumber('barsAndStripes', 'flipProbability', options.flipProbability ?? 0, { min: 0, max: 1 });
  if (size < 2) {
    throw new InvalidArgumentError(
      'size',
      size,
      `barsAndStripes: size must be >= 2 (a 1 x 1 grid has neither bars nor stripes); received ${size}.`,
    );
  }
  const seed = options.seed ?? 0;
  const random = new Random(seed);
  // A separate stream for flips: the same seed gives the same clean images at any flip rate.
  const flips = new Random(deriveSeed(seed, 1));
  const images = new Float32Array(count * size * size);
  const labels = new Uint8Array(count);
  const lines = new Uint8Array(size);
  for (let example = 0; example < count; example++) {
    const label = random.nextInt(2);
    let lit = 0;
    do {
      lit = 0;
      for (let line = 0; line < size; line++) {
        lines[line] = random.nextInt(2);
        lit += lines[line];
      }
    } while (lit === 0 || lit === size);
    const offset = example * size * size;
    for (let row = 0; row < size; row++) {
      for (let column = 0; column < size; column++) {
        const on = label === 0 ? lines[row] : lines[column];
        const flip = flipProbability > 0 && flips.next() < flipProbability;
        images[offset + row * size + column] = on ^ (flip ? 1 : 0);
      }
    }
    labels[example] = label;
  }
  return { images, labels, count, height: size, width: size, numClasses: 2 };
}
