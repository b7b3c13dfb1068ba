import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../register';
import { Random } from '@sdae/core';
import { UnsupportedKernelError } from '../../../errors';
import * as ort from 'onnxruntime-node';
import { loadNativeEngine, type NativeEngine, type PrepareOptions, type StepFeed } from '../../runtime/native-engine';
import { nchwcBlock } from '../../runtime/nchwc-probe';
import { KERNEL_MAPPINGS, reducedTranspose } from './index';

type Inputs = Record<string, tf.Tensor>;

interface KernelCase {
  /** The kernels this case must run (each mapped kernel is covered by at least one case). */
  kernels: string[];
  /** Input shapes; values are drawn uniformly from [low, high). */
  inputs: Record<string, number[]>;
  low?: number;
  high?: number;
  step: (inputs: Inputs) => Record<string, tf.Tensor>;
}

const weights = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1)),
    shape,
  );

/** A convolution with bias, ReLU and max pooling, as the CNNs' layers are. */
const convBlock = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
  tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid'), bias)) as tf.Tensor4D, 2, 2, 'valid');
const convBlockLoss = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) =>
  tf.sum(tf.mul(convBlock(x, filter, bias), weights([2, 3, 3, 4])));
const CONV_BLOCK_INPUTS = { x: [2, 8, 8, 2], filter: [3, 3, 2, 4], bias: [4] };
const ROW_FORM_INPUTS = { x: [2, 9, 10, 1], filter: [3, 3, 1, 1] };

