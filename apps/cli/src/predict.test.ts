import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encode as encodeJpeg } from 'jpeg-js';
import { digitInput, loadMnist, sliceImageSet, type ImageSet, type RgbaPixels } from '@sdae/datasets';
import { loadModel, type Classifier } from '@sdae/layers';
import { confusionMatrix, evaluate } from '@sdae/train';
import { decodePng, encodePng } from '@sdae/vis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, run } from './cli';

async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** A 28 x 28 MNIST digit drawn 10 times larger (280 x 280), dark on a white background, as someone draws on paper. */
function onPaper(digit: ArrayLike<number>): RgbaPixels & { data: Uint8ClampedArray } {
  const side = 280;
  const data = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const ink = Math.round(255 * digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)]!);
      data.set([255 - ink, 255 - ink, 255 - ink, 255], 4 * (y * side + x));
    }
  }
  return { data, width: side, height: side };
}

/** The class probabilities a classifier gives 784-value inputs. */
function probabilities(model: Classifier, inputs: Float32Array[]): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(inputs.flatMap((input) => Array.from(input))), [inputs.length, 784]);
    return model.predict(x).arraySync();
  });
}

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

let root: string;
let modelDirectory: string;
let model: Classifier;
let test: ImageSet;
/** The first test digits, as MNIST has them and drawn on paper. */
const DIGITS = 8;
let originals: Float32Array[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-predict-'));
  const trained = await runCaptured([
    'mlp',
    '--hidden',
    '30',
    '--epochs',
    '2',
    '--split',
    'mini',
    '--backend',
    'cpu',
    '--out',
    join(root, 'mlp'),
  ]);
  expect(trained.code, trained.err).toBe(EXIT.ok);
  const da = await runCaptured([
    'da',
    '--hidden',
    '10',
    '--epochs',
    '1',
    '--split',
    'mini',
    '--limit',
    '60',
    '--backend',
    'cpu',
    '--out',
    join(root, 'da'),
  ]);
  expect(da.code, da.err).toBe(EXIT.ok);
  modelDirectory = join(root, 'mlp', 'model');
  model = (await loadModel(modelDirectory)) as Classifier;
  ({ test } = await loadMnist({ split: 'mini' }));
  originals = Array.from({ length: DIGITS }, (_, index) => test.images.slice(index * 784, (index + 1) * 784));
  originals.forEach((digit, index) => {
    const picture = onPaper(digit);
    writeFileSync(join(root, `digit-${index}.png`), encodePng(picture));
    writeFileSync(join(root, `digit-${index}.jpg`), encodeJpeg(picture, 90).data);
  });
}, 120_000);

