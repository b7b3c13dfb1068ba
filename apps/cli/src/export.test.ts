import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { Random } from '@sdae/core';
import { DenoisingAutoencoder, layersModelDirectory, loadModel, type AnyModel } from '@sdae/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { runCaptured } from './test-cli';

const DATA = ['--split', 'mini', '--limit', '60', '--backend', 'cpu'];

/** The training runs whose saved models are exported: every kind of model the CLI saves, trained for a few minibatches. */
const RUNS: [string, string[], string][] = [
  ['mlp', ['mlp', '--hidden', '12', '--epochs', '1'], 'Mlp'],
  ['logistic regression', ['mlp', '--logistic', '--epochs', '1'], 'LogisticRegression'],
  ['da', ['da', '--hidden', '10', '--epochs', '1'], 'DenoisingAutoencoder'],
  [
    'sda',
    ['sda', '--hidden', '10,8', '--corruption', '0.1,0.2', '--pretrain-epochs', '1', '--finetune-epochs', '1'],
    'StackedDenoisingAutoencoder',
  ],
  ['notebook cnn', ['cnn', '--preset', 'notebook', '--iterations', '10'], 'ReluCnn'],
];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sdae-export-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Images in [0, 1), `[n, 784]`. */
function images(n: number): tf.Tensor2D {
  const random = new Random(3);
  return tf.tensor2d(
    Float32Array.from({ length: n * 784 }, () => random.next()),
    [n, 784],
  );
}

async function tfjsLayersPredict(directory: string, x: tf.Tensor): Promise<Float32Array> {
  const model = await tfl.loadLayersModel(layersModelDirectory(directory));
  const prediction = model.predict(x) as tf.Tensor;
  const values = Float32Array.from(prediction.dataSync());
  tf.dispose(prediction);
  model.dispose();
  return values;
}

function largestDifference(actual: Float32Array, expected: tf.Tensor): number {
  const values = expected.dataSync();
  expected.dispose();
  expect(actual.length).toBe(values.length);
  return actual.reduce((max, value, index) => Math.max(max, Math.abs(value - values[index]!)), 0);
}

/** What the sdae model predicts (a classifier's probabilities; a dA's hidden code and reconstruction), beside the exported models' outputs. */
async function comparePredictions(model: AnyModel, exported: string): Promise<number[]> {
  const x = images(5);
  try {
    if (model instanceof DenoisingAutoencoder) {
      const hidden = model.encode(x);
      const differences = [
        largestDifference(await tfjsLayersPredict(join(exported, 'encoder'), x), hidden.clone()),
        largestDifference(await tfjsLayersPredict(join(exported, 'decoder'), hidden), model.decode(hidden)),
      ];
      hidden.dispose();
      return differences;
    }
    const input = model.className === 'ReluCnn' ? tf.reshape(x, [5, 28, 28, 1]) : x;
    const difference = largestDifference(await tfjsLayersPredict(exported, input), model.predict(input));
    if (input !== x) input.dispose();
    return [difference];
  } finally {
    x.dispose();
  }
}

