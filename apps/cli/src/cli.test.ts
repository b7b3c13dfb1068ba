import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, run } from './cli';

async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('sdae data', () => {
  it('prints the mini split sizes, class counts and mean pixel as JSON', async () => {
    const { code, out } = await runCaptured(['data', '--split', 'mini', '--json']);
    expect(code).toBe(EXIT.ok);
    const summary = JSON.parse(out);
    expect(summary.split).toBe('mini');
    expect(summary.imageSize).toEqual([28, 28]);
    expect(summary.sets.map((set: { name: string; images: number }) => [set.name, set.images])).toEqual([
      ['train', 5000],
      ['validation', 1000],
      ['test', 1000],
    ]);
    const test = summary.sets[2];
    expect(test.classCounts.reduce((sum: number, count: number) => sum + count, 0)).toBe(1000);
    expect(test.meanPixel).toBeGreaterThan(0.1);
    expect(test.meanPixel).toBeLessThan(0.15);
    expect(summary.loadMilliseconds).toBeGreaterThan(0);
  });

  it('prints a table with a row per set', async () => {
    const { code, out } = await runCaptured(['data', '--split', 'standard']);
    expect(code).toBe(EXIT.ok);
    expect(out).toContain("MNIST, split 'standard', 28 x 28 images");
    expect(out).toMatch(/^train\s+60000\s+0\.1307\s+5923\s+6742/m);
    expect(out).toMatch(/^test\s+10000\s+0\.1325\s+980\s+1135/m);
    expect(out).not.toMatch(/^validation/m);
  });

  it('exits with 2 and lists the valid splits for an unknown one', async () => {
    const { code, err } = await runCaptured(['data', '--split', 'kaggle']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("Allowed choices are theano, standard, mini");
  });

  it('exits with 2 for an unknown flag', async () => {
    const { code, err } = await runCaptured(['data', '--splt', 'mini']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("unknown option '--splt'");
  });

  it('exits with 1 and explains a directory without MNIST files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdae-cli-'));
    try {
      const { code, err } = await runCaptured(['data', '--dir', dir]);
      expect(code).toBe(EXIT.failed);
      expect(err).toContain(`sdae: loadMnist: ${dir} lacks train-images-idx3-ubyte`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('shows the defaults in --help and exits with 0', async () => {
    const { code, out } = await runCaptured(['data', '--help']);
    expect(code).toBe(EXIT.ok);
    expect(out.replace(/\s+/g, ' ')).toContain('(choices: "theano", "standard", "mini", default: "theano")');
  });
});