afterAll(() => {
  model?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('sdae predict IMAGE...', () => {
  it.each(['png', 'jpg'])(
    'gives a real test digit drawn on paper (280 x 280 %s) the class the model gives the original 28 x 28 digit',
    async (extension) => {
      const files = originals.map((_, index) => join(root, `digit-${index}.${extension}`));
      const result = await runCaptured(['predict', '--model', modelDirectory, '--json', ...files]);
      expect(result.code, result.err).toBe(EXIT.ok);
      const lines = result.out
        .trim()
        .split('\n')
        .map(
          (line) => JSON.parse(line) as { image: string; format: string; inverted: boolean; top: { class: number; probability: number }[] },
        );
      expect(lines.map((line) => line.image)).toEqual(files);
      const expected = probabilities(model, originals).map(argmax);
      expect(lines.map((line) => line.top[0]!.class)).toEqual(expected);
      for (const line of lines) {
        expect([line.format, line.inverted, line.top.length]).toEqual([extension === 'png' ? 'PNG' : 'JPEG', true, 3]);
        expect(line.top[0]!.probability).toBeGreaterThanOrEqual(line.top[1]!.probability);
        expect(line.top[1]!.probability).toBeGreaterThanOrEqual(line.top[2]!.probability);
      }
    },
  );

  it("prints the model's probabilities for the picture's MNIST input (digitInput of the decoded file), top 3 first", async () => {
    const file = join(root, 'digit-0.png');
    const result = await runCaptured(['predict', '--model', modelDirectory, file]);
    expect(result.code, result.err).toBe(EXIT.ok);
    const [row] = probabilities(model, [digitInput(decodePng(readFileSync(file))).input]);
    const top = row!
      .map((probability, digit) => [digit, probability] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
    expect(result.out).toBe(
      `${file} (PNG 280 x 280, light background, inverted): ${top.map(([digit, p]) => `${digit} ${(100 * p).toFixed(2)} %`).join(', ')}\n`,
    );
  });

  it("prints a sigmoid-output model's scores as scores, not as probabilities in %", async () => {
    const out = join(root, 'sigmoid');
    const trained = await runCaptured([
      ...['sda', '--hidden', '10', '--corruption', '0.1', '--pretrain-epochs', '1', '--finetune-epochs', '1'],
      ...['--output', 'sigmoid-squared-error', '--split', 'mini', '--limit', '60', '--backend', 'cpu', '--out', out],
    ]);
    expect(trained.code, trained.err).toBe(EXIT.ok);
    const sigmoid = (await loadModel(join(out, 'model'))) as Classifier;
    const file = join(root, 'digit-0.png');
    const [row] = probabilities(sigmoid, [digitInput(decodePng(readFileSync(file))).input]);
    sigmoid.dispose();
    const top = row!
      .map((value, digit) => [digit, value] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3);
    const text = await runCaptured(['predict', '--model', join(out, 'model'), file]);
    expect(text.code, text.err).toBe(EXIT.ok);
    expect(text.out).toBe(
      `${file} (PNG 280 x 280, light background, inverted): sigmoid outputs ${top.map(([digit, value]) => `${digit} ${value.toFixed(4)}`).join(', ')}\n`,
    );
    const json = await runCaptured(['predict', '--model', join(out, 'model'), '--json', file]);
    const line = JSON.parse(json.out) as { top: unknown; outputs: number[]; probabilities?: unknown };
    expect(line.top).toEqual(top.map(([digit, value]) => ({ class: digit, output: value })));
    expect([line.outputs.length, line.probabilities]).toEqual([10, undefined]);
  });

  it("writes each picture's 28 x 28 input, 4 times larger, with --out", async () => {
    const out = join(root, 'inputs');
    const file = join(root, 'digit-1.jpg');
    const result = await runCaptured(['predict', '--model', modelDirectory, file, '--out', out]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toContain(`(input: ${join(out, 'digit-1.jpg.input.png')})`);
    const written = decodePng(readFileSync(join(out, 'digit-1.jpg.input.png')));
    expect([written.width, written.height]).toEqual([112, 112]);
    const input = digitInput(decodePng(readFileSync(join(root, 'digit-1.png')))).input;
    // Pixel (row 14, column 14) of the input is the 4 x 4 block at (56, 56) of the picture (JPEG's loss aside).
    expect(Math.abs(written.data[4 * (58 * 112 + 58)]! - 255 * input[14 * 28 + 14]!)).toBeLessThan(40);
  });
});

describe('sdae predict --test', () => {
  it("prints the saved model's test error and confusion matrix, as evaluate computes them", async () => {
    const result = await runCaptured(['predict', '--model', modelDirectory, '--test', '--split', 'mini', '--limit', '300', '--json']);
    expect(result.code, result.err).toBe(EXIT.ok);
    const printed = JSON.parse(result.out) as { testError: number; images: number; confusionMatrix: number[][]; className: string };
    const set = sliceImageSet(test, 0, 300);
    const expected = await evaluate(model, set);
    expect(printed).toMatchObject({ className: 'Mlp', images: 300, testError: expected.errorRate });
    expect(printed.confusionMatrix).toEqual(confusionMatrix(expected.predictions, set.labels, 10));
    expect(printed.confusionMatrix.flat().reduce((sum, count) => sum + count, 0)).toBe(300);
  });

  it('reads the model from a checkpoint file too, and prints the matrix as a table and as confusion.svg', async () => {
    const out = join(root, 'confusion');
    const result = await runCaptured([
      'predict',
      '--model',
      join(root, 'mlp', 'checkpoint.sdae'),
      '--test',
      '--split',
      'mini',
      '--out',
      out,
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    const expected = await evaluate(model, test);
    const matrix = confusionMatrix(expected.predictions, test.labels, 10);
    expect(result.out).toContain(`1000 test images (split mini):\ntest error ${(100 * expected.errorRate).toFixed(2)} %`);
    expect(result.out).toContain(`\n               7${matrix[7]!.map((count) => String(count).padStart(4)).join('')}\n`);
    expect(readFileSync(join(out, 'confusion.svg'), 'utf8')).toContain('<svg');
  });
});

describe('sdae predict refuses', () => {
  it('a missing --model, naming it (exit 2)', async () => {
    const result = await runCaptured(['predict', '--model', join(root, 'nowhere'), '--test']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`sdae: --model ${join(root, 'nowhere')} does not exist`);
  });

  it('a model that does not classify (a plain dA)', async () => {
    const result = await runCaptured(['predict', '--model', join(root, 'da', 'model'), '--test']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain('holds a DenoisingAutoencoder, which reconstructs images but does not classify them');
  });

  it('a file that is not PNG or JPEG, saying which and what it starts with', async () => {
    const file = join(root, 'notes.png');
    writeFileSync(file, 'hello, world');
    const result = await runCaptured(['predict', '--model', modelDirectory, join(root, 'digit-0.png'), file]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`sdae: IMAGE ${file} is not a PNG or JPEG file: it starts with "hello, w" (68 65 6c 6c 6f 2c 20 77)`);
    expect(result.out).toBe('');
  });

  it('a damaged PNG, a missing file and a blank picture', async () => {
    const damaged = join(root, 'damaged.png');
    writeFileSync(damaged, readFileSync(join(root, 'digit-0.png')).subarray(0, 60));
    const blank = join(root, 'blank.png');
    writeFileSync(blank, encodePng({ data: new Uint8ClampedArray(20 * 20 * 4).fill(255), width: 20, height: 20 }));
    const cases: [string, string][] = [
      [damaged, `IMAGE ${damaged} starts as a PNG file but cannot be decoded`],
      [join(root, 'missing.png'), `IMAGE: cannot read ${join(root, 'missing.png')} (ENOENT)`],
      [blank, `IMAGE ${blank}: the 20 x 20 picture holds no digit: no pixel stands out from its light background`],
    ];
    for (const [file, message] of cases) {
      const result = await runCaptured(['predict', '--model', modelDirectory, file]);
      expect(result.code, file).toBe(EXIT.usage);
      expect(result.err).toContain(message);
    }
  });

  it('--test with images, neither, and --limit without --test', async () => {
    const image = join(root, 'digit-0.png');
    const both = await runCaptured(['predict', '--model', modelDirectory, '--test', image]);
    expect(both.code).toBe(EXIT.usage);
    expect(both.err).toContain("--test evaluates the model on MNIST's test set and takes no IMAGE; received 1");
    const neither = await runCaptured(['predict', '--model', modelDirectory]);
    expect(neither.code).toBe(EXIT.usage);
    expect(neither.err).toContain('predict needs --test (the test error and confusion matrix) or at least one IMAGE');
    const limit = await runCaptured(['predict', '--model', modelDirectory, '--limit', '5', image]);
    expect(limit.code).toBe(EXIT.usage);
    expect(limit.err).toContain('--limit cuts the test set of --test');
  });

  it('is listed in sdae --help', async () => {
    const result = await runCaptured(['--help']);
    expect(result.out).toMatch(/^ {2}predict \[options\] \[IMAGE\.\.\.\] +a saved classifier's test error/m);
  });
});
