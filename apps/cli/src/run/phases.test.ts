import { describe, expect, it } from 'vitest';
import { markPhase, startPhases, startupLine } from './phases';

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