const CASES: Record<string, KernelCase> = {
  'matMul in every orientation and batched': {
    kernels: ['BatchMatMul'],
    inputs: { a: [3, 4], b: [4, 5], c: [5, 4], d: [2, 3, 4] },
    step: ({ a, b, c, d }) => ({
      plain: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      transposedB: tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D, false, true),
      transposedA: tf.matMul(b as tf.Tensor2D, b as tf.Tensor2D, true, false),
      both: tf.matMul(b as tf.Tensor2D, a as tf.Tensor2D, true, true),
      batched: tf.matMul(d as tf.Tensor3D, tf.reshape(tf.tile(b, [2, 1]), [2, 4, 5]) as tf.Tensor3D),
    }),
  },
  'conv2d valid and strided same, and its gradients': {
    kernels: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    inputs: { x: [2, 7, 7, 2], filter: [3, 3, 2, 3] },
    step: ({ x, filter }) => {
      const valid = (xs: tf.Tensor, f: tf.Tensor) => tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid');
      const strided = (xs: tf.Tensor, f: tf.Tensor) => tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, 2, 'same');
      const loss = (xs: tf.Tensor, f: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(valid(xs, f), weights([2, 5, 5, 3]))), tf.sum(tf.mul(strided(xs, f), weights([2, 4, 4, 3]))));
      const [dx, dFilter] = tf.grads(loss)([x!, filter!]);
      return { valid: valid(x!, filter!), strided: strided(x!, filter!), dx: dx!, dFilter: dFilter! };
    },
  },
  'conv2d of several channels into whole blocks of filters (the blocked form on the CPU), bias and ReLU, and gradients': {
    kernels: ['Conv2D', 'Add', 'Relu', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
    inputs: { x: [2, 7, 7, 3], filter: [3, 3, 3, 16], bias: [16], wide: [2, 6, 5, 16], wideFilter: [2, 3, 16, 16] },
    step: ({ x, filter, bias, wide, wideFilter }) => {
      // Fewer input channels than a block (the input stays NCHW), valid and strided 'same'; whole blocks (ReorderInput).
      const few = (xs: tf.Tensor, f: tf.Tensor) => tf.relu(tf.add(tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), bias!));
      const strided = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 2, 'same');
      const blocks = (xs: tf.Tensor) => tf.relu(tf.add(tf.conv2d(xs as tf.Tensor4D, wideFilter as tf.Tensor4D, 1, 'same'), bias!));
      const [dx, dFilter] = tf.grads((xs: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(few(xs, f), weights([2, 5, 5, 16]))))([x!, filter!]);
      const dWide = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(blocks(xs), weights([2, 6, 5, 16]))))(wide!);
      return { few: few(x!, filter!), strided, blocks: blocks(wide!), dx: dx!, dFilter: dFilter!, dWide };
    },
  },
  'conv2d gradients with one input channel and a stride that leaves rows unread': {
    kernels: ['Conv2D', 'Conv2DBackpropFilter'],
    inputs: { x: [2, 8, 8, 1], filter: [3, 3, 1, 2] },
    step: ({ x, filter }) => {
      const loss = (f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'), weights([2, 3, 3, 2])));
      return { dFilter: tf.grad(loss)(filter!) };
    },
  },
  'conv2d filter gradient of one input channel into several (the grouped form): valid, same, strided same': {
    kernels: ['Conv2D', 'Conv2DBackpropFilter'],
    inputs: { x: [3, 9, 8, 1], filter: [3, 2, 1, 4] },
    step: ({ x, filter }) => {
      const loss = (f: tf.Tensor) =>
        tf.addN([
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'), weights([3, 7, 7, 4]))),
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), weights([3, 9, 8, 4]))),
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [2, 3], 'same'), weights([3, 5, 3, 4]))),
        ]);
      return { dFilter: tf.grad(loss)(filter!) };
    },
  },
  'conv2d of one channel into one (the row form): valid, strided and padded, dilated, and its filter gradient': {
    kernels: ['Conv2D', 'Conv2DBackpropFilter'],
    inputs: ROW_FORM_INPUTS,
    step: ({ x, filter }) => {
      const valid = (f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid');
      const strided = (f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [2, 1], 'same');
      const loss = (f: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(valid(f), weights([2, 7, 8, 1]))), tf.sum(tf.mul(strided(f), weights([2, 5, 10, 1]))));
      const dilated = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid', 'NHWC', 2);
      const both = (f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'), weights([2, 5, 5, 1])));
      return {
        valid: valid(filter!),
        strided: strided(filter!),
        dilated,
        dFilter: tf.grad(loss)(filter!),
        dFilterStrided: tf.grad(both)(filter!),
      };
    },
  },
  'conv2d input gradients with a stride that leaves rows unread': {
    kernels: ['Conv2D', 'Conv2DBackpropInput'],
    inputs: { x: [2, 8, 7, 2], filter: [3, 2, 2, 3] },
    step: ({ x, filter }) => {
      // 8 rows: windows at 0, 2, 4 read rows 0-6 and row 7 gets no gradient; 7 columns, windows of 2 at 0, 2, 4 leave column 6.
      const loss = (xs: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, filter as tf.Tensor4D, 2, 'valid'), weights([2, 3, 3, 3])));
      return { dx: tf.grad(loss)(x!) };
    },
  },
  'a convolution block (bias, ReLU, pooling) and its gradients, run in NCHW': {
    kernels: ['Conv2D', 'Add', 'Relu', 'MaxPool', 'MaxPoolGrad', 'Step', 'Multiply', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Sum'],
    inputs: CONV_BLOCK_INPUTS,
    step: ({ x, filter, bias }) => {
      const [dx, dFilter, dBias] = tf.grads(convBlockLoss)([x!, filter!, bias!]);
      return { block: convBlock(x!, filter!, bias!), dx: dx!, dFilter: dFilter!, dBias: dBias! };
    },
  },
  'a convolution block of one input channel (the pooled form), with tied maxima, and its gradients': {
    kernels: ['Conv2D', 'Add', 'Relu', 'MaxPool', 'MaxPoolGrad', 'Step', 'Multiply', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Sum'],
    inputs: { x: [2, 8, 10, 1], filter: [3, 3, 1, 4], bias: [4] },
    step: ({ x, filter, bias }) => {
      // Images blank in their left half: windows there hold the bias four times (tied maxima).
      const blankLeft = tf.tensor4d(
        Array.from({ length: 10 }, (_, column) => (column < 5 ? 0 : 1)),
        [1, 1, 10, 1],
      );
      const images = tf.mul(tf.relu(tf.sub(tf.round(tf.mul(x!, 3)), 1.5)), blankLeft);
      const positive = tf.add(tf.abs(bias!), 0.25);
      const loss = (xs: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(convBlock(xs, f, b), weights([2, 3, 4, 4])));
      const [dFilter, dBias] = tf.grads((f: tf.Tensor, b: tf.Tensor) => loss(images, f, b))([filter!, positive]);
      // With the input's gradient too, the unpooled gradient is laid out as the image again.
      const [dx, dFilterToo] = tf.grads((xs: tf.Tensor, f: tf.Tensor) => loss(xs, f, positive))([images, filter!]);
      return { block: convBlock(images, filter!, positive), dFilter: dFilter!, dBias: dBias!, dx: dx!, dFilterToo: dFilterToo! };
    },
  },
  'max pooling and its gradient': {
    kernels: ['MaxPool', 'MaxPoolGrad'],
    inputs: { x: [2, 6, 6, 3] },
    step: ({ x }) => {
      const pooled = (xs: tf.Tensor) => tf.maxPool(xs as tf.Tensor4D, 2, 2, 'valid');
      const overlapping = (xs: tf.Tensor) => tf.maxPool(xs as tf.Tensor4D, 3, 1, 'same');
      const dx = tf.grad((xs: tf.Tensor) =>
        tf.add(tf.sum(tf.mul(pooled(xs), weights([2, 3, 3, 3]))), tf.sum(tf.mul(overlapping(xs), weights([2, 6, 6, 3])))),
      )(x!);
      // Ties (every window of a rounded input has several maxima): dy goes to the first of each.
      const tied = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(pooled(xs), weights([2, 3, 3, 3]))))(tf.round(tf.mul(x!, 0.5)));
      // Windows apart (stride 3 > 2) and padded ones at the edge of an odd size ('same' on 5 x 5).
      const apart = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xs as tf.Tensor4D, 2, 3, 'valid'), weights([2, 2, 2, 3]))))(x!);
      const odd = tf.slice(x!, [0, 0, 0, 0], [2, 5, 5, 3]);
      const padded = tf.grad((xs: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xs as tf.Tensor4D, 2, 2, 'same'), weights([2, 3, 3, 3]))))(odd);
      return { pooled: pooled(x!), overlapping: overlapping(x!), dx, tied, apart, padded };
    },
  },
  'arithmetic with broadcasting': {
    kernels: ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'AddN'],
    inputs: { a: [3, 4], b: [4], c: [3, 1] },
    low: 0.5,
    high: 2,
    step: ({ a, b, c }) => ({
      add: tf.add(a!, b!),
      sub: tf.sub(a!, c!),
      mul: tf.mul(a!, 3),
      div: tf.div(b!, a!),
      max: tf.maximum(a!, c!),
      min: tf.minimum(a!, b!),
      pow: tf.pow(a!, c!),
      squaredDifference: tf.squaredDifference(a!, b!),
      addN: tf.addN([a!, a!, tf.mul(a!, 2)]),
    }),
  },
  'comparisons, logic and select': {
    kernels: [
      'Greater',
      'GreaterEqual',
      'Less',
      'LessEqual',
      'Equal',
      'NotEqual',
      'LogicalAnd',
      'LogicalOr',
      'LogicalNot',
      'Select',
      'Cast',
      'Round',
    ],
    inputs: { a: [4, 3], b: [4, 3] },
    step: ({ a, b }) => {
      const rounded = tf.round(tf.mul(a!, 3));
      const other = tf.round(tf.mul(b!, 3));
      return {
        greater: tf.greater(a!, b!),
        greaterEqual: tf.greaterEqual(rounded, other),
        less: tf.less(a!, b!),
        lessEqual: tf.lessEqual(rounded, other),
        equal: tf.cast(tf.equal(rounded, other), 'int32'),
        notEqual: tf.notEqual(rounded, other),
        and: tf.logicalAnd(tf.greater(a!, 0.5), tf.greater(b!, 0.5)),
        or: tf.logicalOr(tf.greater(a!, 0.5), tf.greater(b!, 0.5)),
        not: tf.logicalNot(tf.greater(a!, 0.5)),
        where: tf.where(tf.greater(a!, b!), a!, tf.neg(b!)),
        cast: tf.cast(tf.greater(a!, b!), 'float32'),
      };
    },
  },
  'activations and unary functions': {
    kernels: [
      'Sigmoid',
      'Relu',
      'Tanh',
      'Softplus',
      'Exp',
      'Log',
      'Sqrt',
      'Rsqrt',
      'Reciprocal',
      'Neg',
      'Abs',
      'Sign',
      'Floor',
      'Ceil',
      'Square',
      'Log1p',
      'Elu',
      'Step',
      'LeakyRelu',
      'ClipByValue',
      'Identity',
    ],
    inputs: { x: [5, 4], positive: [5, 4] },
    low: -3,
    high: 3,
    step: ({ x, positive }) => {
      const p = tf.add(tf.abs(positive!), 0.1);
      return {
        sigmoid: tf.sigmoid(x!),
        relu: tf.relu(x!),
        tanh: tf.tanh(x!),
        softplus: tf.softplus(x!),
        exp: tf.exp(x!),
        log: tf.log(p),
        sqrt: tf.sqrt(p),
        rsqrt: tf.rsqrt(p),
        reciprocal: tf.reciprocal(p),
        neg: tf.neg(x!),
        sign: tf.sign(x!),
        floor: tf.floor(x!),
        ceil: tf.ceil(x!),
        square: tf.square(x!),
        log1p: tf.log1p(p),
        elu: tf.elu(x!),
        step: tf.step(x!),
        leakyRelu: tf.leakyRelu(x!, 0.1),
        clip: tf.clipByValue(x!, -1, 1.5),
        identity: tf.clone(tf.mul(x!, 2)),
      };
    },
  },
  'step at its edges': {
    kernels: ['Step'],
    inputs: { x: [8] },
    step: ({ x }) => {
      // NaN stays NaN; zero, a negative denormal and -Infinity give alpha; a positive denormal 1.
      const edges = tf.add(tf.mul(x!, 0), tf.tensor1d([Number.NaN, 0, 1e-45, -1e-45, Infinity, -Infinity, 0.3, -0.3]));
      return { step: tf.step(edges), leaky: tf.step(edges, 0.2) };
    },
  },
  'softplus of saturated and extreme units': {
    kernels: ['Softplus'],
    inputs: { x: [12] },
    step: ({ x }) => {
      // Where e^x overflows or underflows float32, and where 1 + e^-|x| rounds to 1; NaN stays NaN.
      const edges = tf.add(tf.mul(x!, 0), tf.tensor1d([-1e4, -100, -30, -17, -1e-3, 0, 1e-3, 17, 30, 100, 1e4, Number.NaN]));
      return { softplus: tf.softplus(edges), infinite: tf.softplus(tf.mul(tf.sign(x!), Infinity)) };
    },
  },
  'reductions and softmax': {
    kernels: ['Sum', 'Max', 'Min', 'Mean', 'Prod', 'ArgMax', 'Softmax'],
    inputs: { x: [4, 5] },
    low: 0.5,
    high: 1.5,
    step: ({ x }) => ({
      sum: tf.sum(x!),
      sum0: tf.sum(x!, 0),
      sum1: tf.sum(x!, 1, true),
      sumLeading: tf.sum(tf.reshape(x!, [2, 2, 5]), [0, 1], true),
      sumBool: tf.sum(tf.greater(x!, 1), 1),
      max: tf.max(x!, 1),
      min: tf.min(x!, 0, true),
      mean: tf.mean(x!, -1),
      prod: tf.prod(x!, 1),
      argMax: tf.argMax(x!, 1),
      softmax: tf.softmax(x!),
      logSoftmax: tf.logSoftmax(x!),
    }),
  },
  shapes: {
    kernels: ['Reshape', 'ExpandDims', 'Transpose', 'Concat', 'Tile', 'Slice', 'OneHot', 'Fill', 'ZerosLike', 'OnesLike'],
    inputs: { x: [2, 3, 4], y: [2, 1, 4] },
    step: ({ x, y }) => ({
      reshape: tf.reshape(x!, [6, 4]),
      expand: tf.mul(tf.expandDims(tf.sum(x!, 0), 0), 2),
      squeeze: tf.mul(tf.squeeze(y!, [1]), 2),
      transpose: tf.transpose(x!, [2, 0, 1]),
      // Reduced to a [2, 4] transpose (the axis of extent 1 dropped), and to a Reshape.
      transposeUnitAxis: tf.transpose(y!, [2, 1, 0]),
      transposeNothingMoves: tf.transpose(y!, [1, 0, 2]),
      // Axes 1 and 2 stay neighbours: a [2, 12] transpose.
      transposeMerged: tf.transpose(x!, [1, 2, 0]),
      concat: tf.concat([x!, y!], 1),
      tile: tf.tile(y!, [1, 3, 1]),
      broadcast: tf.broadcastTo(y!, [2, 3, 4]),
      slice: tf.slice(x!, [0, 1, 1], [2, 2, -1]),
      oneHot: tf.oneHot(tf.tensor1d([0, 3, 2], 'int32'), 4),
      fill: tf.add(tf.fill([2, 3, 4], 0.5), x!),
      zeros: tf.add(tf.zerosLike(x!), 1),
      ones: tf.mul(tf.onesLike(x!), x!),
    }),
  },
};

