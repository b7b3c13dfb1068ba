// Mutated saved models and checkpoints, from a fixed seed: every one is either refused with one
// of sdae's errors or loads exactly the weights that were saved, without a memory spike.
// SDAE_FUZZ_COUNT=20000 runs more mutations of each, SDAE_FUZZ_SEED=n other ones.
import * as tf from '@tensorflow/tfjs-core';
import { Random, SdaeError, crc32 } from '@sdae/core';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder, modelFromBytes, modelToBytes } from '@sdae/layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeCheckpoint, restoreCheckpoint } from './checkpoint/checkpoint';
import { Optimizer } from './optim/optimizers';
import { trainAutoencoder } from './loops/train-autoencoder';

const COUNT = Number(process.env.SDAE_FUZZ_COUNT ?? 2000);
const SEED = Number(process.env.SDAE_FUZZ_SEED ?? 1);
const daOptions = { visibleSize: 16, hiddenSize: 6, tiedWeights: false, corruptionLevel: 0.3, seed: 7 };

/** JSON values a mutation puts in place of a field: wrong types, huge and negative sizes, fractions. */
const REPLACEMENTS: unknown[] = [null, -1, 0, 1, 1.5, 1e6, 1e300, 'x', '', [], {}, true, [1e6, 784], { hiddenSize: 1e6 }];

/** One random mutation of `bytes`: bit flips, a byte set, truncation, extra bytes, or an edit of the metadata JSON. */
function mutate(bytes: Uint8Array, random: Random): { bytes: Uint8Array; kind: 'raw' | 'json' } {
  const pick = (n: number) => Math.floor(random.next() * n);
  const choice = pick(6);
  if (choice === 0) {
    const copy = Uint8Array.from(bytes);
    for (let flips = 1 + pick(4); flips > 0; flips--) copy[pick(copy.length)] ^= 1 << pick(8);
    return { bytes: copy, kind: 'raw' };
  }
  if (choice === 1) {
    const copy = Uint8Array.from(bytes);
    copy[pick(copy.length)] = [0, 0xff, 0x7f, 0x80, pick(256)][pick(5)]!;
    return { bytes: copy, kind: 'raw' };
  }
  if (choice === 2) return { bytes: bytes.slice(0, pick(bytes.length)), kind: 'raw' };
  if (choice === 3) {
    const extra = Uint8Array.from({ length: 1 + pick(64) }, () => pick(256));
    const copy = new Uint8Array(bytes.length + extra.length);
    copy.set(bytes);
    copy.set(extra, bytes.length);
    return { bytes: copy, kind: 'raw' };
  }
  // Edit one field of the metadata and fix the header (length and CRC), as a tool rewriting the JSON would.
  const edited = forged(bytes, (meta) => {
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
      }
    };
    walk(meta, []);
    const path = paths[1 + pick(paths.length - 1)]!;
    let parent = meta as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    if (choice === 4 && !Array.isArray(parent)) delete parent[last];
    else parent[last] = REPLACEMENTS[pick(REPLACEMENTS.length)];
  });
  return { bytes: edited, kind: 'json' };
}

/** `bytes` with its metadata rewritten by `edit` and the header fixed, as a forger would. */
function forged<Meta = Record<string, unknown>>(bytes: Uint8Array, edit: (meta: Meta) => void): Uint8Array {
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLength))) as Meta;
  edit(meta);
  const text = JSON.stringify(meta);
  const json = new TextEncoder().encode(text.padEnd(Math.ceil(text.length / 4) * 4));
  const data = bytes.subarray(16 + jsonLength);
  const copy = new Uint8Array(16 + json.length + data.length);
  copy.set(bytes.subarray(0, 8));
  new DataView(copy.buffer).setUint32(8, json.length, true);
  new DataView(copy.buffer).setUint32(12, crc32(json), true);
  copy.set(json, 16);
  copy.set(data, 16 + json.length);
  return copy;
}

const weightsOf = (model: { getWeights(): Map<string, { shape: number[]; values: Float32Array }> }) =>
  [...model.getWeights()].map(([name, { shape, values }]) => [name, shape, Array.from(values)]);

