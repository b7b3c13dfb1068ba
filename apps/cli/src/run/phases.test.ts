import { describe, expect, it, vi } from 'vitest';
import { endLine, markEndPhase, markPhase, startPhases, startupLine } from './phases';

describe('start-up phases', () => {
  it('lists each phase once, in the order first marked, and gives the line once per process', () => {
    expect(startupLine()).toBeUndefined();
    markPhase('args');
    markPhase('data loaded');
    markPhase('args');
    markPhase('first step');
    const line = startupLine();
    expect(line).toMatch(/^start-up \(ms since process start\): args \d+, data loaded \d+, first step \d+$/);
    const [args, data, first] = [...line!.matchAll(/ (\d+)(?=,|$)/g)].map((match) => Number(match[1]));
    expect(args).toBeLessThanOrEqual(data!);
    expect(data).toBeLessThanOrEqual(first!);
    expect(startupLine()).toBeUndefined();
  });

  it('starts afresh for the next run in the same process', () => {
    startPhases();
    markPhase('first step');
    expect(startupLine()).toMatch(/^start-up \(ms since process start\): args \d+, first step \d+$/);
  });
});

describe('phases after the steps', () => {
  it('gives no line before a step was marked', () => {
    startPhases();
    markEndPhase('report written');
    expect(endLine()).toBeUndefined();
  });

  it('keeps each phase where first marked, at its latest time, and starts afresh with the next run', () => {
    const now = vi.spyOn(performance, 'now');
    try {
      startPhases();
      now.mockReturnValue(5000);
      markEndPhase('last step');
      now.mockReturnValue(5100);
      markEndPhase('test evaluated');
      now.mockReturnValue(5210.4);
      markEndPhase('last step');
      expect(endLine()).toBe('after the steps (ms since process start): last step 5210, test evaluated 5100');
      startPhases();
      expect(endLine()).toBeUndefined();
    } finally {
      now.mockRestore();
    }
  });
});
