import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { expect, it } from 'vitest';
import { StackedDenoisingAutoencoder } from './stacked-denoising-autoencoder';

const stack = (seed: number) =>
  new StackedDenoisingAutoencoder({ inputSize: 6, hiddenSizes: [4, 3], corruptionLevels: [0.1, 0.2], numClasses: 2, seed });

/** Every weight of `model` as plain arrays, by name. */
const plain = (model: StackedDenoisingAutoencoder) =>
  Object.fromEntries([...model.getWeights()].map(([name, { values }]) => [name, [...values]]));

describeBackends(TEST_BACKENDS, 'setWeights', () => {
  it("copies every weight from another model's getWeights() Map", () => {
    const source = stack(1);
    const target = stack(2);
    expect(plain(target)).not.toEqual(plain(source));
    target.setWeights(source.getWeights());
    expect(plain(target)).toEqual(plain(source));
    source.dispose();
    target.dispose();
  });

  it('takes { shape, values } entries in a plain object, and checks their shape', () => {
    const model = stack(1);
    model.setWeights({ 'layer1.b': { shape: [3], values: Float32Array.of(1, 2, 3) } });
    expect(plain(model)['layer1.b']).toEqual([1, 2, 3]);
    // 12 values fit layer1.W (4 x 3) in size, not in shape.
    expect(() => model.setWeights({ 'layer1.W': { shape: [3, 4], values: new Float32Array(12) } })).toThrow(
      'StackedDenoisingAutoencoder.setWeights: layer1.W must have shape [4, 3] (12 values); received shape [3, 4].',
    );
    model.dispose();
  });

  it('refuses weights it cannot read instead of setting nothing, leaving the model unchanged', () => {
    const model = stack(1);
    const before = plain(model);
    const tensor = tf.zeros([4, 3]);
    for (const [weights, message] of [
      [[['layer1.b', Float32Array.of(1, 2, 3)]], /weights must be a plain object or a Map of values by weight name/],
      [new Set(['layer1.b']), /weights must be a plain object or a Map/],
      [tensor, /weights must be a plain object or a Map/],
      [{ 'layer1.b': [1, 2, 3] }, /layer1\.b must be a tensor, a Float32Array or \{ shape, values \} \(an entry of getWeights\(\)\)/],
      [
        new Map<string, unknown>([
          ['layer1.W', tensor],
          ['layer1.b', 'zeros'],
        ]),
        /layer1\.b must be a tensor/,
      ],
    ] as const) {
      expect(() => model.setWeights(weights as never)).toThrow(InvalidArgumentError);
      expect(() => model.setWeights(weights as never)).toThrow(message);
    }
    expect(plain(model)).toEqual(before);
    tensor.dispose();
    model.dispose();
  });
});
