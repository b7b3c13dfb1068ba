import { describe, expect, it } from 'vitest';
import { defaultStepsPerRun } from './steps-per-run';

describe('defaultStepsPerRun', () => {
  it('runs a small model one step at a time', () => {
    expect(defaultStepsPerRun(10_000)).toBe(1);
  });

  it("runs the tutorial dA's 784-500 (393,284 values) eight steps at a time", () => {
    expect(defaultStepsPerRun(784 * 500 + 500 + 784)).toBe(8);
  });

  it("runs the SdA's first dA (785,784 values) and its fine-tuning (2.8 M) sixteen steps at a time", () => {
    expect(defaultStepsPerRun(784 * 1000 + 1000 + 784)).toBe(16);
    expect(defaultStepsPerRun(784 * 1000 + 1000 + 2 * (1000 * 1000 + 1000) + 1000 * 10 + 10)).toBe(16);
  });

  it('switches at 100,000 and 500,000 values', () => {
    expect([99_999, 100_000, 499_999, 500_000].map(defaultStepsPerRun)).toEqual([1, 8, 8, 16]);
  });
});
