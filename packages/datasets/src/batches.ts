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
  /** `size * height * width` pixels. For sequential batches a view into the set: do not modify. */
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
}

interface ResolvedEpochBatchOptions {
  batchSize: number;
  order: BatchOrder;
  seed: number;
  epoch: number;
  partialBatch: PartialBatchPolicy;
}

const EPOCH_BATCH_OPTION_KEYS: KnownKeys<EpochBatchOptions> = { batchSize: true, order: true, seed: true, epoch: true, partialBatch: true };

const SAMPLED_BATCH_OPTION_KEYS: KnownKeys<SampledBatchOptions> = { batchSize: true, iterations: true, seed: true, startIteration: true };

function resolveEpochBatchOptions(caller: string, count: number, options: EpochBatchOptions): ResolvedEpochBatchOptions {
  requireKnownKeys(caller, 'options', options, EPOCH_BATCH_OPTION_KEYS);
  const resolved: ResolvedEpochBatchOptions = {
    batchSize: requirePositiveInteger(caller, 'batchSize', options.batchSize ?? 20),
    order: resolveChoice(caller, 'order', options.order ?? 'sequential', BATCH_ORDERS),
    seed: options.seed ?? 0,
    epoch: requireNonNegativeInteger(caller, 'epoch', options.epoch ?? 0),
    partialBatch: resolveChoice(caller, 'partialBatch', options.partialBatch ?? 'drop', PARTIAL_BATCH_POLICIES),
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
  const imageSize = set.height * set.width;
  const images = new Float32Array(indices.length * imageSize);
  const labels = new Uint8Array(indices.length);
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
  const { batchSize, order, seed, epoch, partialBatch } = resolveEpochBatchOptions('epochBatches', set.count, options);
  const batches = batchCount(set.count, batchSize, partialBatch);
  const permutation = order === 'shuffled' ? epochOrder(set.count, { order, seed, epoch }) : undefined;
  const imageSize = set.height * set.width;
  for (let batch = 0; batch < batches; batch++) {
    const start = batch * batchSize;
    const end = Math.min(start + batchSize, set.count);
    if (permutation !== undefined) {
      yield gatherBatch(set, permutation.slice(start, end), batch);
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
  const seed = options.seed ?? 0;
  for (let iteration = startIteration; iteration < startIteration + iterations; iteration++) {
    const random = new Random(deriveSeed(seed, 0x5a3b1e, iteration));
    const indices = new Int32Array(batchSize);
    for (let row = 0; row < batchSize; row++) indices[row] = Math.floor(random.next() * set.count);
    yield gatherBatch(set, indices, iteration);
  }
}
