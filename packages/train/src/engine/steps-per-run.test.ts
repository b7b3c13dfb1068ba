import { describe, expect, it } from 'vitest';
import { defaultStepsPerRun } from './steps-per-run';

const TUTORIAL_DA = 784 * 500 + 500 + 784;
const SDA_FIRST_DA = 784 * 1000 + 1000 + 784;
const SDA_FINETUNING = 784 * 1000 + 1000 + 2 * (1000 * 1000 + 1000) + 1000 * 10 + 10;

describe('defaultStepsPerRun', () => {
  it('runs a small model one step at a time', () => {
    expect(defaultStepsPerRun(10_000, 2500)).toBe(1);
  });

  it("runs the tutorial dA's 784-500 eight steps at a time, whatever the epoch's length", () => {
    expect(defaultStepsPerRun(TUTORIAL_DA)).toBe(8);
    expect(defaultStepsPerRun(TUTORIAL_DA, 2500)).toBe(8);
  });

  it("runs the SdA's layers and fine-tuning in the largest group of 17 to 32 steps that divides the epoch", () => {
    expect(defaultStepsPerRun(SDA_FIRST_DA, 2500)).toBe(25);
    expect(defaultStepsPerRun(SDA_FINETUNING, 3000)).toBe(30);
    expect(defaultStepsPerRun(SDA_FINETUNING, 48)).toBe(24);
    expect(defaultStepsPerRun(SDA_FINETUNING, 64)).toBe(32);
  });

  it('runs a huge model 16 steps at a time where no such group divides the epoch or the epoch is not known', () => {
    expect(defaultStepsPerRun(SDA_FINETUNING, 2503)).toBe(16);
    expect(defaultStepsPerRun(SDA_FINETUNING, 35)).toBe(16);
    expect(defaultStepsPerRun(SDA_FINETUNING)).toBe(16);
    expect(defaultStepsPerRun(SDA_FINETUNING, 0)).toBe(16);
  });

  it("runs a huge model's epoch of at most 32 steps as one group", () => {
    expect(defaultStepsPerRun(SDA_FINETUNING, 10)).toBe(10);
    expect(defaultStepsPerRun(SDA_FINETUNING, 32)).toBe(32);
  });

  it('switches at 100,000 and 500,000 values', () => {
    expect([99_999, 100_000, 499_999, 500_000].map((values) => defaultStepsPerRun(values))).toEqual([1, 8, 8, 16]);
  });
});
