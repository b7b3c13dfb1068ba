import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { loadModel } from '@sdae/layers';
import { DEEPLEARNTOOLBOX_SAE } from '@sdae/train';
import { decodePng } from '@sdae/vis';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { runCaptured } from './test-cli';

/** An --out directory for runs that must refuse before writing anything (per process, so concurrent test runs do not share it). */
const NEVER_WRITTEN = join(tmpdir(), `sdae-never-${process.pid}`);

// The classifier commands' recipes and flags: sda --preset dlt / --untied / --loss / --output,
// mlp --iterations with curves on every split, cnn --filters / --pool / --gradients, and the
// result line and confusion matrix every classifier command writes.

/** The names of the polylines' series of an SVG chart, as the legend lists them. */
function chartSeries(path: string): { lines: number; legend: string[] } {
  const document = new DOMParser().parseFromString(readFileSync(path, 'utf8'), 'image/svg+xml');
  const texts = Array.from(document.getElementsByTagName('text'), (text) => text.textContent ?? '');
  return { lines: document.getElementsByTagName('polyline').length, legend: texts };
}

const RESULT_LINE = /^Test error \d+\.\d\d % \(accuracy \d+\.\d\d %\), training time [\d.]+ (s|min)$/m;
const tiny = ['--limit', '100', '--backend', 'cpu'];
let out: string;

function freshOut(): string {
  out = mkdtempSync(join(tmpdir(), 'sdae-classifier-'));
  return out;
}

