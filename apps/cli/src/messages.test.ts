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
  it.each([
    ['da', ['da', '--hidden', '100000000'], '--hidden', '[784, 100000000]'],
    ['sweep', ['sweep', '--hidden-sizes', '10,400000'], '--hidden-sizes', '[784, 400000]'],
    ['mlp', ['mlp', '--hidden', '500,1000000'], '--hidden', '[500, 1000000]'],
    ['sda', ['sda', '--hidden', '100,100000000', '--corruption', '0.1,0.2'], '--hidden', '[100, 100000000]'],
  ])('is a usage error of %s naming the flag, before the data loads, and writes nothing', (_, args, flag, shape) => {
    // Refused while the flags are parsed: no --out directory (made before the data loads) exists.
    const result = sdae([...args, ...tiny, '--out', join(cwd, 'run')], { cwd });
    expect(result.err).toMatch(
      new RegExp(
        `is invalid\\. ${flag}: a weight matrix of \\${shape.replace(']', '\\]')} would hold \\d+ values .*; use a smaller ${flag}\\.\\n`,
      ),
    );
    expect(result.err).not.toMatch(/RangeError|\n\s+at |hiddenSize/);
    expect(result.code).toBe(EXIT.usage);
    expect(snapshot(cwd)).toEqual({});
  });
});

describe('--engine native where onnxruntime-node cannot load', { timeout: 120_000 }, () => {
  // Node resolves onnxruntime-node as if it were not installed (a module hook, for this process only).
  const hook =
    'export async function resolve(specifier, context, next) { if (specifier === "onnxruntime-node") { ' +
    'const error = new Error("Cannot find package onnxruntime-node"); error.code = "ERR_MODULE_NOT_FOUND"; throw error; } ' +
    'return next(specifier, context); }';
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
  const withoutOnnxRuntime = { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(register)}` };

  it('is refused naming --engine and its choices before the data loads', () => {
    const result = sdae(['da', '--engine', 'native', ...tiny, '--out', join(cwd, 'run')], { cwd, env: withoutOnnxRuntime });
    // Worded once, by resolveEngine, naming the option and the flag.
    expect(result.err).toMatch(
      /^sdae: engine 'native' \(--engine native\) cannot start here: onnxruntime-node is not installed .*\. Use engine 'auto' \(--engine auto: the native engine where it loads, else tfjs\) or 'tfjs' \(--engine tfjs\)\.\n$/m,
    );
    expect(result.out).not.toMatch(/^dA 784/m);
    expect(result.code).toBe(EXIT.failed);
    expect(snapshot(cwd)).toEqual({});
  });

  it('--engine auto trains on tfjs there and says why', () => {
    const result = sdae(
      ['da', '--engine', 'auto', ...tiny, '--batch-size', '5', '--hidden', '4', '--epochs', '1', '--out', join(cwd, 'run')],
      {
        cwd,
        env: withoutOnnxRuntime,
      },
    );
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toMatch(/^engine: tfjs cpu: the native engine is unavailable: onnxruntime-node is not installed/m);
  });
});

describe('a --device that cannot start here', { timeout: 120_000 }, () => {
  it('--device cuda is a usage error naming what to install, before the data loads', () => {
    const result = sdae(['da', '--device', 'cuda', ...tiny, '--out', join(cwd, 'run')], { cwd });
    expect(result.err).toMatch(
      /^sdae: device 'cuda' \(--device cuda\) cannot start here: .*To use it: CUDA needs an NVIDIA GPU .*CUDA 12 and cuDNN 9 .*ONNXRUNTIME_NODE_INSTALL=skip.*Or use device 'auto'/m,
    );
    expect(result.code).toBe(EXIT.usage);
    expect(result.out).not.toMatch(/^dA 784/m);
  });
});
