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
    // 784 x 100,000 weights are within what one weight matrix may hold, but not in the file.
    await writeFile(configFile, JSON.stringify({ ...json, config: { ...config, visibleSize: 784, hiddenSize: 1e5 } }));
    const rss = process.memoryUsage().rss;
    const tensors = tf.memory().numTensors;
    const error = await loadError(directory);
    expect(error.message).toContain(`${configFile}: config is wrong: expected a configuration whose weights fit the 45 values`);
    expect(error.message).toContain('W [784, 100000]');
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    expect(tf.memory().numTensors).toBe(tensors);
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