describe('sdae export', () => {
  it.each(RUNS)(
    'exports the %s a training command saved, which tf.loadLayersModel runs with the same predictions',
    async (name, training, className) => {
      const out = join(root, name.replace(/ /g, '-'));
      const trained = await runCaptured([...training, ...DATA, '--out', out]);
      expect(trained.code, trained.err).toBe(EXIT.ok);
      const exported = join(out, 'tfjs');
      const result = await runCaptured(['export', '--model', join(out, 'model'), '--format', 'tfjs', '--out', exported]);
      expect(result.code, result.err).toBe(EXIT.ok);
      expect(result.out).toContain(`Exported the ${className} in ${join(out, 'model')} (`);
      const model = await loadModel(join(out, 'model'));
      if (className === 'DenoisingAutoencoder') {
        expect(result.out).toContain(
          `  encoder: ${join(exported, 'encoder', 'model.json')}\n  decoder: ${join(exported, 'decoder', 'model.json')}\n`,
        );
        expect(readdirSync(exported).sort()).toEqual(['decoder', 'encoder']);
      } else {
        expect(result.out).toContain(`  ${join(exported, 'model.json')}\n`);
        expect(readdirSync(exported).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
      }
      for (const difference of await comparePredictions(model, exported)) expect(difference).toBeLessThanOrEqual(1e-5);
      model.dispose();
    },
  );

  it.each(RUNS)('exports the %s as ONNX, which onnxruntime-node runs with the same predictions', async (name, _training, className) => {
    const out = join(root, name.replace(/ /g, '-'));
    const exported = join(out, 'onnx');
    const result = await runCaptured(['export', '--model', join(out, 'model'), '--format', 'onnx', '--out', exported]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toContain(`Exported the ${className} in ${join(out, 'model')} (`);
    expect(result.out).toContain(`as an ONNX model (opset 17, `);
    expect(result.out).toContain(`  ${join(exported, 'model.onnx')}\n`);
    expect(readdirSync(exported)).toEqual(['model.onnx']);
    const model = await loadModel(join(out, 'model'));
    const x = images(5);
    const input = model.className === 'ReluCnn' ? tf.reshape(x, [5, 28, 28, 1]) : x;
    const session = await ort.InferenceSession.create(join(exported, 'model.onnx'));
    const results = await session.run({ x: new ort.Tensor('float32', input.dataSync() as Float32Array, input.shape) });
    await session.release();
    const expected =
      model instanceof DenoisingAutoencoder
        ? { hidden: model.encode(x), reconstruction: model.reconstruct(x) }
        : { [model.output === 'softmax' ? 'probabilities' : 'scores']: model.predict(input) };
    expect(Object.keys(results).sort()).toEqual(Object.keys(expected).sort());
    for (const [output, tensor] of Object.entries(expected))
      expect(largestDifference(results[output]!.data as Float32Array, tensor)).toBeLessThanOrEqual(1e-5);
    if (input !== x) input.dispose();
    x.dispose();
    model.dispose();
  });

  it('describes an ONNX export as JSON: its file, inputs and outputs', async () => {
    const exported = join(root, 'onnx-json');
    const result = await runCaptured(['export', '--model', join(root, 'da', 'model'), '--format', 'onnx', '--out', exported, '--json']);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(JSON.parse(result.out)).toMatchObject({
      type: 'export',
      format: 'onnx',
      className: 'DenoisingAutoencoder',
      files: [{ part: 'model', file: join(exported, 'model.onnx') }],
      inputs: [{ name: 'x', shape: ['batch', 784] }],
      outputs: [
        { name: 'hidden', shape: ['batch', 10] },
        { name: 'reconstruction', shape: ['batch', 784] },
      ],
    });
  });

  it("exports a checkpoint's model and describes the export as JSON", async () => {
    const out = join(root, 'mlp');
    const exported = join(root, 'from-checkpoint');
    const result = await runCaptured(['export', '--model', join(out, 'checkpoint.sdae'), '--out', exported, '--json']);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(JSON.parse(result.out)).toMatchObject({
      type: 'export',
      format: 'tfjs',
      className: 'Mlp',
      parameters: 784 * 12 + 12 + 12 * 10 + 10,
      files: [{ part: 'model', file: join(exported, 'model.json') }],
    });
    const model = await tfl.loadLayersModel(layersModelDirectory(exported));
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Dense', 'Dense']);
    model.dispose();
  });

  it('replaces a previous export in --out', async () => {
    const model = join(root, 'mlp', 'model');
    const exported = join(root, 'again');
    for (let round = 0; round < 2; round++) expect((await runCaptured(['export', '--model', model, '--out', exported])).code).toBe(EXIT.ok);
    expect(readdirSync(exported).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
  });

  it('exits with 2 and lists the formats for an unknown --format', async () => {
    const result = await runCaptured(['export', '--model', join(root, 'mlp', 'model'), '--format', 'keras', '--out', join(root, 'never')]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain("--format must be one of 'tfjs', 'onnx'; received \"keras\".");
  });

  it('exits with 2 without --model or --out', async () => {
    expect((await runCaptured(['export', '--out', join(root, 'never')])).err).toContain("required option '--model <path>' not specified");
    const result = await runCaptured(['export', '--model', join(root, 'mlp', 'model')]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain("required option '--out <dir>' not specified");
  });

  it('refuses an --out holding other files, or inside --model, and leaves them as they were', async () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'keep me');
    const result = await runCaptured(['export', '--model', join(root, 'mlp', 'model'), '--out', busy]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`sdae: --out ${busy} holds files that are not a previous export (notes.txt)`);
    expect(readdirSync(busy)).toEqual(['notes.txt']);
    const inside = await runCaptured(['export', '--model', join(root, 'mlp', 'model'), '--out', join(root, 'mlp', 'model', 'tfjs')]);
    expect(inside.code).toBe(EXIT.usage);
    expect(inside.err).toContain('is the --model');
    expect(readdirSync(join(root, 'mlp', 'model')).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('checks that --out can be written before loading the model', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const result = await runCaptured(['export', '--model', join(root, 'nowhere'), '--out', file]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toMatch(/^sdae: --out directory .*a-file: it is a file, not a directory\./);
  });

  it('names the missing model, a usage error', async () => {
    const result = await runCaptured(['export', '--model', join(root, 'nowhere'), '--out', join(root, 'never')]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(
      `sdae: --model ${join(root, 'nowhere')} does not exist; pass the model directory a training command wrote`,
    );
  });

  it("names a model directory's missing file", async () => {
    const empty = join(root, 'empty-model');
    mkdirSync(empty);
    const result = await runCaptured(['export', '--model', empty, '--out', join(root, 'never')]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toContain(`sdae: loadModel: cannot read ${join(empty, 'model.json')}`);
  });

  it('is listed in sdae --help', async () => {
    const result = await runCaptured(['--help']);
    expect(result.out).toMatch(/^ {2}export \[options\] +write a saved model/m);
  });
});
