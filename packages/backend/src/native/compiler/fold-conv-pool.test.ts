import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { foldConvolutionPooling } from './fold-conv-pool';
import type { OnnxGraph, OnnxTensor } from './ir';
import { describePrunedNodes, floatValue as value, irNode as node, runGraph } from './ir-fixtures';
import { pruneGraph } from './prune';

const window = { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 0, 0] } };
const int64 = (name: string, values: number[]): OnnxTensor => ({
  name,
  type: 'int64',
  shape: [values.length],
  values: BigInt64Array.from(values, BigInt),
});

/**
 * A first layer's block as the kernels lower it, for 2 images of 5 x 5 and 2 filters of 2 x 2:
 * Conv, the bias added, ReLU, a 2x2 MaxPool with indices (the forward's, merged), and the
 * gradient's MaxUnpool of g read by the bias gradient (a product with ones), the filter gradient
 * (a Conv of the images as 2 groups) and, where asked, as a graph output.
 */
const block = (unpooledOutput = false): OnnxGraph => ({
  name: 'block',
  nodes: [
    node('Conv', ['x', 'W'], 'y', { strides: { ints: [1, 1] }, dilations: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] } }),
    node('Reshape', ['b', 'bias-shape'], 'bias'),
    node('Add', ['y', 'bias'], 'z'),
    node('Relu', ['z'], 'r'),
    { opType: 'MaxPool', inputs: ['r'], outputs: ['p', 'i'], attributes: window },
    node('MaxUnpool', ['g', 'i', 'unpooled-shape'], 'u', window),
    node('Reshape', ['u', 'rows-shape'], 'rows'),
    node('MatMul', ['rows', 'ones'], 'per-image'),
    node('Reshape', ['x', 'images-shape'], 'images'),
    node('Reshape', ['u', 'kernels-shape'], 'kernels'),
    node('Conv', ['images', 'kernels'], 'dW', { group: { int: 2 }, dilations: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] } }),
  ],
  initializers: [
    int64('bias-shape', [1, 2, 1, 1]),
    int64('unpooled-shape', [2, 2, 4, 4]),
    int64('rows-shape', [4, 16]),
    { name: 'ones', type: 'float32', shape: [16, 1], values: new Float32Array(16).fill(1) },
    int64('images-shape', [1, 2, 5, 5]),
    int64('kernels-shape', [4, 1, 4, 4]),
  ],
  inputs: [value('x', [2, 1, 5, 5]), value('W', [2, 1, 2, 2]), value('b', [2]), value('g', [2, 2, 2, 2])],
  outputs: [
    value('p', [2, 2, 2, 2]),
    value('per-image', [4, 1]),
    value('dW', [1, 4, 2, 2]),
    ...(unpooledOutput ? [value('u', [2, 2, 4, 4])] : []),
  ],
});
const shapes = new Map([
  ['x', [2, 1, 5, 5]],
  ['W', [2, 1, 2, 2]],
  ['y', [2, 2, 4, 4]],
]);

// The first image's columns alternate 1, 2, 1...: the second filter (all 0.5) gives 3 everywhere, so
// every window ties and g must go to its first position (whose patch differs from the second's).
// The second image is blank but for one pixel: its windows hold the bias alone (ties again), and the
// first filter's outputs are negative in places (no gradient there).
const x = Float32Array.from({ length: 50 }, (_, index) => (index < 25 ? 1 + ((index % 5) % 2) : index === 37 ? 3 : 0));
const W = Float32Array.of(1, -1, -0.5, 2, 0.5, 0.5, 0.5, 0.5);
const b = Float32Array.of(0.25, 1);
const g = Float32Array.from({ length: 16 }, (_, index) => index + 1);

const run = (graph: OnnxGraph): Promise<Record<string, number[]>> =>
  runGraph(graph, {
    x: new ort.Tensor('float32', x, [2, 1, 5, 5]),
    W: new ort.Tensor('float32', W, [2, 1, 2, 2]),
    b: new ort.Tensor('float32', b, [2]),
    g: new ort.Tensor('float32', g, [2, 2, 2, 2]),
  });

describe('foldConvolutionPooling', () => {
  it('pools by window position with the original values: the forward, ties to the first maximum, the bias and filter gradients', async () => {
    const folded = pruneGraph(foldConvolutionPooling(block(), shapes));
    const ops = folded.nodes.map((each) => each.opType);
    expect(ops).not.toContain('MaxPool');
    expect(ops).not.toContain('MaxUnpool');
    expect(ops).not.toContain('Transpose');
    expect(folded.nodes.find((each) => each.opType === 'Conv' && each.attributes?.strides !== undefined)?.attributes?.strides).toEqual({
      ints: [2, 2],
    });
    const [before, after] = [await run(block()), await run(folded)];
    // Windows of the blank image tie: g goes to the first position only, so the filter gradient differs from a split one.
    expect(before.dW!.some((each) => each !== 0)).toBe(true);
    for (const name of ['p', 'per-image', 'dW']) {
      expect(after[name]!.length).toBe(before[name]!.length);
      for (const [index, each] of before[name]!.entries()) expect(after[name]![index]).toBeCloseTo(each, 5);
    }
  });

  it('lays the gradient out as the image again for a reader of another form', async () => {
    const folded = pruneGraph(foldConvolutionPooling(block(true), shapes));
    expect(folded.nodes.map((each) => each.opType)).toContain('Transpose');
    const [before, after] = [await run(block(true)), await run(folded)];
    expect(after.u).toEqual(before.u);
  });

  it('pools by SpaceToDepth where the convolution is not one of one channel, with the same values', async () => {
    // The ReLU read elsewhere: the convolution stays, its ReLU's output goes to SpaceToDepth.
    const read = block();
    read.outputs.push(value('r', [2, 2, 4, 4]));
    const folded = pruneGraph(foldConvolutionPooling(read, shapes));
    const ops = folded.nodes.map((each) => each.opType);
    expect(ops).toContain('SpaceToDepth');
    expect(ops.filter((op) => op === 'Conv')).toHaveLength(2);
    expect(ops).not.toContain('MaxPool');
    const [before, after] = [await run(read), await run(folded)];
    for (const name of ['p', 'per-image', 'dW', 'r']) {
      for (const [index, each] of before[name]!.entries()) expect(after[name]![index]).toBeCloseTo(each, 5);
    }
    // Several input channels: the same form.
    const channels = new Map([...shapes, ['x', [2, 3, 5, 5]]]);
    expect(pruneGraph(foldConvolutionPooling(block(), channels)).nodes.map((each) => each.opType)).toContain('SpaceToDepth');
  });

  it('leaves a pooling whose windows do not tile its input', () => {
    const overlapping = block();
    overlapping.nodes[4] = { ...overlapping.nodes[4]!, attributes: { ...window, strides: { ints: [1, 1] } } };
    expect(describePrunedNodes(foldConvolutionPooling(overlapping, shapes))).toEqual(describePrunedNodes(overlapping));
  });
});
