import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectArraysClose, TEST_BACKENDS } from '@sdae/backend/testing';
import { InvalidArgumentError, Random, deriveSeed } from '@sdae/core';
import { barsAndStripes, oneHot } from '@sdae/datasets';
import { describe, expect, it } from 'vitest';
import { uniformValues } from './initializers';
import { ReluCnn } from './relu-cnn';
import { resolveReluCnnOptions, type ConvolutionConfig, type ReluCnnConfig, type ReluCnnOptions } from './relu-cnn-options';

type Weights = Map<string, { shape: number[]; values: Float32Array | Float64Array }>;

function shapesOf(cnn: ReluCnn): Record<string, number[]> {
  return Object.fromEntries([...cnn.variables].map(([name, variable]) => [name, [...variable.shape]]));
}

function randomValues(count: number, random: Random, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, () => (2 * random.next() - 1) * scale);
}

/**
 * The logits of a ReluCnn computed with plain loops in float64, straight from the definitions
 * (NHWC cross-correlation with TensorFlow's 'same' padding, which puts the odd pixel at the
 * bottom/right; bias; ReLU; 'valid' max-pooling; row-major flattening; dense layers).
 */
function referenceLogits(config: ReluCnnConfig, weights: Weights, images: ArrayLike<number>, count: number): number[][] {
  const logits: number[][] = [];
  const [inputHeight, inputWidth, inputChannels] = config.inputShape;
  for (let example = 0; example < count; example++) {
    let height = inputHeight;
    let width = inputWidth;
    let channels = inputChannels;
    const offset = example * height * width * channels;
    let map = Array.from({ length: height * width * channels }, (_, index) => images[offset + index]);
    config.convolutions.forEach((layer: ConvolutionConfig, index) => {
      const [kernelHeight, kernelWidth] = layer.kernelSize;
      const [strideHeight, strideWidth] = layer.strides;
      const { filters } = layer;
      const filter = (weights.get(`conv${index}.filter`) as { values: ArrayLike<number> }).values;
      const bias = (weights.get(`conv${index}.bias`) as { values: ArrayLike<number> }).values;
      const same = layer.padding === 'same';
      const outHeight = same ? Math.ceil(height / strideHeight) : Math.floor((height - kernelHeight) / strideHeight) + 1;
      const outWidth = same ? Math.ceil(width / strideWidth) : Math.floor((width - kernelWidth) / strideWidth) + 1;
      const top = same ? Math.floor(Math.max((outHeight - 1) * strideHeight + kernelHeight - height, 0) / 2) : 0;
      const left = same ? Math.floor(Math.max((outWidth - 1) * strideWidth + kernelWidth - width, 0) / 2) : 0;
      const convolved = new Array<number>(outHeight * outWidth * filters).fill(0);
      for (let y = 0; y < outHeight; y++) {
        for (let x = 0; x < outWidth; x++) {
          for (let f = 0; f < filters; f++) {
            let sum = layer.bias === 'per-position' ? bias[(y * outWidth + x) * filters + f] : bias[f];
            for (let ky = 0; ky < kernelHeight; ky++) {
              for (let kx = 0; kx < kernelWidth; kx++) {
                const row = y * strideHeight + ky - top;
                const column = x * strideWidth + kx - left;
                if (row < 0 || row >= height || column < 0 || column >= width) continue;
                for (let c = 0; c < channels; c++) {
                  sum += map[(row * width + column) * channels + c] * filter[((ky * kernelWidth + kx) * channels + c) * filters + f];
                }
              }
            }
            convolved[(y * outWidth + x) * filters + f] = Math.max(sum, 0);
          }
        }
      }
      const pool = Math.max(layer.pool, 1);
      height = Math.floor(outHeight / pool);
      width = Math.floor(outWidth / pool);
      channels = filters;
      map = new Array<number>(height * width * channels).fill(-Infinity);
      for (let y = 0; y < height * pool; y++) {
        for (let x = 0; x < width * pool; x++) {
          for (let f = 0; f < filters; f++) {
            const target = (Math.floor(y / pool) * width + Math.floor(x / pool)) * filters + f;
            map[target] = Math.max(map[target], convolved[(y * outWidth + x) * filters + f]);
          }
        }
      }
    });
    let hidden = map;
    const dense = (name: string, relu: boolean) => {
      const { shape, values: matrix } = weights.get(`${name}.W`) as { shape: number[]; values: ArrayLike<number> };
      const bias = (weights.get(`${name}.b`) as { values: ArrayLike<number> }).values;
      const [inputs, outputs] = shape;
      hidden = Array.from({ length: outputs }, (_, j) => {
        let sum = bias[j];
        for (let i = 0; i < inputs; i++) sum += hidden[i] * matrix[i * outputs + j];
        return relu ? Math.max(sum, 0) : sum;
      });
    };
    config.denseSizes.forEach((_size, index) => dense(`dense${index}`, true));
    dense('output', false);
    logits.push(hidden);
  }
  return logits;
}