/** Runs `load` on `COUNT` mutations; each either throws an sdae error or returns what `same` accepts. */
function fuzz(original: Uint8Array, seed: number, load: (bytes: Uint8Array, kind: 'raw' | 'json') => void) {
  const random = new Random(seed);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let refused = 0;
  for (let iteration = 0; iteration < COUNT; iteration++) {
    const { bytes, kind } = mutate(original, random);
    try {
      load(bytes, kind);
    } catch (error) {
      if (!SdaeError.isInstance(error)) throw new Error(`mutation ${iteration} (${kind}) threw a non-sdae error: ${String(error)}`);
      refused++;
    }
    if (iteration % 50 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  return { refused, peakGrowth: peak - rssBefore };
}

describe('fuzzed saved models and checkpoints [cpu]', () => {
  beforeAll(() => void vi.spyOn(console, 'warn').mockImplementation(() => {}));
  afterAll(() => vi.restoreAllMocks());

  it(`refuses or loads exactly ${COUNT} mutations of a saved model`, () => {
    const da = new DenoisingAutoencoder(daOptions);
    const original = modelToBytes(da);
    const expected = weightsOf(da);
    da.dispose();
    const tensors = tf.memory().numTensors;
    const { refused, peakGrowth } = fuzz(original, SEED, (bytes) => {
      const model = modelFromBytes(bytes, 'da.sdae');
      try {
        expect(weightsOf(model)).toEqual(expected);
      } finally {
        model.dispose();
      }
    });
    expect(refused).toBeGreaterThan(COUNT * 0.9);
    expect(peakGrowth).toBeLessThan(256 * 1024 * 1024);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 120_000);

  it(`refuses or restores exactly ${COUNT} mutations of a checkpoint`, async () => {
    const da = new DenoisingAutoencoder(daOptions);
    let original: Uint8Array | undefined;
    const set = barsAndStripes({ size: 4, count: 32 });
    await trainAutoencoder(da, set, {
      epochs: 1,
      batchSize: 8,
      optimizer: 'momentum',
      checkpoint: { write: async (bytes) => void (original = bytes) },
    });
    const saved = decodeCheckpoint(original!);
    const expected = weightsOf(da);
    da.dispose();
    const tensors = tf.memory().numTensors;
    const model = new DenoisingAutoencoder(daOptions);
    const { refused, peakGrowth } = fuzz(original!, SEED + 1, (bytes, kind) => {
      const checkpoint = decodeCheckpoint(bytes, 'da.ckpt');
      const optimizer = new Optimizer({ name: 'momentum', learningRate: 0.1 });
      try {
        const state = restoreCheckpoint(checkpoint, model, optimizer, { loop: 'autoencoder', settings: saved.settings });
        expect(weightsOf(model)).toEqual(expected);
        expect(optimizer.getState().slots).toEqual(saved.optimizer.slots);
        // A raw mutation that is not refused changed nothing that matters; a rewritten JSON may change the state, not the weights.
        if (kind === 'raw') expect(state).toEqual(saved.state);
      } finally {
        optimizer.dispose();
      }
    });
    model.dispose();
    expect(refused).toBeGreaterThan(COUNT * 0.9);
    expect(peakGrowth).toBeLessThan(256 * 1024 * 1024);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 120_000);
});

/** The parts of a bundle's metadata the forgeries edit. */
interface ForgedMeta {
  config: Record<string, unknown>;
  tensors: { shape: number[] }[];
}

describe('files claiming huge shapes [cpu]', () => {
  it('refuses a small model claiming hiddenSize 1e6, or a tensor of [784, 1e6], before allocating', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 4, hiddenSize: 2, seed: 1 });
    const bytes = modelToBytes(da);
    da.dispose();
    expect(bytes.length).toBeLessThan(1024);
    const rss = process.memoryUsage().rss;
    // 784 x 100,000 weights (0.3 GB) are within what a weight matrix may hold, but not in the 14 values present.
    const config = forged<ForgedMeta>(bytes, (meta) => Object.assign(meta.config, { visibleSize: 784, hiddenSize: 1e5 }));
    expect(() => modelFromBytes(config, 'da.sdae')).toThrow(
      /da.sdae: config is wrong: expected a configuration whose weights fit the 14 values/,
    );
    // 784 x 1e6 is more than any weight matrix may hold: the model's own size check refuses it.
    const huge = forged<ForgedMeta>(bytes, (meta) => Object.assign(meta.config, { visibleSize: 784, hiddenSize: 1e6 }));
    expect(() => modelFromBytes(huge, 'da.sdae')).toThrow(/da.sdae: config is wrong: .*would hold 784000000 values/);
    const shape = forged<ForgedMeta>(bytes, (meta) => (meta.tensors[0].shape = [784, 1e6]));
    expect(() => modelFromBytes(shape, 'da.sdae')).toThrow(
      /da.sdae: size of the weight data is wrong: expected 3136000024 bytes, found 56 bytes/,
    );
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a checkpoint claiming a tensor of [784, 1e6] before allocating', async () => {
    const da = new DenoisingAutoencoder({ visibleSize: 16, hiddenSize: 2, seed: 1 });
    let bytes: Uint8Array | undefined;
    await trainAutoencoder(da, barsAndStripes({ size: 4, count: 16 }), {
      epochs: 1,
      batchSize: 8,
      checkpoint: { write: async (b) => void (bytes = b) },
    });
    da.dispose();
    const rss = process.memoryUsage().rss;
    const huge = forged<ForgedMeta>(bytes!, (meta) => (meta.tensors[0].shape = [784, 1e6]));
    expect(() => decodeCheckpoint(huge, 'da.ckpt')).toThrow(/da.ckpt: size of the weight data is wrong: expected \d+ bytes/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });
});
