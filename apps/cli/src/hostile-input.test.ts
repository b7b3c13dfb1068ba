import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodePng, greyToRgba } from '@sdae/vis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './output';
import { runCaptured, sdae, snapshot } from './test-cli';
import { fileSystemFailure, isSystemError } from './writable';
import { namingPath } from '@sdae/train';

// Issue 27, cases 5, 10, 11 and 13: hostile or unlucky command lines and files, each refused by
// name with its exit code, nothing written outside the run's directory, nothing lost.

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let root: string;
/** A tiny trained MLP's model directory and a 28 x 28 picture to predict. */
let model: string;
let picture: string;
/** A dA trained 2 epochs with its checkpoint, and the flags it was trained with. */
let daOut: string;
const DA_FLAGS = ['da', '--hidden', '8', '--split', 'mini', '--limit', '60', '--backend', 'cpu', '--engine', 'tfjs'];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-hostile-'));
  const mlp = join(root, 'mlp');
  const trained = await runCaptured([
    'mlp',
    '--hidden',
    '4',
    '--epochs',
    '1',
    '--split',
    'mini',
    '--limit',
    '60',
    '--backend',
    'cpu',
    '--out',
    mlp,
  ]);
  expect(trained.code, trained.err).toBe(EXIT.ok);
  model = join(mlp, 'model');
  daOut = join(root, 'da');
  const da = await runCaptured([...DA_FLAGS, '--epochs', '2', '--out', daOut]);
  expect(da.code, da.err).toBe(EXIT.ok);
  const pixels = new Uint8Array(28 * 28);
  for (let row = 6; row < 22; row++) pixels[row * 28 + 14] = 255;
  picture = join(root, 'one.png');
  writeFileSync(picture, encodePng(greyToRgba({ pixels, width: 28, height: 28 })));
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh empty working directory: the command runs there, and must leave it empty. */
function emptyDirectory(): string {
  const directory = join(root, `cwd-${Math.random().toString(36).slice(2)}`);
  mkdirSync(directory);
  return directory;
}

/** Runs the built command in an empty directory and checks it wrote nothing there. */
function refused(args: string[], env: Record<string, string> = {}): { code: number | null; err: string } {
  const cwd = emptyDirectory();
  const result = sdae(args, { cwd, env });
  expect(result.signal).toBeNull();
  expect(snapshot(cwd)).toEqual({});
  return result;
}

describe('case 5: numeric flags and environment variables are bounded, in decimal notation', { timeout: 120_000 }, () => {
  it('refuses --threads past 4 per core, with the bound and its reason', () => {
    const result = refused(['da', '--threads', '100000', '--out', 'run']);
    const most = availableParallelism() * 4;
    expect(result.err).toContain(
      `option '--threads <n>' argument '100000' is invalid. Expected a whole number from 1 to ${most} (4 per core of the ` +
        `${availableParallelism()} here: more only wait on each other and each costs memory).`,
    );
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses a count past 2^53 - 1, which cannot be counted exactly', () => {
    const result = refused(['da', '--epochs', '1e300', '--out', 'run']);
    expect(result.err).toContain("option '--epochs <n>' argument '1e300' is invalid. Expected a whole number from 1 to 9007199254740991");
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses SDAE_NATIVE_THREADS=0x2 as flags refuse hex, naming the variable (exit 2)', () => {
    const result = refused(['da', '--split', 'mini', '--limit', '60', '--out', 'run'], { SDAE_NATIVE_THREADS: '0x2' });
    expect(result.err).toMatch(
      /^sdae: loadNativeEngine: SDAE_NATIVE_THREADS must be a whole number from 1 to \d+ in decimal notation .*; it holds "0x2"\./m,
    );
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses SDAE_NATIVE_THREADS past 4 per core', () => {
    const result = refused(['da', '--split', 'mini', '--limit', '60', '--out', 'run'], { SDAE_NATIVE_THREADS: '100000' });
    expect(result.err).toMatch(/SDAE_NATIVE_THREADS must be a whole number from 1 to \d+ .*; it holds "100000"/);
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses SDAE_WASM_THREADS=0x2, naming the variable (exit 2)', () => {
    const result = refused(['da', '--backend', 'wasm', '--engine', 'tfjs', '--split', 'mini', '--limit', '60', '--out', 'run'], {
      SDAE_WASM_THREADS: '0x2',
    });
    expect(result.err).toMatch(/^sdae: selectBackend: SDAE_WASM_THREADS must be a whole number >= 1; received "0x2"\./m);
    expect(result.code).toBe(EXIT.usage);
  });
});

