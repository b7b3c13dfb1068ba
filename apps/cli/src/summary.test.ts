import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@sdae/backend';
import { Mlp, ReluCnn, saveModel } from '@sdae/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './cli';
import { runCaptured } from './test-cli';

let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sdae-summary-'));
  await selectBackend({ backend: 'cpu' });
  const mlp = new Mlp({ hiddenSizes: [12] });
  await saveModel(mlp, join(root, 'mlp'));
  mlp.dispose();
  const cnn = new ReluCnn({ preset: 'notebook' });
  await saveModel(cnn, join(root, 'cnn'));
  cnn.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sdae summary', () => {
  it("prints a saved MLP as Keras' model.summary() table", async () => {
    const result = await runCaptured(['summary', '--model', join(root, 'mlp')]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toBe(
      [
        'Model: "Mlp"',
        '_________________________________________________________________',
        ' Layer (type)                Output Shape              Param #',
        '=================================================================',
        ' layer0 (Dense)              (None, 12)                9,420',
        ' output (Dense)              (None, 10)                130',
        '=================================================================',
        'Total params: 9,550',
        'Trainable params: 9,550',
        'Non-trainable params: 0',
        '_________________________________________________________________',
        '',
      ].join('\n'),
    );
  });

  it('describes the layers and totals as JSON', async () => {
    const result = await runCaptured(['summary', '--model', join(root, 'cnn'), '--json']);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(JSON.parse(result.out)).toMatchObject({
      type: 'summary',
      name: 'ReluCnn',
      totalParameters: 6371,
      trainableParameters: 6371,
      nonTrainableParameters: 0,
      rows: [
        { name: 'conv0', type: 'Conv2D', outputShape: [null, 24, 24, 1], parameters: 601 },
        { name: 'flatten', type: 'Flatten', outputShape: [null, 576], parameters: 0 },
        { name: 'output', type: 'Dense', outputShape: [null, 10], parameters: 5770 },
      ],
    });
  });

  it("explains, when exporting the notebook CNN to tfjs, why tfjs-layers' summary() counts 7,523 parameters", async () => {
    const result = await runCaptured(['export', '--model', join(root, 'cnn'), '--out', join(root, 'cnn-tfjs')]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(result.out).toContain('(6371 parameters)');
    expect(result.out).toContain(
      "tfjs-layers' summary() counts 7,523 parameters in the export: 1,152 are the moving mean (0) and variance (1) of the BatchNormalization layers",
    );
  });

  it('names the missing model, a usage error', async () => {
    const result = await runCaptured(['summary', '--model', join(root, 'nowhere')]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain(`--model ${join(root, 'nowhere')} does not exist`);
  });
});