function feedsFor(testCase: KernelCase, seed: number): Record<string, StepFeed> {
  const random = new Random(seed);
  const { low = -1, high = 1 } = testCase;
  return Object.fromEntries(
    Object.entries(testCase.inputs).map(([name, shape]) => [
      name,
      { shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * random.next()) },
    ]),
  );
}

/** Runs a case's step natively and compares every output with tfjs's cpu backend. */
async function expectCaseMatches(native: NativeEngine, title: string, testCase: KernelCase, options: PrepareOptions = {}): Promise<void> {
  const feeds = feedsFor(testCase, title.length);
  const expected = tf.tidy(() => {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, tf.tensor(feed.values, [...feed.shape])]));
    return Object.fromEntries(
      Object.entries(testCase.step(inputs)).map(([name, tensor]) => [name, { shape: tensor.shape, values: tensor.dataSync() }]),
    );
  });
  const step = native.prepare({ name: title, state: new Map(), step: testCase.step }, options);
  try {
    const actual = await step.run(feeds);
    const [traced] = await step.graphs();
    expect(
      testCase.kernels.filter((kernel) => !traced!.kernels.includes(kernel)),
      'kernels that did not run',
    ).toEqual([]);
    for (const [name, { shape, values }] of Object.entries(expected)) {
      expect(traced!.outputs.get(name)!.shape, name).toEqual(shape);
      const got = Array.from(actual[name]!, Number);
      const want = Array.from(values as ArrayLike<number>, Number);
      expect(got.length, name).toBe(want.length);
      got.forEach((value, index) =>
        Number.isNaN(want[index])
          ? expect(value, `${name}[${index}]`).toBeNaN()
          : expect(value, `${name}[${index}]`).toBeCloseTo(want[index]!, 4),
      );
    }
  } finally {
    await step.dispose();
  }
}

