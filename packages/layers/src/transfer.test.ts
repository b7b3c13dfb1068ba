import { expectArraysClose } from '@sdae/backend/testing';
import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { DenoisingAutoencoder } from './denoising-autoencoder';
import { Mlp } from './mlp';
import { initializeFrom } from './transfer';

describe('initializeFrom', () => {
  it('copies a sigmoid dA into a ReLU dA scaled by 0.1 with biases reset', () => {
    const sigmoid = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, seed: 1 });
    sigmoid.setWeights({ b: Float32Array.of(1, 2, 3), bPrime: new Float32Array(6).fill(0.5) });
    const relu = new DenoisingAutoencoder({ visibleSize: 6, hiddenSize: 3, activation: 'relu', seed: 2 });
    relu.setWeights({ b: Float32Array.of(9, 9, 9) });
    const report = initializeFrom(relu, sigmoid, { scale: 0.1 });
    expect(report).toEqual({ copied: ['W'], reset: ['b', 'bPrime'] });
    expectArraysClose(
      relu.W,
      Array.from(sigmoid.W.dataSync(), (value) => value * 0.1),
      1e-7,
    );
    expect(Array.from(relu.getVariable('b').dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(sigmoid.getVariable('b').dataSync())).toEqual([1, 2, 3]);
    sigmoid.dispose();
    relu.dispose();
  });

  it('maps weights of different names and keeps biases when asked', () => {
    const da = new DenoisingAutoencoder({ visibleSize: 8, hiddenSize: 4, seed: 3 });
    const mlp = new Mlp({ inputSize: 8, hiddenSizes: [4], numClasses: 2 });
    mlp.setWeights({ 'layer0.b': Float32Array.of(1, 1, 1, 1) });
    initializeFrom(mlp, da, { weights: { 'layer0.W': 'W' }, resetBiases: false });
    expectArraysClose(mlp.getVariable('layer0.W'), da.W, 0);
    expect(Array.from(mlp.getVariable('layer0.b').dataSync())).toEqual([1, 1, 1, 1]);
    da.dispose();
    mlp.dispose();
  });

  it('refuses mismatched shapes and a NaN scale before changing anything', () => {
    const small = new DenoisingAutoencoder({ visibleSize: 8, hiddenSize: 4 });
    const large = new DenoisingAutoencoder({ visibleSize: 8, hiddenSize: 5, seed: 4 });
    const before = Array.from(large.W.dataSync());
    expect(() => initializeFrom(large, small)).toThrow(/no weight of the source \(W, b, bPrime\) matches a weight of the target/);
    expect(() => initializeFrom(large, small, { weights: { W: 'W' } })).toThrow(
      'initializeFrom: cannot initialise target W [8, 5] from source W [8, 4]; names and shapes must match.',
    );
    expect(() => initializeFrom(small, small, { scale: Number.NaN })).toThrow(InvalidArgumentError);
    expect(Array.from(large.W.dataSync())).toEqual(before);
    small.dispose();
    large.dispose();
  });
});