/** The mean negative log-likelihood of `labels` under the softmax of `logits`, in float64. */
function referenceLoss(logits: number[][], labels: ArrayLike<number>): number {
  let total = 0;
  logits.forEach((row, example) => {
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0));
    total += logSum - row[labels[example]];
  });
  return total / logits.length;
}

// A tiny network touching every code path: two input channels, stride 2 with 'same' padding,
// an asymmetric kernel with uneven 'same' padding, both bias kinds, max-pooling and a dense layer.
// Shapes: 7x7x2 -> conv 3x3 stride 2 same -> 4x4x3 -> conv [2, 3] same -> 4x4x4 -> pool 2 -> 2x2x4 = 16
// -> dense 5 -> 3 classes.
const TINY: ReluCnnOptions = {
  inputShape: [7, 7, 2],
  convolutions: [
    { filters: 3, kernelSize: 3, strides: 2, padding: 'same' },
    { filters: 4, kernelSize: [2, 3], padding: 'same', bias: 'per-position', pool: 2 },
  ],
  denseSizes: [5],
  numClasses: 3,
  seed: 4,
};
const TINY_COUNT = 4;
const TINY_LABELS = [0, 2, 1, 2];

/** The tiny network with nonzero biases, so that every bias matters. */
function tinyNetwork(): ReluCnn {
  const cnn = new ReluCnn(TINY);
  const random = new Random(11);
  const biases: Record<string, Float32Array> = {};
  for (const [name, variable] of cnn.variables) {
    if (name.endsWith('.bias') || name.endsWith('.b')) biases[name] = randomValues(variable.size, random, 0.2);
  }
  cnn.setWeights(biases);
  return cnn;
}

function tinyImages(): Float32Array {
  return randomValues(TINY_COUNT * 7 * 7 * 2, new Random(12));
}