afterEach(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

describe('sdae sda --preset dlt', () => {
  it("trains DeepLearnToolbox's SAE on the standard split and writes its features, the result and a confusion matrix", async () => {
    const result = await runCaptured(['sda', '--preset', 'dlt', ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain(
      'SdA 784-100-100-10 (preset dlt), corruption 0.5/0.5, untied squared-error dAs, sigmoid-squared-error output',
    );
    // The standard split has no validation set: one fine-tuning epoch, no validation error.
    expect(result.out).toMatch(/^epoch 0, cost [\d.]+$/m);
    expect(result.out).toMatch(RESULT_LINE);
    const model = await loadModel(join(out, 'model'));
    expect(model.getConfig()).toMatchObject(DEEPLEARNTOOLBOX_SAE.model);
    model.dispose();
    expect(decodePng(readFileSync(join(out, 'filters-pretrained.png'))).width).toBe(10 * 29 - 1);
    expect(chartSeries(join(out, 'confusion.svg')).legend.length).toBeGreaterThan(0);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    for (const row of ['test error', 'test accuracy', 'training time', 'Confusion matrix']) expect(report).toContain(row);
  });

  it('lets flags given on the command line override the preset (--corruption 0,0: the 9.33 % case)', async () => {
    const result = await runCaptured([...'sda --preset dlt --corruption 0,0 --hidden 12,8'.split(' '), ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain('SdA 784-12-8-10 (preset dlt), corruption 0/0, untied squared-error dAs');
    const model = await loadModel(join(out, 'model'));
    expect(model.getConfig()).toMatchObject({ hiddenSizes: [12, 8], corruptionLevels: [0, 0], initialization: 'deeplearntoolbox' });
    model.dispose();
  });
});

describe('sdae sda --untied --loss --output', () => {
  it('builds the SdA the flags describe, without the preset', async () => {
    const flags = ['--untied', '--loss', 'squared-error', '--output', 'sigmoid-squared-error', '--hidden', '12,8', '--split', 'mini'];
    const result = await runCaptured(['sda', ...flags, '--pretrain-epochs', '1', '--finetune-epochs', '1', ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    const model = await loadModel(join(out, 'model'));
    expect(model.getConfig()).toMatchObject({
      tiedWeights: false,
      reconstructionLoss: 'squared-error',
      output: 'sigmoid-squared-error',
      initialization: 'tutorial',
    });
    model.dispose();
  });
});

describe('sdae mlp', () => {
  it('--iterations trains on random minibatches and draws loss and accuracy curves on every split', async () => {
    const result = await runCaptured([
      ...'mlp --iterations 40 --evaluate-every 10 --hidden 16 --split mini'.split(' '),
      ...tiny,
      '--out',
      freshOut(),
    ]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain('MLP 784-16-10 (tanh), sgd lr 0.1, 40 random minibatches of 20');
    // The logs at the measured iterations are printed.
    expect(result.out).toMatch(/^iteration 39, loss [\d.]+, accuracy [\d.]+ %$/m);
    expect(result.out).toMatch(RESULT_LINE);
    for (const name of ['loss.svg', 'accuracy.svg']) {
      const { lines, legend } = chartSeries(join(out, name));
      expect([name, lines]).toEqual([name, 4]);
      for (const series of ['minibatch', 'train', 'validation', 'test']) expect(legend).toContain(series);
    }
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { evaluations?: object }[];
    expect(history).toHaveLength(40);
    expect(history.flatMap((log, index) => (log.evaluations === undefined ? [] : [index]))).toEqual([9, 19, 29, 39]);
  });

  it('--logistic --split standard draws curves on the train and test sets (it has no validation set)', async () => {
    const result = await runCaptured(['mlp', '--logistic', '--split', 'standard', '--epochs', '2', ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    const loss = chartSeries(join(out, 'loss.svg'));
    expect(loss.lines).toBe(3);
    for (const series of ['training cost', 'train', 'test']) expect(loss.legend).toContain(series);
    expect(chartSeries(join(out, 'accuracy.svg')).lines).toBe(2);
    expect(chartSeries(join(out, 'confusion.svg')).legend.length).toBeGreaterThan(0);
  });
});

describe('sdae cnn', () => {
  it('--filters 3 --pool 2 widens and pools the notebook network', async () => {
    const result = await runCaptured([...'cnn --filters 3 --pool 2 --iterations 20 --split mini'.split(' '), ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain("ReLU CNN 'notebook' (3 filters, pool 2)");
    expect(result.out).toMatch(RESULT_LINE);
    expect(decodePng(readFileSync(join(out, 'filters.png'))).width).toBe((3 * 6 - 1) * 8);
    const model = await loadModel(join(out, 'model'));
    expect(model.getConfig()).toMatchObject({ convolutions: [{ filters: 3, kernelSize: [5, 5], bias: 'per-position', pool: 2 }] });
    // 3 per-position biases of 24 x 24, 3 5x5 filters, then 12 x 12 x 3 pooled features -> 10.
    expect(model.parameterCount()).toBe(3 * 25 + 3 * 576 + 432 * 10 + 10);
    model.dispose();
  });

  it("--gradients sum trains with the notebook's summed gradients at its learning rate 0.01", async () => {
    const result = await runCaptured(['cnn', '--gradients', 'sum', '--iterations', '20', '--split', 'mini', ...tiny, '--out', freshOut()]);
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain('sgd lr 0.01 on summed gradients, batch 100');
  });
});

describe('bad flags of the classifier commands', () => {
  it.each([
    [
      'sda',
      ['--output', 'sigmoid'],
      "option '--output <name>' argument 'sigmoid' is invalid. Allowed choices are softmax, sigmoid-squared-error.",
    ],
    ['sda', ['--loss', 'mse'], "option '--loss <name>' argument 'mse' is invalid. Allowed choices are cross-entropy, squared-error."],
    ['sda', ['--preset', 'theano'], "option '--preset <name>' argument 'theano' is invalid. Allowed choices are dlt."],
    ['mlp', ['--iterations', '10', '--epochs', '2'], '--epochs and --iterations contradict'],
    ['cnn', ['--preset', 'lenet', '--filters', '4'], "--filters applies to --preset notebook's one convolution"],
    ['cnn', ['--preset', 'lenet', '--pool', '2'], "--pool applies to --preset notebook's one convolution"],
    ['cnn', ['--epochs', '1', '--gradients', 'sum'], "--gradients applies to the notebook's random-minibatch training"],
    ['cnn', ['--filters', '0'], "option '--filters <n>' argument '0' is invalid. Expected a whole number >= 1."],
  ])('sdae %s %j is refused (exit 2), saying what is expected', async (command, flags, message) => {
    const result = await runCaptured([command, ...flags, ...tiny, '--out', NEVER_WRITTEN]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(message);
  });
});
