import { describe, expect, it } from 'vitest';
import { batchCount, epochBatches, epochOrder, gatherBatch, sampledBatches } from './batches';
import { InvalidArgumentError } from '@sdae/core';
import type { ImageSet } from './image-set';

/** Ten 1 x 2 images whose pixels are (i, -i) and whose label is i. */
function tinySet(count = 10): ImageSet {
  const images = new Float32Array(count * 2);
  for (let index = 0; index < count; index++) images.set([index, -index], index * 2);
  return { images, labels: Uint8Array.from({ length: count }, (_, index) => index), count, height: 1, width: 2, numClasses: count };
}

const indicesOf = (batches: Iterable<{ indices: Int32Array }>) => Array.from(batches, (batch) => Array.from(batch.indices));

describe('batchCount', () => {
  it('drops the partial batch as n // batch_size in the Theano tutorial, or keeps it', () => {
    expect(batchCount(50_000, 20)).toBe(2500);
    expect(batchCount(10, 3)).toBe(3);
    expect(batchCount(10, 3, 'keep')).toBe(4);
  });
});

describe('epochBatches', () => {
  it('slices in order by default and drops the partial batch', () => {
    expect(indicesOf(epochBatches(tinySet(), { batchSize: 3 }))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
  });

  it('keeps a smaller last batch when asked', () => {
    const batches = [...epochBatches(tinySet(), { batchSize: 4, partialBatch: 'keep' })];
    expect(batches.map((batch) => batch.size)).toEqual([4, 4, 2]);
    expect(Array.from(batches[2]!.images)).toEqual([8, -8, 9, -9]);
    expect(Array.from(batches[2]!.labels)).toEqual([8, 9]);
  });

  it('numbers the batches within the epoch and carries the geometry', () => {
    const batches = [...epochBatches(tinySet(), { batchSize: 5 })];
    expect(batches.map((batch) => batch.index)).toEqual([0, 1]);
    expect([batches[0]!.height, batches[0]!.width, batches[0]!.numClasses]).toEqual([1, 2, 10]);
  });

  it('shuffles each epoch differently, reproducibly from (seed, epoch), visiting every example once', () => {
    const epoch0 = indicesOf(epochBatches(tinySet(), { batchSize: 5, order: 'shuffled', seed: 9, epoch: 0 })).flat();
    const epoch1 = indicesOf(epochBatches(tinySet(), { batchSize: 5, order: 'shuffled', seed: 9, epoch: 1 })).flat();
    const again = indicesOf(epochBatches(tinySet(), { batchSize: 5, order: 'shuffled', seed: 9, epoch: 1 })).flat();
    expect([...epoch0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch1).toEqual(again);
    expect(epoch1).not.toEqual(epoch0);
    expect(epoch0).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gathers the images and labels of the shuffled examples', () => {
    for (const batch of epochBatches(tinySet(), { batchSize: 5, order: 'shuffled', seed: 2 })) {
      batch.indices.forEach((example, row) => {
        expect(batch.labels[row]).toBe(example);
        expect([batch.images[row * 2], batch.images[row * 2 + 1]]).toEqual([example, -example]);
      });
    }
  });

  it('refuses a batch larger than the set when partial batches are dropped', () => {
    expect(() => [...epochBatches(tinySet(), { batchSize: 11 })]).toThrowError(
      "epochBatches: batchSize 11 is larger than the 10 examples and partialBatch is 'drop', so an epoch would have no batch. " +
        "Use a batchSize <= 10 or partialBatch: 'keep'.",
    );
  });

  it('refuses a non-positive or fractional batch size and unknown names', () => {
    expect(() => [...epochBatches(tinySet(), { batchSize: 0 })]).toThrow(InvalidArgumentError);
    expect(() => [...epochBatches(tinySet(), { batchSize: 2.5 })]).toThrow('batchSize must be a whole number >= 1; received 2.5');
    expect(() => [...epochBatches(tinySet(), { order: 'random' as never })]).toThrow(
      `epochBatches: order must be one of 'sequential', 'shuffled'; received "random".`,
    );
  });
});

describe('epochOrder', () => {
  it('matches the order epochBatches visits', () => {
    const order = epochOrder(10, { order: 'shuffled', seed: 4, epoch: 3 });
    const visited = indicesOf(epochBatches(tinySet(), { batchSize: 2, order: 'shuffled', seed: 4, epoch: 3 })).flat();
    expect(visited).toEqual(Array.from(order));
  });
});

describe('gatherBatch', () => {
  it('refuses an index outside the set', () => {
    expect(() => gatherBatch(tinySet(), Int32Array.of(0, 10))).toThrow('gatherBatch: indices[1] is 10; expected a position in [0, 9].');
  });
});

describe('sampledBatches', () => {
  it('draws the requested number of batches with replacement from the whole set', () => {
    const batches = [...sampledBatches(tinySet(), { batchSize: 50, iterations: 4, seed: 1 })];
    expect(batches).toHaveLength(4);
    const drawn = batches.flatMap((batch) => Array.from(batch.indices));
    expect(new Set(drawn).size).toBe(10);
    // 50 draws from 10 examples must repeat some: sampling is with replacement.
    expect(new Set(batches[0]!.indices).size).toBeLessThan(50);
  });

  it('draws the same examples at iteration i whether the run started at 0 or resumed at i', () => {
    const full = indicesOf(sampledBatches(tinySet(), { batchSize: 4, iterations: 6, seed: 3 }));
    const resumed = indicesOf(sampledBatches(tinySet(), { batchSize: 4, iterations: 2, seed: 3, startIteration: 4 }));
    expect(resumed).toEqual(full.slice(4));
  });

  it('numbers each batch with its iteration', () => {
    const batches = [...sampledBatches(tinySet(), { batchSize: 2, iterations: 2, startIteration: 7 })];
    expect(batches.map((batch) => batch.index)).toEqual([7, 8]);
  });
});

/** Each batch's contents, copied as the batch is yielded (a reused array changes later). */
function contents(batches: Iterable<{ images: Float32Array; labels: Uint8Array; indices: Int32Array; index: number; size: number }>) {
  return Array.from(batches, ({ images, labels, indices, index, size }) => ({
    images: Array.from(images),
    labels: Array.from(labels),
    indices: Array.from(indices),
    index,
    size,
  }));
}

describe('batch buffers', () => {
  it('gives sampled batches the same contents with reused arrays as with new ones', () => {
    const options = { batchSize: 4, iterations: 7, seed: 3 };
    expect(contents(sampledBatches(tinySet(), { ...options, buffers: 2 }))).toEqual(contents(sampledBatches(tinySet(), options)));
  });

  it('gives shuffled epochs the same contents with reused arrays as with new ones, the smaller last batch included', () => {
    const options = { batchSize: 4, order: 'shuffled' as const, seed: 2, epoch: 1, partialBatch: 'keep' as const };
    expect(contents(epochBatches(tinySet(), { ...options, buffers: 3 }))).toEqual(contents(epochBatches(tinySet(), options)));
  });

  it('overwrites a batch only `buffers` batches later', () => {
    const seen: ReturnType<typeof contents> = [];
    const batches = [];
    for (const batch of sampledBatches(tinySet(), { batchSize: 3, iterations: 5, seed: 1, buffers: 2 })) {
      seen.push(...contents([batch]));
      batches.push(batch);
    }
    expect(new Set(batches.map((batch) => batch.images.buffer)).size).toBe(2);
    const now = contents(batches);
    // The last two still hold what they held when yielded; batch 0 holds batch 4's examples.
    expect(now.slice(3)).toEqual(seen.slice(3));
    expect({ ...now[0]!, index: 4 }).toEqual(seen[4]);
    expect(seen[0]!.indices).not.toEqual(seen[4]!.indices);
  });

  it('refuses a negative or fractional number of buffers', () => {
    expect(() => [...sampledBatches(tinySet(), { iterations: 1, batchSize: 2, buffers: -1 })]).toThrow(InvalidArgumentError);
    expect(() => [...epochBatches(tinySet(), { batchSize: 2, order: 'shuffled', buffers: 1.5 })]).toThrow(/buffers/);
  });
});
