import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';
import type { ImageSet } from '@sdae/datasets';
import { DenoisingAutoencoder, StackedDenoisingAutoencoder } from '@sdae/layers';
import { decodePng } from '@sdae/vis';
import { beforeAll, describe, expect, it } from 'vitest';
import { activationsPng, productFiltersPng, requireGridFits } from './pictures';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

/** The grey value of each pixel of PNG bytes (greyToRgba writes r = g = b). */
function greys(png: Uint8Array): { width: number; height: number; pixels: number[] } {
  const image = decodePng(png);
  return { width: image.width, height: image.height, pixels: Array.from(image.data).filter((_, index) => index % 4 === 0) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('productFiltersPng', () => {
  it('draws the columns of W1 W2 as input-space tiles, scaled per tile and enlarged', () => {
    // A 4-input stack 4-2-1: W1 (4 x 2) and W2 (2 x 1) give W1 W2 = [2, -1, 1, -2] (by hand: row i is 2 W1[i][0] - W1[i][1]).
    const sda = new StackedDenoisingAutoencoder({ inputSize: 4, hiddenSizes: [2, 1], numClasses: 2 });
    sda.setWeights({ 'layer0.W': Float32Array.of(1, 0, 0, 1, 1, 1, -1, 0), 'layer1.W': Float32Array.of(2, -1) });
    const image = greys(productFiltersPng(sda, 2, [2, 2]));
    sda.dispose();
    // One 2x2 tile in a row of 10 (the other tiles black): (2 + 1) * 10 - 1 = 29 by 2 pixels, doubled.
    expect([image.width, image.height]).toEqual([58, 4]);
    // Scaled to [0, 1] over [-2, 2] and truncated: 2 -> 254, -1 -> 63, 1 -> 191, -2 -> 0.
    const row = (y: number) => image.pixels.slice(y * 58, y * 58 + 4);
    expect([row(0), row(1), row(2), row(3)]).toEqual([
      [254, 254, 63, 63],
      [254, 254, 63, 63],
      [191, 191, 0, 0],
      [191, 191, 0, 0],
    ]);
  });
});

describe('activationsPng', () => {
  it("draws a dA's sigmoid activations of each digit as a row of pixels, a column per unit", () => {
    // 2 inputs, 2 hidden units: y = sigmoid(x W + b) with W = [[1, -1], [2, 0]], b = [0, 0.5].
    const da = new DenoisingAutoencoder({ visibleSize: 2, hiddenSize: 2 });
    da.setWeights({ W: Float32Array.of(1, -1, 2, 0), b: Float32Array.of(0, 0.5) });
    const x = tf.tensor2d([0, 0, 1, 0.5, 0.5, 1], [3, 2]);
    const image = greys(activationsPng(da, x));
    x.dispose();
    da.dispose();
    const pixel = (z: number) => Math.trunc(sigmoid(z) * 255);
    expect([image.width, image.height]).toEqual([2, 3]);
    expect(image.pixels).toEqual([pixel(0), pixel(0.5), pixel(2), pixel(-0.5), pixel(2.5), pixel(0)]);
  });

  it("puts an SdA's layers side by side, each computed on the clean output of the layers below", () => {
    // 2 inputs, layers of 2 and 1 units: h1 = sigmoid(x W1), h2 = sigmoid(h1 W2), biases 0.
    const sda = new StackedDenoisingAutoencoder({ inputSize: 2, hiddenSizes: [2, 1], numClasses: 2 });
    sda.setWeights({
      'layer0.W': Float32Array.of(1, 0, 0, -1),
      'layer0.b': new Float32Array(2),
      'layer1.W': Float32Array.of(3, -2),
      'layer1.b': new Float32Array(1),
    });
    const x = tf.tensor2d([1, 2], [1, 2]);
    const image = greys(activationsPng(sda, x));
    x.dispose();
    sda.dispose();
    const h1 = [sigmoid(1), sigmoid(-2)];
    const h2 = sigmoid(3 * h1[0]! - 2 * h1[1]!);
    // 2 units, 4 black pixels, 1 unit.
    expect([image.width, image.height]).toEqual([7, 1]);
    expect(image.pixels).toEqual([...h1.map((value) => Math.trunc(value * 255)), 0, 0, 0, 0, Math.trunc(h2 * 255)]);
  });
});

describe('requireGridFits', () => {
  const test = { count: 60 } as ImageSet;

  it('accepts a grid of at most the test images', () => {
    expect(() => requireGridFits([6, 10], test, 60)).not.toThrow();
  });

  it('refuses a grid of more digits than the test set, naming --grid and --limit', () => {
    expect(() => requireGridFits([10, 10], test, 60)).toThrow(
      '--grid 10x10 shows 100 test digits, but the test set holds 60 (--limit 60). Use a smaller --grid or a larger --limit.',
    );
  });
});
