import { InvalidArgumentError } from '@sdae/core';
import { barsAndStripes } from '@sdae/datasets';
import { DenoisingAutoencoder, Mlp } from '@sdae/layers';
import { describe, expect, it } from 'vitest';
import { fitClassifier } from '../loops/fit-classifier';
import {
  formatLearningRateSchedule,
  parseLearningRateSchedule,
  resolveLearningRateSchedule,
  scheduledLearningRate,
  type LearningRateSchedule,
} from './learning-rate-schedule';
import { trainAutoencoder } from '../loops/train-autoencoder';
import { trainSampled } from '../loops/train-sampled';

const set = barsAndStripes({ size: 4, count: 48, seed: 3 });
const rates = (schedule: LearningRateSchedule, base: number, epochs: number) =>
  Array.from({ length: epochs }, (_, epoch) => scheduledLearningRate(schedule, base, epoch, epochs));

describe('scheduledLearningRate', () => {
  it('multiplies a step schedule by its factor every k epochs: step:2:0.5 from 0.1', () => {
    expect(rates({ kind: 'step', epochs: 2, factor: 0.5 }, 0.1, 6)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('gives r gamma^e for an exponential schedule and r for a constant one', () => {
    expect(rates({ kind: 'exponential', gamma: 0.5 }, 1, 4)).toEqual([1, 0.5, 0.25, 0.125]);
    expect(rates({ kind: 'constant' }, 0.3, 3)).toEqual([0.3, 0.3, 0.3]);
  });

  it('follows half a cosine over the run: r (1 + cos(pi e / E)) / 2', () => {
    const cosine = rates({ kind: 'cosine' }, 1, 4);
    // E = 4: 1, (1 + cos(pi/4)) / 2, 1/2, (1 - cos(pi/4)) / 2.
    [1, 0.8535533905932737, 0.5, 0.14644660940672627].forEach((expected, epoch) => expect(cosine[epoch]).toBeCloseTo(expected, 12));
  });
});

describe('parseLearningRateSchedule', () => {
  it.each([
    ['constant', { kind: 'constant' }],
    ['step:3:0.1', { kind: 'step', epochs: 3, factor: 0.1 }],
    ['exponential:0.95', { kind: 'exponential', gamma: 0.95 }],
    ['cosine', { kind: 'cosine' }],
  ])('reads %s and formats it back', (text, schedule) => {
    expect(parseLearningRateSchedule(text)).toEqual(schedule);
    expect(formatLearningRateSchedule(schedule as LearningRateSchedule)).toBe(text);
  });

  it.each([
    [
      'step:0:2',
      /--lr-schedule must be constant, step:EPOCHS:FACTOR .*; EPOCHS must be a whole number >= 1, received '0' in 'step:0:2'\.$/,
    ],
    ['step:2:0', /FACTOR must be a number > 0, received '0' in 'step:2:0'\.$/],
    ['step:2', /step takes 2 parameters, received 1 in 'step:2'\.$/],
    ['exponential:abc', /GAMMA must be a number > 0, received 'abc'/],
    ['cosine:10', /cosine takes 0 parameters, received 1/],
    ['linear', /unknown kind 'linear' in 'linear'\.$/],
  ])('refuses %s, naming the argument, the part and the forms', (text, message) => {
    const error = (() => {
      try {
        return parseLearningRateSchedule(text, '--lr-schedule');
      } catch (caught) {
        return caught;
      }
    })();
    expect(InvalidArgumentError.isInstance(error) && error.argument).toBe('--lr-schedule');
    expect((error as Error).message).toMatch(message);
  });
});

describe('resolveLearningRateSchedule', () => {
  it('refuses a string, an unknown kind, an unknown field and a step of 0 epochs', () => {
    expect(() => resolveLearningRateSchedule('fitClassifier', 'step:3:0.1')).toThrow(/use parseLearningRateSchedule/);
    expect(() => resolveLearningRateSchedule('fitClassifier', { kind: 'linear' })).toThrow(
      /learningRateSchedule\.kind must be one of 'constant', 'step', 'exponential', 'cosine'/,
    );
    expect(() => resolveLearningRateSchedule('fitClassifier', { kind: 'cosine', epochs: 3 })).toThrow(
      /unknown option 'epochs' in learningRateSchedule/,
    );
    expect(() => resolveLearningRateSchedule('fitClassifier', { kind: 'step', epochs: 0, factor: 2 })).toThrow(
      /learningRateSchedule\.epochs must be a whole number >= 1/,
    );
  });
});

describe('a learning-rate schedule in the loops', () => {
  const daOptions = { visibleSize: 16, hiddenSize: 6, corruptionLevel: 0.2, seed: 2 };

  it.each(['tfjs', 'native'] as const)('logs each epoch at its step-schedule rate (engine %s)', async (engine) => {
    const da = new DenoisingAutoencoder(daOptions);
    const result = await trainAutoencoder(da, set, {
      epochs: 5,
      batchSize: 16,
      learningRate: 0.1,
      learningRateSchedule: { kind: 'step', epochs: 2, factor: 0.5 },
      engine,
    });
    da.dispose();
    expect(result.history.map((log) => log.learningRate)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('trains an epoch at the scheduled rate: step:1:0.5 equals one epoch at 0.1 then one at 0.05, bit for bit', async () => {
    const scheduled = new DenoisingAutoencoder(daOptions);
    await trainAutoencoder(scheduled, set, {
      epochs: 2,
      batchSize: 8,
      learningRate: 0.1,
      learningRateSchedule: { kind: 'step', epochs: 1, factor: 0.5 },
      engine: 'tfjs',
    });
    // Plain SGD keeps no state and sequential batches do not depend on the epoch, so two runs continue one.
    const phased = new DenoisingAutoencoder(daOptions);
    await trainAutoencoder(phased, set, { epochs: 1, batchSize: 8, learningRate: 0.1, engine: 'tfjs' });
    await trainAutoencoder(phased, set, { epochs: 1, batchSize: 8, learningRate: 0.05, engine: 'tfjs' });
    for (const [name, { values }] of phased.getWeights())
      expect(Array.from(scheduled.getWeights().get(name)!.values), name).toEqual(Array.from(values));
    scheduled.dispose();
    phased.dispose();
  });

  it('runs a cosine schedule over the fine-tuning epochs and counts iterations in sampled training', async () => {
    const mlp = new Mlp({ inputSize: 16, hiddenSizes: [4], numClasses: 2, seed: 1 });
    const fitted = await fitClassifier(
      mlp,
      { train: set },
      { epochs: 4, batchSize: 16, learningRate: 1, learningRateSchedule: { kind: 'cosine' }, engine: 'tfjs' },
    );
    expect(fitted.history.map((log) => log.learningRate)).toEqual(rates({ kind: 'cosine' }, 1, 4));
    const sampled = await trainSampled(mlp, set, {
      iterations: 4,
      batchSize: 8,
      learningRate: 0.2,
      learningRateSchedule: { kind: 'exponential', gamma: 0.5 },
      engine: 'tfjs',
    });
    expect(sampled.history.map((log) => log.learningRate)).toEqual([0.2, 0.1, 0.05, 0.025]);
    mlp.dispose();
  });
});