describe('resolveReluCnnOptions', () => {
  it('defaults to the numpy notebook network without a preset', () => {
    expect(resolveReluCnnOptions({})).toEqual({
      preset: null,
      inputShape: [28, 28, 1],
      convolutions: [{ filters: 1, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', bias: 'per-position', pool: 0 }],
      denseSizes: [],
      numClasses: 10,
      seed: 0,
      dropout: 0,
    });
  });

  it('resolves the lenet preset to the Theano LeNet shapes', () => {
    expect(resolveReluCnnOptions({ preset: 'lenet' })).toEqual({
      preset: 'lenet',
      inputShape: [28, 28, 1],
      convolutions: [
        { filters: 20, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', bias: 'per-filter', pool: 2 },
        { filters: 50, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', bias: 'per-filter', pool: 2 },
      ],
      denseSizes: [500],
      numClasses: 10,
      seed: 0,
      dropout: 0,
    });
  });

  it('lets explicit fields override the preset', () => {
    const config = resolveReluCnnOptions({ preset: 'lenet', denseSizes: [100, 50], numClasses: 2 });
    expect(config.preset).toBe('lenet');
    expect(config.convolutions.map((layer) => layer.filters)).toEqual([20, 50]);
    expect(config.denseSizes).toEqual([100, 50]);
    expect(config.numClasses).toBe(2);
    const notebook = resolveReluCnnOptions({
      preset: 'notebook',
      convolutions: [{ filters: 8, kernelSize: [3, 2], strides: [2, 1], padding: 'same' }],
    });
    expect(notebook.convolutions).toEqual([
      { filters: 8, kernelSize: [3, 2], strides: [2, 1], padding: 'same', bias: 'per-filter', pool: 0 },
    ]);
    expect(notebook.denseSizes).toEqual([]);
  });

  it('accepts its own output and returns an equal configuration', () => {
    for (const options of [{}, { preset: 'lenet' as const }, TINY]) {
      const config = resolveReluCnnOptions(options);
      expect(resolveReluCnnOptions(JSON.parse(JSON.stringify(config)) as ReluCnnConfig)).toEqual(config);
    }
  });

  it('does not mutate the caller options', () => {
    const options = JSON.parse(JSON.stringify(TINY)) as ReluCnnOptions;
    const copy = JSON.parse(JSON.stringify(options)) as ReluCnnOptions;
    const config = resolveReluCnnOptions(options);
    config.convolutions[0].filters = 99;
    config.denseSizes.push(7);
    expect(options).toEqual(copy);
  });

  it.each<[string, ReluCnnOptions, RegExp]>([
    ['an unknown preset', { preset: 'alexnet' as never }, /^ReluCnn: preset must be one of 'notebook', 'lenet'; received "alexnet"\.$/],
    [
      'a two-number input shape',
      { inputShape: [28, 28] as never },
      /^ReluCnn: inputShape must be \[height, width, channels\], three whole numbers >= 1; received \[28, 28\]\.$/,
    ],
    ['a zero input width', { inputShape: [28, 0, 1] }, /^ReluCnn: inputShape\[1\] must be a whole number >= 1; received 0\.$/],
    ['no convolutions', { convolutions: [] }, /^ReluCnn: convolutions must be a non-empty array .*; received \[\]\.$/],
    [
      'a convolution that is not an object',
      { convolutions: [5 as never] },
      /^ReluCnn: convolutions\[0\] must be an object such as \{ filters: 20, kernelSize: 5 \}; received 5\.$/,
    ],
    [
      'zero filters in the second layer',
      {
        convolutions: [
          { filters: 2, kernelSize: 3 },
          { filters: 0, kernelSize: 3 },
        ],
      },
      /^ReluCnn: convolutions\[1\]\.filters must be a whole number >= 1; received 0\.$/,
    ],
    [
      'a missing kernel size',
      { convolutions: [{ filters: 2 } as never] },
      /^ReluCnn: convolutions\[0\]\.kernelSize must be a whole number >= 1 or a pair \[height, width\] of them; received undefined\.$/,
    ],
    [
      'a one-number kernel pair',
      { convolutions: [{ filters: 2, kernelSize: [3] as never }] },
      /convolutions\[0\]\.kernelSize must be a whole number >= 1 or a pair \[height, width\] of them; received \[3\]\./,
    ],
    [
      'a fractional stride',
      { convolutions: [{ filters: 2, kernelSize: 3, strides: [1, 1.5] }] },
      /^ReluCnn: convolutions\[0\]\.strides\[1\] must be a whole number >= 1; received 1\.5\.$/,
    ],
    [
      'an unknown padding',
      { convolutions: [{ filters: 2, kernelSize: 3, padding: 'full' as never }] },
      /^ReluCnn: convolutions\[0\]\.padding must be one of 'valid', 'same'; received "full"\.$/,
    ],
    [
      'an unknown bias',
      { convolutions: [{ filters: 2, kernelSize: 3, bias: 'shared' as never }] },
      /^ReluCnn: convolutions\[0\]\.bias must be one of 'per-filter', 'per-position'; received "shared"\.$/,
    ],
    [
      'a negative pool',
      { convolutions: [{ filters: 2, kernelSize: 3, pool: -2 }] },
      /^ReluCnn: convolutions\[0\]\.pool must be a whole number >= 0; received -2\.$/,
    ],
    [
      'a misspelt field',
      { convolutions: [{ filters: 2, kernelSize: 3, stride: 2 } as never] },
      /^ReluCnn: unknown option 'stride' in convolutions\[0\]\. Valid options: 'filters', 'kernelSize', 'strides', 'padding', 'bias', 'pool'\.$/,
    ],
    [
      'dense sizes that are not an array',
      { denseSizes: 500 as never },
      /^ReluCnn: denseSizes must be an array of layer sizes .*; received 500\.$/,
    ],
    ['a zero dense size', { denseSizes: [0] }, /^ReluCnn: denseSizes\[0\] must be a whole number >= 1; received 0\.$/],
    ['zero classes', { numClasses: 0 }, /^ReluCnn: numClasses must be a whole number >= 1; received 0\.$/],
    ['a NaN seed', { seed: Number.NaN }, /^ReluCnn: seed must be a finite number in \(-inf, \+inf\); received NaN\.$/],
    [
      'a kernel larger than its input',
      { preset: 'lenet', inputShape: [12, 12, 1] },
      /^ReluCnn: convolutions\[1\] cannot apply a 5 x 5 'valid' convolution to its 4 x 4 x 20 input: the feature map would shrink to nothing\. /,
    ],
    [
      'a pool larger than its feature map',
      { inputShape: [6, 6, 1], convolutions: [{ filters: 3, kernelSize: 3, pool: 5 }] },
      /^ReluCnn: convolutions\[0\]\.pool 5 is larger than that layer's 4 x 4 x 3 feature map, which would shrink to nothing\. /,
    ],
  ])('refuses %s with a clear error', (_case, options, message) => {
    expect(() => resolveReluCnnOptions(options)).toThrow(InvalidArgumentError);
    expect(() => new ReluCnn(options)).toThrow(message);
  });

  it('records the argument and the received value on the error', () => {
    let caught: unknown;
    try {
      resolveReluCnnOptions({
        convolutions: [
          { filters: 2, kernelSize: 3 },
          { filters: 2.5, kernelSize: 3 },
        ],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).argument).toBe('convolutions[1].filters');
    expect((caught as InvalidArgumentError).value).toBe(2.5);
  });
});

describe('ReluCnn construction', () => {
  it('builds the notebook network with 25 + 576 + 5770 = 6371 parameters', () => {
    const cnn = new ReluCnn();
    expect(cnn.className).toBe('ReluCnn');
    expect(cnn.inputLayout).toBe('image');
    expect(cnn.numClasses).toBe(10);
    expect(shapesOf(cnn)).toEqual({
      'conv0.filter': [5, 5, 1, 1],
      'conv0.bias': [24, 24, 1],
      'output.W': [576, 10],
      'output.b': [10],
    });
    expect(cnn.parameterCount()).toBe(6371);
    cnn.dispose();
  });

  it('builds lenet with 5*5*1*20+20 + 5*5*20*50+50 + 800*500+500 + 500*10+10 = 431080 parameters', () => {
    const cnn = new ReluCnn({ preset: 'lenet' });
    expect(shapesOf(cnn)).toEqual({
      'conv0.filter': [5, 5, 1, 20],
      'conv0.bias': [20],
      'conv1.filter': [5, 5, 20, 50],
      'conv1.bias': [50],
      'dense0.W': [800, 500],
      'dense0.b': [500],
      'output.W': [500, 10],
      'output.b': [10],
    });
    expect(cnn.parameterCount()).toBe(500 + 20 + 25000 + 50 + 400000 + 500 + 5000 + 10);
    expect(cnn.parameterCount()).toBe(431080);
    cnn.dispose();
  });

  it('rebuilds the same variables and initial weights from getConfig()', () => {
    const cnn = new ReluCnn(TINY);
    const rebuilt = new ReluCnn(cnn.getConfig());
    expect(rebuilt.getConfig()).toEqual(cnn.getConfig());
    expect(shapesOf(rebuilt)).toEqual(shapesOf(cnn));
    expect([...rebuilt.variables.keys()]).toEqual([
      'conv0.filter',
      'conv0.bias',
      'conv1.filter',
      'conv1.bias',
      'dense0.W',
      'dense0.b',
      'output.W',
      'output.b',
    ]);
    const original = cnn.getWeights();
    for (const [name, { values }] of rebuilt.getWeights()) expect(values).toEqual(original.get(name)?.values);
    cnn.dispose();
    rebuilt.dispose();
  });

  it('draws the weights in layer order from one stream seeded with deriveSeed(seed, 0), biases 0', () => {
    const cnn = new ReluCnn({ seed: 3 });
    const random = new Random(deriveSeed(3, 0));
    // ReLU layer: He bound sqrt(6 / (5 * 5 * 1)); output layer: Glorot bound sqrt(6 / (576 + 10)).
    expect(cnn.getVariable('conv0.filter').dataSync()).toEqual(uniformValues(25, Math.sqrt(6 / 25), random));
    expect(cnn.getVariable('output.W').dataSync()).toEqual(uniformValues(5760, Math.sqrt(6 / 586), random));
    expect(Array.from(cnn.getVariable('conv0.bias').dataSync()).every((value) => value === 0)).toBe(true);
    expect(Array.from(cnn.getVariable('output.b').dataSync()).every((value) => value === 0)).toBe(true);
    cnn.dispose();
  });

  it('uses He bounds with fanIn = kernel area x input channels for every ReLU layer', () => {
    const cnn = new ReluCnn({ preset: 'lenet', seed: 2 });
    const bounds: Record<string, number> = {
      'conv0.filter': Math.sqrt(6 / 25),
      'conv1.filter': Math.sqrt(6 / 500),
      'dense0.W': Math.sqrt(6 / 800),
      'output.W': Math.sqrt(6 / 510),
    };
    for (const [name, bound] of Object.entries(bounds)) {
      const values = cnn.getVariable(name).dataSync();
      let largest = 0;
      for (const value of values) largest = Math.max(largest, Math.abs(value));
      expect(largest, name).toBeLessThanOrEqual(bound);
      expect(largest, name).toBeGreaterThan(0.95 * bound);
    }
    cnn.dispose();
  });

  it('refuses to run once disposed', () => {
    const cnn = new ReluCnn();
    cnn.dispose();
    const x = tf.zeros([1, 28, 28, 1]);
    expect(() => cnn.logits(x)).toThrow(/ReluCnn\.logits: the model has been disposed/);
    expect(() => cnn.convolutionFilters()).toThrow(/ReluCnn\.convolutionFilters: the model has been disposed/);
    x.dispose();
  });
});

describeBackends(TEST_BACKENDS, 'ReluCnn', () => {
  it('computes the logits of a 3x3 image through a 2x2 filter with a bias per position by hand', () => {
    const cnn = new ReluCnn({ inputShape: [3, 3, 1], convolutions: [{ filters: 1, kernelSize: 2, bias: 'per-position' }], numClasses: 2 });
    // Filter [[1, -1], [0, 2]]; bias per position [[0.5, -9], [-2, 0.25]].
    // Output weights: one row per flattened position (0,0), (0,1), (1,0), (1,1).
    cnn.setWeights({
      'conv0.filter': Float32Array.of(1, -1, 0, 2),
      'conv0.bias': Float32Array.of(0.5, -9, -2, 0.25),
      'output.W': Float32Array.of(1, 0, 5, 5, 7, -7, -2, 4),
      'output.b': Float32Array.of(0.1, -0.2),
    });
    // Image 1 = [[1, 2, 0], [0, 1, 3], [2, 1, 1]]; the valid cross-correlation is
    //   (0,0): 1*1 + 2*-1 + 0*0 + 1*2 = 1      (0,1): 2*1 + 0*-1 + 1*0 + 3*2 = 8
    //   (1,0): 0*1 + 1*-1 + 2*0 + 1*2 = 1      (1,1): 1*1 + 3*-1 + 1*0 + 1*2 = 0
    // plus bias: [1.5, -1, -1, 0.25], ReLU: [1.5, 0, 0, 0.25],
    // logits: [1.5*1 + 0.25*-2 + 0.1, 1.5*0 + 0.25*4 - 0.2] = [1.1, 0.8].
    // Image 2 = zeros: ReLU(bias) = [0.5, 0, 0, 0.25], logits [0.5 - 0.5 + 0.1, 1 - 0.2] = [0.1, 0.8].
    const images = [1, 2, 0, 0, 1, 3, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const x = tf.tensor4d(images, [2, 3, 3, 1]);
    const flat = tf.tensor2d(images, [2, 9]);
    const logits = cnn.logits(x);
    const flatLogits = cnn.logits(flat);
    expect(logits.shape).toEqual([2, 2]);
    expectArraysClose(logits, [1.1, 0.8, 0.1, 0.8], 1e-6);
    expectArraysClose(flatLogits, [1.1, 0.8, 0.1, 0.8], 1e-6);
    // Loss against classes [0, 1]: mean of -log softmax([1.1, 0.8])[0] and -log softmax([0.1, 0.8])[1].
    const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const expectedLoss = (Math.log(1 + Math.exp(0.8 - 1.1)) + Math.log(1 + Math.exp(0.1 - 0.8))) / 2;
    const loss = cnn.loss(x, y);
    expectArraysClose(loss, [expectedLoss], 1e-6);
    tf.dispose([x, flat, y, logits, flatLogits, loss]);
    cnn.dispose();
  });

  it('matches a float64 loop implementation with stride, same padding, both biases, pooling and a dense layer', () => {
    const cnn = tinyNetwork();
    const images = tinyImages();
    const x = tf.tensor4d(images, [TINY_COUNT, 7, 7, 2]);
    const logits = cnn.logits(x);
    expect(logits.shape).toEqual([TINY_COUNT, 3]);
    const expected = referenceLogits(cnn.getConfig(), cnn.getWeights(), images, TINY_COUNT);
    expectArraysClose(logits, expected.flat(), 1e-5);
    tf.dispose([x, logits]);
    cnn.dispose();
  });

  it('has autodiff gradients equal to central finite differences of the loss for every parameter', () => {
    const cnn = tinyNetwork();
    const images = tinyImages();
    const config = cnn.getConfig();
    const x = tf.tensor4d(images, [TINY_COUNT, 7, 7, 2]);
    const y = tf.tensor2d(oneHot(TINY_LABELS, 3), [TINY_COUNT, 3]);
    const { loss, gradients } = cnn.lossAndGradients(x, y);
    // Finite differences of the float64 reference loss (checked against the model just above), so
    // that float32 rounding does not blur the differences; step 1e-6 is far from every ReLU kink.
    const weights: Weights = new Map(
      [...cnn.getWeights()].map(([name, { shape, values }]) => [name, { shape, values: Float64Array.from(values) }]),
    );
    const lossAt = () => referenceLoss(referenceLogits(config, weights, images, TINY_COUNT), TINY_LABELS);
    expectArraysClose(loss, [lossAt()], 1e-5);
    const step = 1e-6;
    for (const [name, { values }] of weights) {
      const differences = Array.from(values, (value, index) => {
        values[index] = value + step;
        const above = lossAt();
        values[index] = value - step;
        const below = lossAt();
        values[index] = value;
        return (above - below) / (2 * step);
      });
      // Guards against a vacuous check: every variable has gradients well above the tolerance.
      expect(Math.max(...differences.map(Math.abs)), name).toBeGreaterThan(1e-2);
      expectArraysClose(gradients[name], differences, 1e-5);
    }
    tf.dispose([x, y, loss, ...Object.values(gradients)]);
    cnn.dispose();
  });

  it('gives the first-layer kernels filter-major in a tensor the caller owns', () => {
    const cnn = new ReluCnn({ inputShape: [4, 4, 2], convolutions: [{ filters: 3, kernelSize: [2, 1] }], numClasses: 2 });
    // The filter variable is [kh=2, kw=1, in=2, filters=3]; value = 100 kh + 10 in + filter.
    const values = Float32Array.from(
      { length: 12 },
      (_, index) => 100 * Math.floor(index / 6) + 10 * (Math.floor(index / 3) % 2) + (index % 3),
    );
    cnn.setWeights({ 'conv0.filter': values });
    const filters = cnn.convolutionFilters();
    expect(filters.shape).toEqual([3, 2, 1, 2]);
    expectArraysClose(filters, [0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112], 0);
    filters.dispose();
    expectArraysClose(cnn.getVariable('conv0.filter'), values, 0);
    expect(() => cnn.convolutionFilters(1)).toThrow(
      /ReluCnn\.convolutionFilters: layer must be a whole number in \[0, 0\] \(this network has 1 convolution layer\); received 1\./,
    );
    cnn.dispose();
  });

  it('refuses input of the wrong shape, naming both accepted shapes', () => {
    const cnn = new ReluCnn();
    const x = tf.zeros([2, 27, 27, 1]);
    expect(() => cnn.logits(x)).toThrow(InvalidArgumentError);
    expect(() => cnn.logits(x)).toThrow(
      /^ReluCnn\.logits: x must be a float32 tensor of shape \[n, 28, 28, 1\] or \[n, 784\]; received a float32 tensor of shape \[2, 27, 27, 1\]\. Reshape/,
    );
    x.dispose();
    cnn.dispose();
  });

  it('learns bars and stripes with plain SGD and leaks no tensors', () => {
    const set = barsAndStripes({ size: 6, count: 64, seed: 1 });
    const x = tf.tensor4d(set.images, [set.count, 6, 6, 1]);
    const y = tf.tensor2d(oneHot(set.labels, 2), [set.count, 2]);
    const cnn = new ReluCnn({
      inputShape: [6, 6, 1],
      convolutions: [{ filters: 4, kernelSize: 3, padding: 'same', pool: 2 }],
      denseSizes: [8],
      numClasses: 2,
      seed: 1,
    });
    const losses: number[] = [];
    const tensorCounts: number[] = [];
    for (let step = 0; step < 40; step++) {
      const { loss, gradients } = cnn.lossAndGradients(x, y);
      tf.tidy(() => {
        for (const [name, variable] of cnn.variables) variable.assign(tf.sub(variable, tf.mul(gradients[name], 0.1)));
      });
      losses.push(loss.dataSync()[0]);
      tf.dispose([loss, ...Object.values(gradients)]);
      tensorCounts.push(tf.memory().numTensors);
    }
    // From above chance level (ln 2 = 0.693 for two classes) to well below half of it.
    expect(losses[0]).toBeGreaterThan(Math.LN2);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * Math.LN2);
    expect(losses[losses.length - 1]).toBeLessThan(0.3 * losses[0]);
    expect(new Set(tensorCounts).size).toBe(1);
    const accuracy = tf.tidy(
      () => tf.mean(tf.cast(tf.equal(cnn.predictClasses(x), tf.tensor1d(set.labels, 'int32')), 'float32')).dataSync()[0],
    );
    expect(accuracy).toBeGreaterThan(0.9);
    tf.dispose([x, y]);
    cnn.dispose();
  });
});
