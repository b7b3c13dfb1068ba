import { describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { runCaptured } from './test-cli';

describe('old flag names', () => {
  it('accepts --corruption-levels for sda as --corruption, saying it is the old name', async () => {
    // One level for two hidden layers: refused after parsing, so nothing trains.
    const result = await runCaptured(['sda', '--hidden', '10,10', '--corruption-levels', '0.1', '--limit', '10']);
    expect(result.err).toContain(
      'sdae: --corruption-levels is now called --corruption (the name every command uses); the old name still works for now.\n',
    );
    expect(result.err).toContain('--corruption needs one level per hidden layer: 2 for --hidden 10,10; received 1 (0.1).');
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses the old and the new name together', async () => {
    const result = await runCaptured(['compare-noise', '--hidden', '8', '--hidden-sizes', '9']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain('--hidden-sizes is the old name of --hidden; give only --hidden.');
  });

  it('lists only the new names in --help, with the old one named', async () => {
    const result = await runCaptured(['compare-noise', '--help']);
    expect(result.out).toMatch(/^ {2}--hidden <sizes> /m);
    expect(result.out).toMatch(/^ {2}--corruption <levels> /m);
    expect(result.out).not.toMatch(/^ {2}--hidden-sizes/m);
    expect(result.out).toMatch(/old\s+name: --hidden-sizes/);
  });
});
