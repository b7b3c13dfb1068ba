import { mkdir, mkdtemp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { ModelFormatError } from './errors';
import { modelFromBytes, modelToBytes } from './model-io';
import { loadModel, saveModel } from './save-load-node';

/** A saved dA's directory, its files and its parsed model.json. */
async function savedDa(): Promise<{ directory: string; configFile: string; weightsFile: string; json: Record<string, unknown> }> {
  const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, tiedWeights: false, seed: 1 });
  const directory = join(await mkdtemp(join(tmpdir(), 'sdae-integrity-')), 'model');
  await saveModel(da, directory);
  da.dispose();
  const configFile = join(directory, 'model.json');
  return { directory, configFile, weightsFile: join(directory, 'weights.bin'), json: JSON.parse(await readFile(configFile, 'utf8')) };
}

async function loadError(directory: string): Promise<ModelFormatError> {
  const error = await loadModel(directory).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ModelFormatError.isInstance(error), String(error)).toBe(true);
  return error as ModelFormatError;
}

describe('loadModel integrity', () => {
  it('names the file and the tensor of any flipped bit in weights.bin', async () => {
    const { directory, weightsFile } = await savedDa();
    const original = await readFile(weightsFile);
    // W is 6 x 3 (72 bytes), then b (12 bytes), bPrime (24 bytes), WPrime (72 bytes).
    for (const [offset, tensor] of [
      [0, 'W'],
      [71, 'W'],
      [72, 'b'],
      [90, 'bPrime'],
      [179, 'WPrime'],
    ] as const) {
      for (const bit of [0, 7]) {
        const damaged = Buffer.from(original);
        damaged[offset] ^= 1 << bit;
        await writeFile(weightsFile, damaged);
        const error = await loadError(directory);
        expect(error.file).toBe(weightsFile);
        expect(error.message).toContain(`${weightsFile}: tensor ${tensor} fails its checksum`);
      }
    }
  });

  it('catches a manifest edit: a reversed shape, a renamed tensor, a dropped checksum', async () => {
    const { directory, configFile, json } = await savedDa();
    const weights = json.weights as { name: string; shape: number[]; crc32?: number }[];
    const edits: [string, (entries: typeof weights) => void, RegExp][] = [
      ['reversed', (entries) => entries[0]!.shape.reverse(), /tensor W fails its checksum/],
      ['renamed', (entries) => ([entries[0]!.name, entries[3]!.name] = ['WPrime', 'W']), /fails its checksum/],
      ['dropped', (entries) => delete entries[1]!.crc32, /tensor b is wrong: expected a dtype and a crc32/],
    ];
    for (const [, edit, pattern] of edits) {
      const entries = structuredClone(weights);
      edit(entries);
      await writeFile(configFile, JSON.stringify({ ...json, weights: entries }));
      expect((await loadError(directory)).message).toMatch(pattern);
    }
  });

  it('loads a model saved without checksums (an older sdae) with a warning naming the file', async () => {
    const { directory, configFile, json } = await savedDa();
    const weights = (json.weights as { name: string; shape: number[] }[]).map(({ name, shape }) => ({ name, shape }));
    await writeFile(configFile, JSON.stringify({ ...json, weights }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const model = await loadModel(directory);
      expect(model.className).toBe('DenoisingAutoencoder');
      model.dispose();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`sdae: ${configFile} was saved by an older sdae without checksums`));
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a configuration claiming more weights than the file holds before allocating them', async () => {
    const { directory, configFile, json } = await savedDa();
    const config = json.config as Record<string, unknown>;
    // 784 x 100,000 weights are within what one weight matrix may hold, but not in the file; without
    // the metadata checksum (an older file), so that the size check itself is what refuses it.
    const older = { ...json };
    delete older.metadataCrc32;
    await writeFile(configFile, JSON.stringify({ ...older, config: { ...config, visibleSize: 784, hiddenSize: 1e5 } }));
    const rss = process.memoryUsage().rss;
    const tensors = tf.memory().numTensors;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = await loadError(directory).finally(() => warn.mockRestore());
    expect(error.message).toContain(`${configFile}: config is wrong: expected a configuration whose weights fit the 45 values`);
    expect(error.message).toContain('W [784, 100000]');
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('loadModel and the metadata checksum of model.json', () => {
  it('refuses an edited configuration (config.activation deleted) by name, before building the model', async () => {
    const { directory, configFile, json } = await savedDa();
    const config = { ...(json.config as Record<string, unknown>) };
    delete config.activation;
    await writeFile(configFile, JSON.stringify({ ...json, config }, null, 2));
    const tensors = tf.memory().numTensors;
    const error = await loadError(directory);
    expect(error.field).toBe('metadata');
    expect(error.message).toBe(
      `${configFile}: the model's class, configuration or random states fail their checksum (metadataCrc32): the file was edited ` +
        'or damaged since it was saved, and would load another model. Use an intact copy or save the model again.',
    );
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('loads a model.json reformatted (other spacing) but unchanged', async () => {
    const { directory, configFile, json } = await savedDa();
    await writeFile(configFile, JSON.stringify(json));
    const model = await loadModel(directory);
    expect(model.getConfig()).toEqual(json.config);
    model.dispose();
  });

  it('loads a model.json saved before the metadata checksum with a warning naming the file', async () => {
    const { directory, configFile, json } = await savedDa();
    const older = { ...json };
    delete older.metadataCrc32;
    await writeFile(configFile, JSON.stringify(older));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const model = await loadModel(directory);
      model.dispose();
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(`sdae: ${configFile} was saved by an older sdae without a checksum of its configuration`),
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('loading NaN weights', () => {
  async function nanDa(): Promise<DenoisingAutoencoder> {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, seed: 1 });
    const values = new Float32Array(18);
    values[4] = Number.NaN;
    // Bypasses setWeights' own check, as a diverged run's saved weights or an edited file would.
    da.getVariable('W').assign(tf.tensor2d(values, [6, 3]));
    return da;
  }

  it('refuses NaN weights with a valid checksum in a saved model, naming the file, the weight and the index', async () => {
    const da = await nanDa();
    const directory = join(await mkdtemp(join(tmpdir(), 'sdae-nan-')), 'model');
    await saveModel(da, directory);
    da.dispose();
    const error = await loadError(directory);
    expect(error.message).toMatch(/model\.json: weight W is wrong: expected finite numbers, found NaN at index 4/);
  });

  it('refuses them in modelFromBytes too', async () => {
    const da = await nanDa();
    const bytes = modelToBytes(da);
    da.dispose();
    expect(() => modelFromBytes(bytes, 'da.sdae')).toThrow(/^da\.sdae: weight W is wrong: expected finite numbers, found NaN at index 4/);
  });

  it('setWeights, where every load path ends, refuses an infinite weight and leaves the model unchanged', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, seed: 1 });
    const before = da.getWeights().get('W')!.values;
    const values = new Float32Array(18).fill(0.5);
    values[7] = Number.POSITIVE_INFINITY;
    expect(() => da.setWeights({ W: values })).toThrow(
      'DenoisingAutoencoder.setWeights: W must hold finite numbers; received Infinity at index 7.',
    );
    expect(da.getWeights().get('W')!.values).toEqual(before);
    da.dispose();
  });
});

describe('modelFromBytes integrity', () => {
  it('names the tensor of a flipped bit', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, tiedWeights: false, seed: 1 });
    const bytes = modelToBytes(da);
    da.dispose();
    const damaged = Uint8Array.from(bytes);
    damaged[bytes.length - 1] ^= 0x10;
    expect(() => modelFromBytes(damaged, 'da.sdae')).toThrow('da.sdae: tensor WPrime fails its checksum');
  });
});

describe('saveModel and loadModel after an interrupted save', () => {
  const values = async (directory: string) => {
    const model = await loadModel(directory);
    const W = Array.from(model.getWeights().get('W')!.values);
    model.dispose();
    return W;
  };

  it('put back the previous model when a save stopped between its renames, and the next save removes every leftover', async () => {
    const { directory } = await savedDa();
    const old = await values(directory);
    // The state a kill between saveModel's two renames leaves: the old model as .previous-*, the new one as .partial-*.
    const newer = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, tiedWeights: false, seed: 2 });
    await saveModel(newer, `${directory}-staging`);
    await rename(directory, `${directory}.previous-0000`);
    await rename(`${directory}-staging`, `${directory}.partial-1111`);
    expect(await values(directory)).toEqual(old);
    await mkdir(`${directory}.partial-2222`);
    await saveModel(newer, directory);
    expect(await values(directory)).toEqual(Array.from(newer.getWeights().get('W')!.values));
    expect(await readdir(dirname(directory))).toEqual(['model']);
    newer.dispose();
  });

  it('removes the leftovers of a save killed while writing the new copy', async () => {
    const { directory } = await savedDa();
    await mkdir(`${directory}.partial-abcd`);
    await writeFile(join(`${directory}.partial-abcd`, 'weights.bin'), 'half');
    await mkdir(`${directory}.previous-dcba`);
    const da = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, seed: 3 });
    await saveModel(da, directory);
    da.dispose();
    expect(await readdir(dirname(directory))).toEqual(['model']);
  });
});