describe('case 10: --seed, --out and the files a model is loaded from', { timeout: 120_000 }, () => {
  it.each(['0.5', '0.9', '4294967296', '9007199254740992', '1e308', '-1'])(
    'refuses --seed %s with the range the random streams use',
    (seed) => {
      const result = refused(['da', '--seed', seed, '--out', 'run']);
      expect(result.err).toContain(
        `option '--seed <n>' argument '${seed}' is invalid. Expected a whole number from 0 to 4294967295 (2^32 - 1: the random streams keep 32 bits`,
      );
      expect(result.code).toBe(EXIT.usage);
    },
  );

  it('reads --seed 4294967295, the largest seed (the run then stops at the missing backend, after the flags)', () => {
    const result = refused(['da', '--seed', '4294967295', '--backend', 'tensorflow', '--out', 'run']);
    expect(result.err).toMatch(/^sdae: --backend tensorflow cannot start here/);
  });

  it.each([['da'], ['export', '--model', 'somewhere'], ['sweep']])("refuses --out '' for %s as a usage error", (...command) => {
    const result = refused([...command, '--out', '']);
    expect(result.err).toContain(
      "option '--out <dir>' argument '' is invalid. Expected a path; an empty one would stand for the current directory.",
    );
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses a model.json whose config was edited (config.activation deleted), by name, exit 1', () => {
    const edited = join(root, 'edited');
    cpSync(model, edited, { recursive: true });
    const file = join(edited, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
    delete json.config.activation;
    writeFileSync(file, JSON.stringify(json, null, 2));
    const before = snapshot(edited);
    const result = refused(['predict', '--model', edited, picture]);
    expect(result.err).toContain(`sdae: ${file}: the model's class, configuration or random states fail their checksum (metadataCrc32)`);
    expect(result.code).toBe(EXIT.failed);
    expect(snapshot(edited)).toEqual(before);
  });

  it('refuses NaN weights under a valid checksum, naming the weight, instead of predicting NaN %', async () => {
    const nan = join(root, 'nan');
    cpSync(model, nan, { recursive: true });
    const { loadModel, saveModel } = await import('@sdae/layers');
    const loaded = await loadModel(nan);
    const weights = loaded.getWeights();
    const [name, { values }] = [...weights][0]!;
    values[3] = Number.NaN;
    // Through the variable, as a run that diverged after its last check would hold them: setWeights refuses NaN.
    loaded.getVariable(name).assign((await import('@tensorflow/tfjs-core')).tensor(values, loaded.getVariable(name).shape));
    await saveModel(loaded, nan);
    loaded.dispose();
    const result = refused(['predict', '--model', nan, picture]);
    expect(result.err).toContain(`weight ${name} is wrong: expected finite numbers, found NaN at index 3`);
    expect(result.code).toBe(EXIT.failed);
  });
});

describe('case 11: sda --enlarge is bounded by the picture it makes, before training', { timeout: 120_000 }, () => {
  it('refuses --enlarge 300 at once (exit 2), naming the picture size and the largest factor', () => {
    const result = refused(['sda', '--enlarge', '300', '--out', 'run']);
    expect(result.err).toBe(
      'sdae: --enlarge 300 would make the 289 x 289 picture of 500 filters 86700 x 86700 pixels, more than the 25 megapixels a ' +
        'picture may have (a PNG that size takes gigabytes to build). Use --enlarge 17 or less.\n',
    );
    expect(result.code).toBe(EXIT.usage);
  });

  it('bounds by the last hidden layer: 10 filters make one row, so a larger factor fits', () => {
    const refusedLarge = refused(['sda', '--hidden', '20,10', '--corruption', '0.1,0.1', '--enlarge', '56', '--out', 'run']);
    expect(refusedLarge.err).toMatch(
      /^sdae: --enlarge 56 would make the 289 x 28 picture of 10 filters 16184 x 1568 pixels, .* Use --enlarge 55 or less\.$/m,
    );
    const accepted = refused([
      'sda',
      '--hidden',
      '20,10',
      '--corruption',
      '0.1,0.1',
      '--enlarge',
      '55',
      '--backend',
      'tensorflow',
      '--out',
      'run',
    ]);
    expect(accepted.err).toMatch(/^sdae: --backend tensorflow cannot start here/);
  });
});

describe('case 13: Ctrl-C before training, and the messages', { timeout: 300_000 }, () => {
  it('exits 130 with a message for a Ctrl-C while the command loads, every time (20 tries), leaving no lock or directory', async () => {
    // Preloaded before the command: when main.ts installs its first SIGINT handler, reports on fd 3
    // and blocks on standard input until the test has sent Ctrl-C, so that the signal always
    // arrives while the command is still loading (the first listener arms the signal before
    // 'newListener' runs; a signal during the blocking read is kept for the event loop).
    const preload = join(root, 'sigint-ready.mjs');
    writeFileSync(
      preload,
      "import { readSync, writeSync } from 'node:fs';\n" +
        'let first = true;\n' +
        "process.on('newListener', (event) => {\n" +
        "  if (event !== 'SIGINT' || !first) return;\n" +
        '  first = false;\n' +
        "  writeSync(3, 'ready\\n');\n" +
        '  readSync(0, Buffer.alloc(1));\n' +
        '});\n',
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const out = join(root, `early-${attempt}`);
      const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, MAIN, ...DA_FLAGS, '--epochs', '1', '--out', out], {
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, SDAE_DEBUG: '' },
      });
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.stdio[3]!.once('data', () => {
        child.kill('SIGINT');
        child.stdin!.end('go');
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
      );
      expect({ attempt, code, signal }).toEqual({ attempt, code: EXIT.interrupted, signal: null });
      expect(err).toContain('sdae: interrupted (Ctrl-C) before training started: nothing was trained, so there is nothing to resume.');
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses fewer --epochs on resume as a usage error (exit 2), as other refused flags are', async () => {
    const before = snapshot(daOut);
    const result = await runCaptured([...DA_FLAGS, '--epochs', '1', '--out', daOut, '--resume', join(daOut, 'checkpoint.sdae')]);
    // Nothing lost: the checkpoint, model and report of the run are as they were.
    expect(snapshot(daOut)).toEqual(before);
    expect(result.err).toMatch(
      /^sdae: --resume .*checkpoint\.sdae was written by a run with other settings: epochs 2 in the checkpoint, 1 now\./m,
    );
    expect(result.code).toBe(EXIT.usage);
  });

  it('names a cosine schedule without "undefined epochs" when it refuses a resume', async () => {
    const result = await runCaptured([
      ...DA_FLAGS,
      '--epochs',
      '2',
      '--lr-schedule',
      'cosine',
      '--out',
      daOut,
      '--resume',
      join(daOut, 'checkpoint.sdae'),
    ]);
    expect(result.err).toContain('--lr-schedule constant in the checkpoint, cosine now.');
    expect(result.err).not.toContain('undefined');
    expect(result.code).toBe(EXIT.usage);
  });

  it('refuses a flag given twice as a usage error, naming both values', () => {
    const result = refused(['da', '--epochs', '5', '--hidden', '8', '--epochs', '50', '--out', 'run']);
    expect(result.err).toContain(`error: option '--epochs <n>' was given twice ("5", then "50"); give it once.`);
    expect(result.code).toBe(EXIT.usage);
  });

  it('still takes a flag meant to repeat (sweep --grid) more than once', () => {
    // Refused for its --epochs only, after both axes were read.
    const result = refused(['sweep', 'da', '--grid', 'learning-rate=0.1,0.2', '--grid', 'hidden=5,6', '--epochs', 'zero', '--out', 'run']);
    expect(result.err).toMatch(/option '--epochs <n>' argument 'zero' is invalid/);
    expect(result.err).not.toContain('was given twice');
  });

  it('names the file a write failed on when the disk is full (ENOSPC), not "(unknown path)"', async () => {
    if (!existsSync('/dev/full')) return;
    const handle = await open('/dev/full', 'w');
    const error = await handle.writeFile('weights').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await handle.close();
    expect(isSystemError(error) && error.code).toBe('ENOSPC');
    const failure = fileSystemFailure(namingPath(error, '/runs/da/checkpoint.sdae') as Parameters<typeof fileSystemFailure>[0]);
    expect(failure.message).toContain('/runs/da/checkpoint.sdae');
    expect(failure.message).not.toContain('unknown path');
  });

  it('export prints no "install tfjs-node" banner', () => {
    const out = join(root, 'exported');
    const result = sdae(['export', '--model', model, '--out', out]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.err).not.toMatch(/Hi, looks like you are running TensorFlow\.js in Node\.js/);
    expect(result.out).not.toMatch(/Hi, looks like you are running TensorFlow\.js in Node\.js/);
  });
});
