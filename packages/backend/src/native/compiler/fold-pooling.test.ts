import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { foldPoolingGradients } from './fold-pooling';
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './ir';
import { describePrunedNodes, runGraph } from './ir-fixtures';
import { pruneGraph } from './prune';

const window = { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 0, 0] } };
const node = (opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs,
  ...(attributes === undefined ? {} : { attributes }),
});
const value = (name: string, shape: number[]): OnnxValueInfo => ({ name, type: 'float32', shape });

/**
 * A ReLU + 2x2 max pooling block's forward and backward pass as the kernels lower it: the forward
 * MaxPool, the gradient's MaxPool with indices, MaxUnpool, and tfjs's Step as `Ceil(Clip(z, 0, 1))`.
 */
const block = (high = 1): OnnxGraph => ({
  name: 'block',
  nodes: [
    node('Relu', ['z'], ['r']),
    node('MaxPool', ['r'], ['p'], window),
    node('MaxPool', ['r'], ['p2', 'i'], window),
    node('MaxUnpool', ['g', 'i', 'shape'], ['u'], window),
    node('Clip', ['z', 'zero', 'one'], ['c']),
    node('Ceil', ['c'], ['s']),
    node('Mul', ['u', 's'], ['dz']),
  ],
  initializers: [
    { name: 'shape', type: 'int64', shape: [4], values: BigInt64Array.of(1n, 1n, 4n, 4n) },
    { name: 'zero', type: 'float32', shape: [], values: Float32Array.of(0) },
    { name: 'one', type: 'float32', shape: [], values: Float32Array.of(high) },
  ],
  inputs: [value('z', [1, 1, 4, 4]), value('g', [1, 1, 2, 2])],
  outputs: [value('p', [1, 1, 2, 2]), value('dz', [1, 1, 4, 4])],
});

// Windows: a maximum 3 twice (the first, at (0, 1), takes g); ReLU zeros only (z < 0: no gradient);
// zeros and a negative (the first zero, z = 0, has step 0); a maximum 5 three times (the first, at (2, 2)).
const z = [1, 3, -1, -2, 3, 2, -3, -4, 0, 0, 5, 5, -1, 0, 5, 1];
const g = [2, 3, 4, 5];
const expectedDz = [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0];

async function run(graph: OnnxGraph): Promise<{ p: number[]; dz: number[] }> {
  const { p, dz } = await runGraph(graph, {
    z: new ort.Tensor('float32', Float32Array.from(z), [1, 1, 4, 4]),
    g: new ort.Tensor('float32', Float32Array.from(g), [1, 1, 2, 2]),
  });
  return { p: p!, dz: dz! };
}

describe('foldPoolingGradients', () => {
  it('takes the indices from the forward MaxPool and the ReLU derivative at the pooled size, with the same values', async () => {
    const folded = pruneGraph(foldPoolingGradients(block()));
    expect(describePrunedNodes(folded)).toEqual([
      'Relu(z)',
      'MaxPool(r)',
      'Clip(p, zero, one)',
      'Ceil(dz/clipped)',
      'Mul(g, dz/step)',
      'MaxUnpool(dz/pooled, i, shape)',
    ]);
    expect(folded.nodes[1]!.outputs).toEqual(['p', 'i']);
    const before = await run(block());
    const after = await run(folded);
    expect(before).toEqual({ p: [3, 0, 0, 5], dz: expectedDz });
    expect(after).toEqual({ p: [3, 0, 0, 5], dz: expectedDz });
  });

  it('keeps the ReLU derivative at full size where the step is not Ceil(Clip(z, 0, 1)) of the pooled ReLU input', () => {
    const unfolded = ['Relu(z)', 'MaxPool(r)', 'MaxUnpool(g, i, shape)', 'Clip(z, zero, one)', 'Ceil(c)', 'Mul(u, s)'];
    expect(describePrunedNodes(foldPoolingGradients(block(2)))).toEqual(unfolded);
    const otherInput = block();
    otherInput.nodes[4] = node('Clip', ['r', 'zero', 'one'], ['c']);
    expect(describePrunedNodes(foldPoolingGradients(otherInput))).toEqual([
      ...unfolded.slice(0, 3),
      'Clip(r, zero, one)',
      ...unfolded.slice(4),
    ]);
    // The unpooled gradient is read elsewhere too.
    const shared = block();
    shared.outputs.push(value('u', [1, 1, 4, 4]));
    expect(describePrunedNodes(foldPoolingGradients(shared))).toEqual(unfolded);
  });

  it('keeps both poolings where their windows differ', () => {
    const other = block();
    other.nodes[1] = node('MaxPool', ['r'], ['p'], { ...window, strides: { ints: [1, 1] } });
    other.outputs[0] = value('p', [1, 1, 3, 3]);
    expect(pruneGraph(foldPoolingGradients(other)).nodes.filter((each) => each.opType === 'MaxPool')).toHaveLength(2);
  });
});
