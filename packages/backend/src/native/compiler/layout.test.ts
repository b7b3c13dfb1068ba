import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runGraph } from './ir-fixtures';
import type { OnnxGraph, OnnxNode } from './ir';
import { composePermutations, optimizeLayout } from './layout';

const transpose = (input: string, output: string, perm: number[]): OnnxNode => ({
  opType: 'Transpose',
  inputs: [input],
  outputs: [output],
  attributes: { perm: { ints: perm } },
});
const unary = (opType: string, input: string, output: string): OnnxNode => ({ opType, inputs: [input], outputs: [output] });

/**
 * x (NCHW) to NHWC and straight back (an inverse pair), a ReLU, then to NHWC (read by Neg, and
 * as a matrix transpose since N is 1) and on by [0, 2, 1, 3] (a consecutive pair) into a Sigmoid.
 */
const graph: OnnxGraph = {
  name: 'layout',
  nodes: [
    transpose('x', 'a', [0, 2, 3, 1]),
    transpose('a', 'b', [0, 3, 1, 2]),
    unary('Relu', 'b', 'r'),
    transpose('r', 'c', [0, 2, 3, 1]),
    transpose('c', 'd', [0, 2, 1, 3]),
    unary('Sigmoid', 'd', 'y'),
    unary('Neg', 'c', 'z'),
  ],
  initializers: [],
  inputs: [{ name: 'x', type: 'float32', shape: [1, 3, 4, 5] }],
  outputs: [
    { name: 'y', type: 'float32', shape: [1, 5, 4, 3] },
    { name: 'z', type: 'float32', shape: [1, 4, 5, 3] },
  ],
};
const shapes = new Map<string, number[]>([
  ['x', [1, 3, 4, 5]],
  ['a', [1, 4, 5, 3]],
  ['b', [1, 3, 4, 5]],
  ['r', [1, 3, 4, 5]],
  ['c', [1, 4, 5, 3]],
  ['d', [1, 5, 4, 3]],
]);

const describeNodes = (nodes: readonly OnnxNode[]) =>
  nodes.map((node) => {
    const perm = node.attributes?.perm as { ints: number[] } | undefined;
    return `${node.opType}(${node.inputs.join(', ')})${perm === undefined ? '' : `[${perm.ints.join(',')}]`} -> ${node.outputs.join(', ')}`;
  });

const run = (model: OnnxGraph, x: Float32Array): Promise<Record<string, number[]>> =>
  runGraph(model, { x: new ort.Tensor('float32', x, [1, 3, 4, 5]) });

describe('composePermutations', () => {
  it('gives the one transpose equal to the first permutation then the second', () => {
    expect(composePermutations([0, 2, 3, 1], [0, 3, 1, 2])).toEqual([0, 1, 2, 3]);
    expect(composePermutations([0, 2, 3, 1], [0, 2, 1, 3])).toEqual([0, 3, 2, 1]);
    expect(composePermutations([1, 2, 0], [1, 2, 0])).toEqual([2, 0, 1]);
  });
});

describe('optimizeLayout', () => {
  it('cancels an inverse pair, folds a consecutive pair and writes a matrix transpose between Reshapes', () => {
    const optimized = optimizeLayout(graph, shapes);
    expect(describeNodes(optimized.nodes)).toEqual([
      'Relu(x) -> r',
      'Reshape(r, c/matrix-shape) -> c/matrix',
      'Transpose(c/matrix)[1,0] -> c/moved',
      'Reshape(c/moved, c/shape) -> c',
      'Transpose(r)[0,3,2,1] -> d',
      'Sigmoid(d) -> y',
      'Neg(c) -> z',
    ]);
    const values = (name: string) =>
      Array.from(optimized.initializers.find((tensor) => tensor.name === name)!.values as BigInt64Array, Number);
    expect(values('c/matrix-shape')).toEqual([3, 20]);
    expect(values('c/shape')).toEqual([1, 4, 5, 3]);
  });

  it('computes what the graph computed, through onnxruntime', async () => {
    const x = Float32Array.from({ length: 60 }, (_, index) => Math.sin(index + 1));
    const [before, after] = [await run(graph, x), await run(optimizeLayout(graph, shapes), x)];
    expect(after).toEqual(before);
    // And the known answer: z[0, h, w, c] = -relu(x[0, c, h, w]).
    expect(after.z![(2 * 5 + 3) * 3 + 1]).toBe(-Math.max(0, x[(1 * 4 + 2) * 5 + 3]!));
  });

  it('keeps a transpose pair that cancels on a graph output as an Identity', () => {
    const pair: OnnxGraph = {
      ...graph,
      nodes: [transpose('x', 'a', [0, 2, 3, 1]), transpose('a', 'y', [0, 3, 1, 2])],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 3, 4, 5] }],
    };
    expect(describeNodes(optimizeLayout(pair, shapes).nodes)).toEqual(['Identity(x) -> y']);
  });

  it('leaves a transpose whose input shape it does not know as it is', () => {
    const optimized = optimizeLayout(graph, new Map());
    expect(optimized.nodes.filter((node) => node.opType === 'Transpose').map((node) => node.inputs[0])).toEqual(['r', 'r']);
  });
});
