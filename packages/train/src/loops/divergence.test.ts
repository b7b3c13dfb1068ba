import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@sdae/backend';
import { barsAndStripes } from '@sdae/datasets';
import { LogisticRegression } from '@sdae/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineName } from '../engine/engine-options';
import { DivergenceError } from '../errors';
import { fitClassifier } from './fit-classifier';
import { DIVERGENCE_GROWTH, DivergenceGuard, snapshotWeights } from './loop-step';
import { Optimizer } from '../optim/optimizers';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu' });
});

describe('DivergenceGuard', () => {
  async function context() {
    const model = new LogisticRegression({ inputSize: 2, numClasses: 2 });
    const lastGood = await snapshotWeights(model);
    const optimizer = new Optimizer({ learningRate: 0.5 });
    return { model, context: { caller: 'f', owner: model, variables: model.variables, optimizer, lastGood, epoch: 3, batch: 7 } };
  }

  it('accepts costs up to a million times the first and refuses one above, putting back the last good weights', async () => {
    const { model, context: stepContext } = await context();
    const guard = new DivergenceGuard();
    guard.check(stepContext, 10);
    guard.check(stepContext, 10 * DIVERGENCE_GROWTH);
    model.setWeights({ b: Float32Array.of(5, 5) });
    let caught: unknown;
    try {
      guard.check(stepContext, 1.5e7);
    } catch (error) {
      caught = error;
    }
    expect(DivergenceError.isInstance(caught)).toBe(true);
    expect((caught as DivergenceError).firstCost).toBe(10);
    expect((caught as DivergenceError).message).toMatch(
      /^f: the cost grew to 15000000 at epoch 3, batch 7, over a million times its first value 10; training diverged\./,
    );
    expect(Array.from(model.getVariable('b').dataSync())).toEqual([0, 0]);
    model.dispose();
  });

  it('reports an infinite cost after a first one as infinite, not as growth', async () => {
    const { model, context: stepContext } = await context();
    const guard = new DivergenceGuard();
    guard.check(stepContext, 1);
    expect(() => guard.check(stepContext, Number.POSITIVE_INFINITY)).toThrow(
      /^f: the cost became Infinity at epoch 3, batch 7; training diverged\./,
    );
    model.dispose();
  });

  it('refuses NaN as before, without a first cost', async () => {
    const { model, context: stepContext } = await context();
    expect(() => new DivergenceGuard().check(stepContext, Number.NaN)).toThrow(
      /^f: the cost became NaN at epoch 3, batch 7; training diverged\./,
    );
    model.dispose();
  });
});

describe.each<EngineName>(['tfjs', 'native'])('fitClassifier on the %s engine', (engine) => {
  it('stops with DivergenceError when the cost grows a millionfold but stays finite', async () => {
    const set = barsAndStripes({ size: 4, count: 64, seed: 3 });
    const model = new LogisticRegression({ inputSize: 16, numClasses: 2 });
    const before = tf.memory().numTensors;
    const error = await fitClassifier(
      model,
      { train: set },
      { epochs: 3, batchSize: 8, learningRate: 1e12, engine, earlyStopping: false },
    ).catch((caught: unknown) => caught);
    expect(DivergenceError.isInstance(error)).toBe(true);
    expect(Number.isFinite((error as DivergenceError).cost)).toBe(true);
    expect((error as DivergenceError).firstCost).toBeCloseTo(Math.log(2), 5);
    // The weights of the epoch's start (all zero here) were put back.
    expect(Array.from(model.getVariable('W').dataSync()).every((value) => value === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
