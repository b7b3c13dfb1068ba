import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from './output';
import { sdae, snapshot } from './test-cli';

// Messages in the CLI's own terms: flags, never the API's option names.
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sdae-messages-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const tiny = ['--split', 'mini', '--limit', '10', '--backend', 'cpu'];

describe('a batch larger than the data', { timeout: 120_000 }, () => {
  it.each([
    ['da', ['da', '--batch-size', '20'], '--batch-size 20'],
    ['mlp', ['mlp', '--batch-size', '20'], '--batch-size 20'],
    ['cnn --preset lenet (its default batch of 50)', ['cnn', '--preset', 'lenet'], '--batch-size 50'],
    ['compare-noise', ['compare-noise', '--batch-size', '11'], '--batch-size 11'],
    ['sda', ['sda', '--batch-size', '64'], '--batch-size 64'],
  ])('is a usage error of %s naming --batch-size and --limit, and writes nothing', (_, args, flag) => {
    const result = sdae([...args, ...tiny, '--out', join(cwd, 'run')], { cwd });
    expect(result.err).toContain(
      `sdae: ${flag} is larger than the 10 training images (split mini, --limit 10), so an epoch would have no batch. ` +
        'Use --batch-size 10 or less, or a larger --limit.',
    );
    expect(result.err).not.toMatch(/partialBatch|EarlyStopping|batchesPerEpoch/);
    expect(result.code).toBe(EXIT.usage);
    expect(snapshot(cwd)).toEqual({});
  });
});

describe('a --backend that cannot start', { timeout: 120_000 }, () => {
  it.each(['da', 'backends'])('names the flag in sdae %s, not allowFallback', (command) => {
    const args =
      command === 'backends' ? ['backends', '--backend', 'tensorflow'] : [command, '--backend', 'tensorflow', '--out', join(cwd, 'run')];
    const result = sdae(args, { cwd });
    expect(result.err).toMatch(/^sdae: --backend tensorflow cannot start here: @tensorflow\/tfjs-node is not installed/);
    expect(result.err).toMatch(/Run sdae backends to see which start here, or use --backend auto for the fastest that starts\.\n$/);
    expect(result.err).not.toContain('allowFallback');
    expect(result.code).toBe(EXIT.failed);
    expect(snapshot(cwd)).toEqual({});
  });
});

describe('a size that cannot fit in memory', { timeout: 120_000 }, () => {
  it('is refused by name, not with a RangeError, and writes nothing', () => {
    const result = sdae(['da', '--hidden', '100000000', ...tiny, '--batch-size', '5', '--out', join(cwd, 'run')], { cwd });
    expect(result.err).toContain('sdae: DenoisingAutoencoder: a weight matrix of [784, 100000000] would hold 78400000000 values');
    expect(result.err).not.toMatch(/RangeError|\n\s+at /);
    expect(result.code).toBe(EXIT.failed);
    expect(snapshot(cwd)).toEqual({});
  });
});
