import { describe, expect, it } from 'vitest';
import { DenoisingAutoencoder } from '../denoising-autoencoder';
import { LogisticRegression } from '../logistic-regression';
import { Mlp } from '../mlp';
import { ReluCnn } from '../relu-cnn';
import { StackedDenoisingAutoencoder } from '../stacked-denoising-autoencoder';
import { layersModelCounts } from './export-count';

const rows = (model: { layerSummary(): { rows: { name: string; type: string; outputShape: (number | null)[]; parameters: number }[] } }) =>
  model.layerSummary().rows.map(({ name, type, outputShape, parameters }) => [`${name} (${type})`, outputShape, parameters]);

describe('Model.summary', () => {
  it("prints an MLP as Keras' table: 784-12-10 has 9,420 + 130 = 9,550 parameters", () => {
    const mlp = new Mlp({ hiddenSizes: [12] });
    const printed: string[] = [];
    const text = mlp.summary({ printFn: (line) => printed.push(line) });
    expect(printed.join('\n')).toBe(text);
    expect(text).toBe(
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
      ].join('\n'),
    );
    expect(mlp.layerSummary().totalParameters).toBe(mlp.parameterCount());
    mlp.dispose();
  });

  it('counts the notebook CNN as parameterCount does: 25 + 576 per-position biases + 5,770 = 6,371', () => {
    const cnn = new ReluCnn({ preset: 'notebook' });
    expect(rows(cnn)).toEqual([
      ['conv0 (Conv2D)', [null, 24, 24, 1], 25 + 576],
      ['flatten (Flatten)', [null, 576], 0],
      ['output (Dense)', [null, 10], 5770],
    ]);
    expect(cnn.layerSummary()).toMatchObject({ totalParameters: 6371, trainableParameters: 6371, nonTrainableParameters: 0 });
    expect(cnn.parameterCount()).toBe(6371);
    cnn.dispose();
  });

  it('lists the LeNet preset with its pooling layers: 431,080 parameters', () => {
    const cnn = new ReluCnn({ preset: 'lenet' });
    expect(rows(cnn)).toEqual([
      ['conv0 (Conv2D)', [null, 24, 24, 20], 5 * 5 * 20 + 20],
      ['conv0_pool (MaxPooling2D)', [null, 12, 12, 20], 0],
      ['conv1 (Conv2D)', [null, 8, 8, 50], 5 * 5 * 20 * 50 + 50],
      ['conv1_pool (MaxPooling2D)', [null, 4, 4, 50], 0],
      ['flatten (Flatten)', [null, 800], 0],
      ['dense0 (Dense)', [null, 500], 800 * 500 + 500],
      ['output (Dense)', [null, 10], 5010],
    ]);
    expect(cnn.summary({ printFn: null })).toContain('Total params: 431,080\nTrainable params: 431,080\n');
    cnn.dispose();
  });

  it("counts an SdA's dA decoder biases as non-trainable (pretraining trains them, finetuning does not)", () => {
    const sda = new StackedDenoisingAutoencoder({ inputSize: 8, hiddenSizes: [5, 4], numClasses: 3 });
    expect(rows(sda)).toEqual([
      ['layer0 (Dense)', [null, 5], 8 * 5 + 5 + 8],
      ['layer1 (Dense)', [null, 4], 5 * 4 + 4 + 5],
      ['output (Dense)', [null, 3], 4 * 3 + 3],
    ]);
    expect(sda.layerSummary()).toMatchObject({ totalParameters: 97, trainableParameters: 84, nonTrainableParameters: 13 });
    expect(sda.parameterCount()).toBe(84);
    expect(sda.summary({ printFn: null })).toContain('Non-trainable params: 13\nNon-trainable: each layer');
    sda.dispose();
  });

  it.each([
    [
      true,
      [
        ['encoder (Dense)', [null, 5], 45],
        ['decoder (Dense, tied W^T)', [null, 8], 8],
      ],
      53,
    ],
    [
      false,
      [
        ['encoder (Dense)', [null, 5], 45],
        ['decoder (Dense)', [null, 8], 48],
      ],
      93,
    ],
  ])('lists a dA (tiedWeights %s) as an encoder and a decoder', (tiedWeights, expected, total) => {
    const da = new DenoisingAutoencoder({ visibleSize: 8, hiddenSize: 5, tiedWeights });
    expect(rows(da)).toEqual(expected);
    expect(da.layerSummary()).toMatchObject({ totalParameters: total, trainableParameters: total, nonTrainableParameters: 0 });
    da.dispose();
  });

  it('lists a logistic regression as one Dense layer of 7,850 parameters', () => {
    const logistic = new LogisticRegression();
    expect(rows(logistic)).toEqual([['output (Dense)', [null, 10], 7850]]);
    logistic.dispose();
  });

  it('widens the columns for long layer names and shapes', () => {
    const mlp = new Mlp({ inputSize: 4, hiddenSizes: [3], numClasses: 2 });
    const lines = mlp.summary({ printFn: null, lineLength: 30 }).split('\n');
    expect(lines[4]).toBe(' layer0 (Dense)  (None, 3)     15');
    mlp.dispose();
  });

  it('refuses a disposed model', () => {
    const mlp = new Mlp({ hiddenSizes: [3] });
    mlp.dispose();
    expect(() => mlp.summary({ printFn: null })).toThrow(/disposed/);
  });
});

describe('layersModelCounts', () => {
  it('explains why tfjs-layers counts 7,523 parameters in the notebook CNN export where sdae counts 6,371', () => {
    const cnn = new ReluCnn({ preset: 'notebook' });
    const counts = layersModelCounts(cnn);
    expect(counts.parts).toEqual([{ part: 'model', total: 7523, trainable: 6371, nonTrainable: 1152 }]);
    expect(counts.differences).toEqual([
      expect.stringMatching(/^1,152 are the moving mean \(0\) and variance \(1\) of the BatchNormalization/),
    ]);
    cnn.dispose();
  });

  it('agrees with the model where the export holds exactly its weights (an MLP)', () => {
    const mlp = new Mlp({ hiddenSizes: [12] });
    expect(layersModelCounts(mlp)).toEqual({
      parts: [{ part: 'model', total: 9550, trainable: 9550, nonTrainable: 0 }],
      total: 9550,
      differences: [],
    });
    mlp.dispose();
  });

  it("names a tied dA's decoder kernel, written again, and an SdA's decoder biases, not exported", () => {
    const da = new DenoisingAutoencoder({ visibleSize: 8, hiddenSize: 5 });
    expect(layersModelCounts(da)).toMatchObject({
      total: 45 + 48,
      differences: [expect.stringContaining('written again in decoder/ (40 values)')],
    });
    const sda = new StackedDenoisingAutoencoder({ inputSize: 8, hiddenSizes: [5, 4], numClasses: 3 });
    expect(layersModelCounts(sda)).toMatchObject({ total: 84, differences: [expect.stringContaining('decoder biases (13)')] });
    da.dispose();
    sda.dispose();
  });
});
