import { describe, expect, it } from 'vitest';
import { EarlyStopping } from './early-stopping';

describe('EarlyStopping', () => {
  it('starts with patience 10 epochs of batches and extends it on a significant improvement', () => {
    const stopping = new EarlyStopping(100); // patience 1000 iterations
    expect(stopping.patience).toBe(1000);
    // End of epoch 0: iter 99. New best, significant: patience = max(1000, 99 * 2) = 1000.
    expect(stopping.observe(99, 0.1)).toBe(true);
    expect(stopping.patience).toBe(1000);
    // Epoch 5 ends at iter 599: 0.09 < 0.1 * 0.995, patience = 1198.
    expect(stopping.observe(599, 0.09)).toBe(true);
    expect(stopping.patience).toBe(1198);
    // A new best that is not significant (0.0899 > 0.09 * 0.995) keeps patience but becomes the best.
    expect(stopping.observe(699, 0.0899)).toBe(true);
    expect(stopping.patience).toBe(1198);
    expect(stopping.bestIteration).toBe(699);
    expect(stopping.observe(799, 0.2)).toBe(false);
    expect(stopping.shouldStop(1197)).toBe(false);
    expect(stopping.shouldStop(1198)).toBe(true);
  });

  it('saves and restores its state, including before the first validation', () => {
    const stopping = new EarlyStopping(10, { patience: 5 });
    const copy = new EarlyStopping(10);
    copy.setState(JSON.parse(JSON.stringify(stopping.getState())));
    expect(copy.bestError).toBe(Number.POSITIVE_INFINITY);
    expect(copy.patience).toBe(5);
  });
});