let engine: NativeEngine;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const status = await loadNativeEngine({ threads: 1 });
  if (!status.ok) throw new Error(`the native engine must load for these tests: ${status.reason}`);
  engine = status.engine;
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('KERNEL_MAPPINGS', () => {
  it('has a test case for every mapped kernel', () => {
    const covered = new Set(Object.values(CASES).flatMap((testCase) => testCase.kernels));
    expect(Object.keys(KERNEL_MAPPINGS).filter((kernel) => !covered.has(kernel))).toEqual([]);
  });

  for (const [title, testCase] of Object.entries(CASES)) {
    it(`computes ${title} as tfjs's cpu backend does`, () => expectCaseMatches(engine, title, testCase));
  }

  it("computes max pooling's gradient without MaxPool's Indices output as tfjs's cpu backend does (ties, overlap, padding)", () =>
    expectCaseMatches(engine, 'max pooling and its gradient', CASES['max pooling and its gradient']!, { maxPoolGradient: 'compare' }));

  for (const title of [
    'conv2d valid and strided same, and its gradients',
    'conv2d input gradients with a stride that leaves rows unread',
  ]) {
    it(`computes ${title} as tfjs's cpu backend does, with the input gradient as a ConvTranspose (GPU providers)`, () =>
      expectCaseMatches(engine, title, CASES[title]!, { convolutionInputGradient: 'transposed' }));
  }

  it('keeps a convolution block in NCHW and pools it by window position: no activation goes to NHWC and back', async () => {
    // A training step's part of the block: the weights' gradients (no NHWC output is asked for).
    const gradients = ({ x, filter, bias }: Inputs) => {
      const [dFilter, dBias] = tf.grads((f: tf.Tensor, b: tf.Tensor) => convBlockLoss(x!, f, b))([filter!, bias!]);
      return { dFilter: dFilter!, dBias: dBias! };
    };
    const step = engine.prepare({ name: 'layout', state: new Map(), step: gradients });
    try {
      await step.run(feedsFor({ kernels: [], inputs: CONV_BLOCK_INPUTS, step: gradients }, 1));
      const [traced] = await step.graphs();
      const { nodes } = traced!.graph;
      const producers = new Map(nodes.flatMap((node) => node.outputs.map((output) => [output, node.opType] as const)));
      const transposed = nodes
        .filter((node) => node.opType === 'Transpose')
        .map((node) => producers.get(node.inputs[0]!))
        .filter((producer) => ['Conv', 'ConvTranspose', 'MaxPool', 'MaxUnpool', 'Relu', 'Add', 'Ceil'].includes(producer!));
      expect(transposed, 'transposes of activations').toEqual([]);
      // The pooling by window position (foldConvolutionPooling): SpaceToDepth of the ReLU's NCHW output,
      // the maximum of its blocks, no MaxPool with indices and no MaxUnpool; ReLU's derivative times
      // dy at the pooled size (foldPoolingGradients), the step of the pooled value.
      const nodeOf = new Map(nodes.flatMap((node) => node.outputs.map((output) => [output, node] as const)));
      expect(nodes.filter((node) => node.opType === 'MaxPool' || node.opType === 'MaxUnpool')).toEqual([]);
      const spaceToDepth = nodes.find((node) => node.opType === 'SpaceToDepth');
      expect(nodeOf.get(spaceToDepth!.inputs[0]!)?.opType).toBe('Relu');
      const maximum = nodes.find((node) => node.opType === 'Max');
      expect(maximum!.inputs.map((input) => nodeOf.get(input)?.opType)).toEqual(['Split', 'Split', 'Split', 'Split']);
      const clip = nodes.find((node) => node.opType === 'Clip');
      expect(clip!.inputs[0]).toBe(maximum!.outputs[0]);
      const ceil = nodes.find((node) => node.opType === 'Ceil' && node.inputs[0] === clip!.outputs[0]);
      expect(nodes.some((node) => node.opType === 'Mul' && node.inputs.includes(ceil!.outputs[0]!))).toBe(true);
    } finally {
      await step.dispose();
    }
  });

  it('writes a convolution of several channels with the blocked (NCHWc) kernels where the probe finds their block', async () => {
    const block = await nchwcBlock(ort);
    // AVX-512 machines (these) have blocks of 16, AVX2 ones 8; elsewhere there may be none.
    if (process.arch === 'x64') expect([16, 8]).toContain(block);
    const convolve = ({ x, filter }: Inputs) => ({ y: tf.relu(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid')) });
    const domains = async (options: PrepareOptions) => {
      const step = engine.prepare({ name: 'blocked', state: new Map(), step: convolve }, options);
      try {
        await step.run(feedsFor({ kernels: [], inputs: { x: [2, 6, 6, 3], filter: [3, 3, 3, 16] }, step: convolve }, 1));
        const [traced] = await step.graphs();
        return traced!.graph.nodes.filter((node) => node.opType === 'Conv').map((node) => node.domain ?? '');
      } finally {
        await step.dispose();
      }
    };
    expect(await domains({})).toEqual([block === undefined ? '' : 'com.microsoft.nchwc']);
    expect(await domains({ blockedConvolutions: false })).toEqual(['']);
  });

  it('pools a one-channel convolution block by window position: no MaxPool, no image-sized gradient', async () => {
    const inputs = { x: [2, 8, 10, 1], filter: [3, 3, 1, 4], bias: [4] };
    const gradients = ({ x, filter, bias }: Inputs) => {
      const [dFilter, dBias] = tf.grads((f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(convBlock(x!, f, b), weights([2, 3, 4, 4]))))([
        filter!,
        bias!,
      ]);
      return { dFilter: dFilter!, dBias: dBias! };
    };
    const step = engine.prepare({ name: 'pooled form', state: new Map(), step: gradients });
    try {
      await step.run(feedsFor({ kernels: [], inputs, step: gradients }, 1));
      const [traced] = await step.graphs();
      const { nodes } = traced!.graph;
      const attribute = (node: (typeof nodes)[number], name: string) => JSON.stringify(node.attributes?.[name]);
      expect(nodes.filter((node) => ['MaxPool', 'MaxUnpool', 'Gather'].includes(node.opType)).map((node) => node.opType)).toEqual([]);
      // The gradient by window position is never laid out as the image again (a Transpose of 6 axes).
      expect(nodes.filter((node) => node.opType === 'Transpose' && attribute(node, 'perm')!.split(',').length === 6)).toEqual([]);
      const convs = nodes.filter((node) => node.opType === 'Conv');
      // The forward Conv by window position (stride 2, 4 positions x 4 filters) and the filter gradient's (2 images as groups, dilated by 2).
      expect(convs.map((node) => [attribute(node, 'strides'), attribute(node, 'group'), attribute(node, 'dilations')])).toEqual([
        [JSON.stringify({ ints: [2, 2] }), undefined, undefined],
        [undefined, JSON.stringify({ int: 2 }), JSON.stringify({ ints: [2, 2] })],
      ]);
    } finally {
      await step.dispose();
    }
  });

  it('runs a one-channel convolution on a narrow image as products over its rows, and a wide one as Conv', async () => {
    const opTypes = async (width: number) => {
      const step = engine.prepare({
        name: `row form ${width}`,
        state: new Map(),
        step: ({ x, filter }) => {
          const loss = (f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')));
          return { dFilter: tf.grad(loss)(filter!) };
        },
      });
      try {
        await step.run(feedsFor({ kernels: [], inputs: { x: [2, 9, width, 1], filter: [3, 3, 1, 1] }, step: () => ({}) }, 1));
        const [traced] = await step.graphs();
        return traced!.graph.nodes.map((node) => node.opType);
      } finally {
        await step.dispose();
      }
    };
    const narrow = await opTypes(10);
    expect(narrow).not.toContain('Conv');
    // The forward product and the filter gradient read one table of rows.
    expect(narrow.filter((op) => op === 'MatMul' || op === 'Gemm')).toHaveLength(2);
    expect(narrow.filter((op) => op === 'Gather')).toHaveLength(3);
    expect(await opTypes(30)).toContain('Conv');
  });

  it('names a kernel it cannot express', async () => {
    const step = engine.prepare({ name: 'cumsum', state: new Map(), step: ({ x }) => ({ y: tf.cumsum(x!) }) });
    const run = step.run({ x: { shape: [3], values: Float32Array.of(1, 2, 3) } });
    await expect(run).rejects.toBeInstanceOf(UnsupportedKernelError);
    await expect(run).rejects.toThrow(/Cumsum/);
    await step.dispose();
  });

  it('names a state of a dtype it does not carry (UnsupportedKernelError, so the loops fall back to tfjs)', async () => {
    const counter = tf.variable(tf.scalar(0, 'int32'), false, undefined, 'int32');
    const step = engine.prepare({ name: 'count', state: new Map([['counter', counter]]), step: ({ x }) => ({ y: tf.neg(x!) }) });
    const run = step.run({ x: { shape: [3], values: Float32Array.of(1, 2, 3) } });
    await expect(run).rejects.toSatisfy((error) => UnsupportedKernelError.isInstance(error));
    await expect(run).rejects.toThrow(/the state counter of dtype int32/);
    await step.dispose();
    counter.dispose();
  });
});

describe('reducedTranspose', () => {
  it('drops axes of extent 1 and merges axes that stay neighbours', () => {
    // A batch of one-channel images moved to the end: a 2-D transpose of [N, H W].
    expect(reducedTranspose([100, 28, 28, 1], [3, 1, 2, 0])).toEqual({ shape: [100, 784], perm: [1, 0] });
    // NHWC to NCHW: [N, H W, C] to [N, C, H W].
    expect(reducedTranspose([100, 24, 24, 8], [0, 3, 1, 2])).toEqual({ shape: [100, 576, 8], perm: [0, 2, 1] });
    // Neighbours across a dropped axis merge too.
    expect(reducedTranspose([5, 1, 6, 7], [3, 0, 1, 2])).toEqual({ shape: [30, 7], perm: [1, 0] });
    // Nothing moves: the identity (a Reshape).
    expect(reducedTranspose([3, 1, 4], [1, 0, 2])).toEqual({ shape: [12], perm: [0] });
    // Nothing to reduce.
    expect(reducedTranspose([2, 3, 4], [2, 0, 1])).toEqual({ shape: [6, 4], perm: [1, 0] });
    expect(reducedTranspose([2, 3, 4], [1, 0, 2])).toEqual({ shape: [2, 3, 4], perm: [1, 0, 2] });
  });
});

describe('loadNativeEngine', () => {
  it('refuses an unknown option, naming the valid ones', async () => {
    await expect(loadNativeEngine({ thread: 2 } as never)).rejects.toThrow(/loadNativeEngine: .*thread.*threads/);
  });
});

describe('NativeStep', () => {
  it('keeps the state natively across steps and matches three SGD steps on tfjs', async () => {
    const initialW = weights([6, 4]);
    const W = tf.variable(initialW.clone());
    const b = tf.variable(tf.zeros([4]));
    const sgd = ({ x }: Inputs) => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(tf.square(tf.sigmoid(tf.add(tf.matMul(x as tf.Tensor2D, W), b)))) as tf.Scalar,
        [W, b],
      );
      W.assign(tf.sub(W, tf.mul(grads[W.name]!, 0.5)));
      b.assign(tf.sub(b, tf.mul(grads[b.name]!, 0.5)));
      return { loss: value };
    };
    const batches = [0, 1, 2].map((seed) => feedsFor({ kernels: [], inputs: { x: [3, 6] }, step: sgd }, seed));
    const expectedLosses = batches.map((feeds) => tf.tidy(() => sgd({ x: tf.tensor(feeds.x!.values, [3, 6]) }).loss!.dataSync()[0]!));
    const expectedW = W.dataSync().slice();
    W.assign(initialW);
    b.assign(tf.zeros([4]));
    const step = engine.prepare({
      name: 'sgd',
      state: new Map([
        ['W', W],
        ['b', b],
      ]),
      step: sgd,
    });
    try {
      const losses: number[] = [];
      for (const feeds of batches) losses.push((await step.run(feeds)).loss![0]!);
      losses.forEach((loss, index) => expect(loss).toBeCloseTo(expectedLosses[index]!, 5));
      // The variables are written only when synced.
      expect(Array.from(W.dataSync())).toEqual(Array.from(initialW.dataSync()));
      step.syncToVariables();
      Array.from(W.dataSync()).forEach((value, index) => expect(value).toBeCloseTo(expectedW[index]!, 5));
    } finally {
      await step.dispose();
      tf.dispose([W, b, initialW]);
    }
  });

  it('runs several steps as one graph with the results of running them one by one', async () => {
    const initialW = weights([6, 4]);
    const W = tf.variable(initialW.clone());
    const sgd = ({ x, rate }: Inputs) => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sigmoid(tf.matMul(x as tf.Tensor2D, W)))) as tf.Scalar, [W]);
      W.assign(tf.sub(W, tf.mul(grads[W.name]!, rate!)));
      return { loss: value, doubled: tf.mul(value, 2) };
    };
    const batches = [0, 1, 2, 3, 4].map((seed) => ({
      ...feedsFor({ kernels: [], inputs: { x: [3, 6] }, step: sgd }, seed),
      rate: { values: Float32Array.of(0.5 + seed / 10), shape: [] },
    }));
    const step = engine.prepare({ name: 'sgd', state: new Map([['W', W]]), step: sgd });
    try {
      const single: number[][] = [];
      for (const feeds of batches) single.push(Array.from((await step.run(feeds)).doubled!));
      step.syncToVariables();
      const singleW = Array.from(W.dataSync());
      W.assign(initialW);
      step.reloadFromVariables();
      const grouped = [...(await step.runSteps(batches.slice(0, 3))), ...(await step.runSteps(batches.slice(3)))];
      expect(grouped.map((outputs) => Array.from(outputs.doubled!))).toEqual(single);
      step.syncToVariables();
      expect(Array.from(W.dataSync())).toEqual(singleW);
      expect((await step.graphs()).map((graph) => graph.outputs.size)).toEqual([2, 6, 4]);
    } finally {
      await step.dispose();
      tf.dispose([W, initialW]);
    }
  });
});
