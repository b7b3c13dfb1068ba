import {
  InvalidArgumentError,
  Random,
  deriveSeed,
  requireKnownKeys,
  requireNonNegativeInteger,
  requirePositiveInteger,
  resolveChoice,
  type KnownKeys,
} from '@sdae/core';
import type { ImageSet } from './image-set';

/** A minibatch: a few images and their labels, with where they came from. */
export interface Batch {
  /** `size * height * width` pixels. For sequential batches a view into the set: do not modify; with `buffers`, overwritten by a later batch. */
  images: Float32Array;
  /** `size` labels. */
  labels: Uint8Array;
  /** The position of each example in the set. */
  indices: Int32Array;
  /** The number of examples in this batch (the last batch may be smaller with `'keep'`). */
  size: number;
  /** The batch's number within its epoch, or the iteration number for sampled batches. */
  index: number;
  height: number;
  width: number;
  numClasses: number;
}

/**
 * The order of examples within an epoch:
 * - `'sequential'`: in the set's order, as the Theano tutorial's `index * batch_size` slices;
 * - `'shuffled'`: a fresh seeded permutation every epoch.
 */
export type BatchOrder = 'sequential' | 'shuffled';

/**
 * What happens to the last batch when the set size is not a multiple of the batch size:
 * - `'drop'`: it is left out, as the Theano tutorial's `n_batches = n // batch_size`;
 * - `'keep'`: it is yielded with fewer examples (use this to evaluate on every example).
 */
export type PartialBatchPolicy = 'drop' | 'keep';

const BATCH_ORDERS: readonly BatchOrder[] = ['sequential', 'shuffled'];
const PARTIAL_BATCH_POLICIES: readonly PartialBatchPolicy[] = ['drop', 'keep'];

/** Options of {@link epochBatches}. */
export interface EpochBatchOptions {
  /** Examples per batch. @default 20 (the dA tutorial) */
  batchSize?: number;
  /** The order of examples. @default 'sequential' */
  order?: BatchOrder;
  /** The seed of the shuffles. @default 0 */
  seed?: number;
  /** The epoch number: with `'shuffled'`, each epoch has its own permutation. @default 0 */
  epoch?: number;
  /** The fate of a last, smaller batch. @default 'drop' */
  partialBatch?: PartialBatchPolicy;
  /**
   * Copied batches take their arrays from this many sets, in turn, instead of new ones: batch
   * `i`'s arrays are overwritten by batch `i + buffers`, so use (or copy) a batch before then. A
   * long run then allocates no batch memory (allocating MNIST's 100-image batches took 0.2 ms a
   * batch). 0 gives every batch its own arrays. Sequential batches are views of the set, never copied. @default 0
   */
  buffers?: number;
}

interface ResolvedEpochBatchOptions {
  batchSize: number;
  order: BatchOrder;
  seed: number;
  epoch: number;
  partialBatch: PartialBatchPolicy;
  buffers: number;
}

const EPOCH_BATCH_OPTION_KEYS: KnownKeys<EpochBatchOptions> = {
  batchSize: true,
  order: true,
  seed: true,
  epoch: true,
  partialBatch: true,
  buffers: true,
};

const SAMPLED_BATCH_OPTION_KEYS: KnownKeys<SampledBatchOptions> = {
  batchSize: true,
  iterations: true,
  seed: true,
  startIteration: true,
  buffers: true,
};

function resolveEpochBatchOptions(caller: string, count: number, options: EpochBatchOptions): ResolvedEpochBatchOptions {
  requireKnownKeys(caller, 'options', options, EPOCH_BATCH_OPTION_KEYS);
  const resolved: ResolvedEpochBatchOptions = {
    batchSize: requirePositiveInteger(caller, 'batchSize', options.batchSize ?? 20),
    order: resolveChoice(caller, 'order', options.order ?? 'sequential', BATCH_ORDERS),
    seed: options.seed ?? 0,
    epoch: requireNonNegativeInteger(caller, 'epoch', options.epoch ?? 0),
    partialBatch: resolveChoice(caller, 'partialBatch', options.partialBatch ?? 'drop', PARTIAL_BATCH_POLICIES),
    buffers: requireNonNegativeInteger(caller, 'buffers', options.buffers ?? 0),
  };
  if (resolved.partialBatch === 'drop' && resolved.batchSize > count) {
    throw new InvalidArgumentError(
      'batchSize',
      resolved.batchSize,
      `${caller}: batchSize ${resolved.batchSize} is larger than the ${count} examples and partialBatch is 'drop', ` +
        `so an epoch would have no batch. Use a batchSize <= ${count} or partialBatch: 'keep'.`,
    );
  }
  return resolved;
}

