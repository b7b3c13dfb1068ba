import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { filterRows, readFilterRows } from './filter-rows';
import { modelToBytes, readModelBytes } from './model-io';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

describe('filterRows', () => {
  it("gives a dA's W (d x h) as h rows of d values: row i is hidden unit i's input weights", () => {
    const da = new DenoisingAutoencoder({ visibleSize: 3, hiddenSize: 2 });
    da.setWeights({ W: Float32Array.from([1, 2, 3, 4, 5, 6]) }); // W = [[1, 2], [3, 4], [5, 6]]
    expect(Array.from(filterRows(da))).toEqual([1, 3, 5, 2, 4, 6]);
    da.dispose();
  });

  it("gives the W of the chosen SdA layer, and the first layer's by default", () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 3, hiddenSizes: [2, 2], numClasses: 2 });
    sda.setWeights({ 'layer0.W': Float32Array.from([1, 2, 3, 4, 5, 6]), 'layer1.W': Float32Array.from([7, 8, 9, 10]) });
    expect(Array.from(filterRows(sda))).toEqual([1, 3, 5, 2, 4, 6]);
    expect(Array.from(filterRows(sda, 1))).toEqual([7, 9, 8, 10]);
    sda.dispose();
  });

  it('transposes a plain [d, h] matrix such as a weight product and leaves no tensor behind', () => {
    const product = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = tf.memory().numTensors;
    expect(Array.from(filterRows(product))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(tf.memory().numTensors).toBe(before);
    product.dispose();
  });

  it('refuses a layer for a dA, naming the argument', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 3, hiddenSize: 2 });
    expect(() => filterRows(da, 1)).toThrow(InvalidArgumentError);
    expect(() => filterRows(da, 1)).toThrow(/^filterRows: layer applies to a StackedDenoisingAutoencoder only/);
    da.dispose();
  });
});

describe('the reads without blocking (for GPU backends in browsers)', () => {
  it('readFilterRows gives the rows filterRows gives and leaves no tensor behind', async () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 3, hiddenSizes: [2, 2], numClasses: 2 });
    sda.setWeights({ 'layer0.W': Float32Array.from([1, 2, 3, 4, 5, 6]), 'layer1.W': Float32Array.from([7, 8, 9, 10]) });
    const before = tf.memory().numTensors;
    expect(Array.from(await readFilterRows(sda))).toEqual([1, 3, 5, 2, 4, 6]);
    expect(Array.from(await readFilterRows(sda, 1))).toEqual([7, 9, 8, 10]);
    expect(tf.memory().numTensors).toBe(before);
    await expect(readFilterRows(new DenoisingAutoencoder({ visibleSize: 3, hiddenSize: 2 }), 1)).rejects.toThrow(InvalidArgumentError);
    sda.dispose();
  });

  it('readWeights gives the copies getWeights gives, and readModelBytes the bytes of modelToBytes', async () => {
    const da = new DenoisingAutoencoder({ visibleSize: 3, hiddenSize: 2, seed: 5 });
    da.setWeights({ W: Float32Array.from([1, 2, 3, 4, 5, 6]), b: Float32Array.from([7, 8]) });
    const read = await da.readWeights();
    expect([...read.keys()]).toEqual([...da.getWeights().keys()]);
    expect(read.get('W')).toEqual({ shape: [3, 2], values: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    expect(read.get('b')).toEqual({ shape: [2], values: Float32Array.from([7, 8]) });
    // Copies: changing one leaves the model as it is.
    read.get('W')!.values[0] = 100;
    expect(da.getWeights().get('W')!.values[0]).toBe(1);
    expect(await readModelBytes(da)).toEqual(modelToBytes(da));
    da.dispose();
    await expect(da.readWeights()).rejects.toThrow(/readWeights/);
  });
});