/**
 * The number of batches in an epoch of `count` examples.
 *
 * @example batchCount(50_000, 20); // 2500
 * @example batchCount(10, 3, 'keep'); // 4
 */
export function batchCount(count: number, batchSize: number, partialBatch: PartialBatchPolicy = 'drop'): number {
  requireNonNegativeInteger('batchCount', 'count', count);
  requirePositiveInteger('batchCount', 'batchSize', batchSize);
  resolveChoice('batchCount', 'partialBatch', partialBatch, PARTIAL_BATCH_POLICIES);
  return partialBatch === 'drop' ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/**
 * The order in which an epoch visits the examples: `0..count-1` for `'sequential'`, a
 * permutation determined by `(seed, epoch)` alone for `'shuffled'`.
 */
export function epochOrder(count: number, options: Pick<EpochBatchOptions, 'order' | 'seed' | 'epoch'> = {}): Int32Array {
  const order = resolveChoice('epochOrder', 'order', options.order ?? 'sequential', BATCH_ORDERS);
  const epoch = requireNonNegativeInteger('epochOrder', 'epoch', options.epoch ?? 0);
  const indices = new Int32Array(count);
  for (let index = 0; index < count; index++) indices[index] = index;
  if (order === 'shuffled') new Random(deriveSeed(options.seed ?? 0, epoch)).shuffle(indices);
  return indices;
}

/**
 * Copies the examples at `indices` into a new batch.
 *
 * @example const batch = gatherBatch(mnist.test, Int32Array.of(0, 7, 42));
 */
export function gatherBatch(set: ImageSet, indices: Int32Array, index = 0): Batch {
  const images = new Float32Array(indices.length * set.height * set.width);
  return fillBatch(set, indices, index, images, new Uint8Array(indices.length));
}

/** Copies the examples at `indices` into `images` and `labels` (sized for them) and returns them as a batch. */
function fillBatch(set: ImageSet, indices: Int32Array, index: number, images: Float32Array, labels: Uint8Array): Batch {
  const imageSize = set.height * set.width;
  for (let row = 0; row < indices.length; row++) {
    const example = indices[row];
    if (!(example >= 0 && example < set.count)) {
      throw new InvalidArgumentError(
        'indices',
        example,
        `gatherBatch: indices[${row}] is ${example}; expected a position in [0, ${set.count - 1}].`,
      );
    }
    images.set(set.images.subarray(example * imageSize, (example + 1) * imageSize), row * imageSize);
    labels[row] = set.labels[example];
  }
  return { images, labels, indices, size: indices.length, index, height: set.height, width: set.width, numClasses: set.numClasses };
}

/**
 * Where the batches of a generator are copied: `buffers` sets of arrays taken in turn, or new
 * arrays for every batch when `buffers` is 0.
 */
function batchFiller(set: ImageSet, batchSize: number, buffers: number): (indices: Int32Array, index: number) => Batch {
  if (buffers === 0) return (indices, index) => gatherBatch(set, indices, index);
  const imageSize = set.height * set.width;
  const slots = Array.from({ length: buffers }, () => ({
    images: new Float32Array(batchSize * imageSize),
    labels: new Uint8Array(batchSize),
    indices: new Int32Array(batchSize),
  }));
  let turn = 0;
  return (indices, index) => {
    const slot = slots[turn];
    turn = (turn + 1) % buffers;
    const size = indices.length;
    slot.indices.set(indices);
    const rows = slot.indices.subarray(0, size);
    return fillBatch(set, rows, index, slot.images.subarray(0, size * imageSize), slot.labels.subarray(0, size));
  };
}

/**
 * The minibatches of one epoch, in sequential or seeded shuffled order, with an explicit policy
 * for the last, smaller batch (dropped by default, as in the Theano tutorial).
 *
 * @throws {InvalidArgumentError} for a non-positive batchSize, an unknown order or policy, or a
 *   batchSize larger than the set when partial batches are dropped.
 * @example
 * for (const batch of epochBatches(mnist.train, { batchSize: 20, order: 'shuffled', seed: 1, epoch })) {
 *   // batch.images: 20 x 784 pixels, batch.labels: 20 labels
 * }
 */
export function* epochBatches(set: ImageSet, options: EpochBatchOptions = {}): Generator<Batch> {
  const { batchSize, order, seed, epoch, partialBatch, buffers } = resolveEpochBatchOptions('epochBatches', set.count, options);
  const batches = batchCount(set.count, batchSize, partialBatch);
  const permutation = order === 'shuffled' ? epochOrder(set.count, { order, seed, epoch }) : undefined;
  const fill = batchFiller(set, batchSize, buffers);
  const imageSize = set.height * set.width;
  for (let batch = 0; batch < batches; batch++) {
    const start = batch * batchSize;
    const end = Math.min(start + batchSize, set.count);
    if (permutation !== undefined) {
      // With buffers the indices are copied too, so a view of the permutation will do.
      yield fill(buffers === 0 ? permutation.slice(start, end) : permutation.subarray(start, end), batch);
      continue;
    }
    const indices = new Int32Array(end - start);
    for (let row = 0; row < indices.length; row++) indices[row] = start + row;
    yield {
      images: set.images.subarray(start * imageSize, end * imageSize),
      labels: set.labels.subarray(start, end),
      indices,
      size: end - start,
      index: batch,
      height: set.height,
      width: set.width,
      numClasses: set.numClasses,
    };
  }
}

/** Options of {@link sampledBatches}. */
export interface SampledBatchOptions {
  /** Examples per batch. @default 100 (the numpy notebook) */
  batchSize?: number;
  /** How many batches (iterations) to draw. */
  iterations: number;
  /** The seed of the draws. @default 0 */
  seed?: number;
  /** The first iteration's number, to resume a run exactly where it stopped. @default 0 */
  startIteration?: number;
  /**
   * Copied batches take their arrays from this many sets, in turn, instead of new ones: batch
   * `i`'s arrays are overwritten by batch `i + buffers`, so use (or copy) a batch before then. A
   * long run then allocates no batch memory (allocating MNIST's 100-image batches took 0.2 ms a
   * batch). 0 gives every batch its own arrays. @default 0
   */
  buffers?: number;
}

/**
 * Random minibatches drawn with replacement, one per iteration, as the numpy notebook's
 * `np.random.randint(0, n, batch_size)`. Iteration `i` draws the same examples for the same seed
 * whatever iteration the run started at.
 *
 * @example
 * for (const batch of sampledBatches(mnist.train, { batchSize: 100, iterations: 3000, seed: 0 })) { ... }
 */
export function* sampledBatches(set: ImageSet, options: SampledBatchOptions): Generator<Batch> {
  requireKnownKeys('sampledBatches', 'options', options, SAMPLED_BATCH_OPTION_KEYS);
  const batchSize = requirePositiveInteger('sampledBatches', 'batchSize', options.batchSize ?? 100);
  const iterations = requireNonNegativeInteger('sampledBatches', 'iterations', options.iterations);
  const startIteration = requireNonNegativeInteger('sampledBatches', 'startIteration', options.startIteration ?? 0);
  const buffers = requireNonNegativeInteger('sampledBatches', 'buffers', options.buffers ?? 0);
  const seed = options.seed ?? 0;
  const fill = batchFiller(set, batchSize, buffers);
  const drawn = new Int32Array(batchSize);
  for (let iteration = startIteration; iteration < startIteration + iterations; iteration++) {
    const random = new Random(deriveSeed(seed, 0x5a3b1e, iteration));
    const indices = buffers === 0 ? new Int32Array(batchSize) : drawn;
    for (let row = 0; row < batchSize; row++) indices[row] = Math.floor(random.next() * set.count);
    yield fill(indices, iteration);
  }
}
