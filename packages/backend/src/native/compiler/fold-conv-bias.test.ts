import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { foldConvolutionBias } from './fold-conv-bias';
import { NCHWC_DOMAIN, type OnnxGraph } from './ir';
import { describeNodes, describePrunedNodes, floatValue as value, irNode as node, runGraph } from './ir-fixtures';
import { pruneGraph } from './prune';

/** tfjs's conv2d, add of a per-filter bias and relu as the kernels lower them: x [1, 2, 3, 3], W [2, 2, 2, 2], b [2]. */
const block = (biasShape = [2], target = [1n, 2n, 1n, 1n]): OnnxGraph => ({
  name: 'block',
  nodes: [node('Conv', ['x', 'W'], 'y'), node('Reshape', ['b', 'to'], 'bias'), node('Add', ['y', 'bias'], 'z'), node('Relu', ['z'], 'r')],
  initializers: [{ name: 'to', type: 'int64', shape: [4], values: BigInt64Array.from(target) }],
  inputs: [value('x', [1, 2, 3, 3]), value('W', [2, 2, 2, 2]), value('b', biasShape)],
  outputs: [value('r', [1, 2, 2, 2])],
});
const shapes = new Map([['y', [1, 2, 2, 2]]]);

const x = Float32Array.from({ length: 18 }, (_, index) => ((index * 5) % 7) - 3);
const W = Float32Array.from({ length: 16 }, (_, index) => ((index * 3) % 5) * 0.5 - 1);
const b = Float32Array.of(0.5, -4);

async function run(graph: OnnxGraph): Promise<number[]> {
  const results = await runGraph(graph, {
    x: new ort.Tensor('float32', x, [1, 2, 3, 3]),
    W: new ort.Tensor('float32', W, [2, 2, 2, 2]),
    b: new ort.Tensor('float32', b, [2]),
  });
  return results.r!;
}

describe('foldConvolutionBias', () => {
  it('makes Add(Conv(x, W), Reshape(b, [1, C, 1, 1])) one Conv with b as its bias, with the same values', async () => {
    const folded = foldConvolutionBias(block(), shapes);
    expect(describePrunedNodes(folded)).toEqual(['Conv(x, W, b)', 'Relu(z)']);
    // By hand: r[0, m, i, j] = relu(b[m] + sum_{c, kh, kw} x[0, c, i + kh, j + kw] W[m, c, kh, kw]).
    const expected = Array.from({ length: 8 }, (_, index) => {
      const [m, i, j] = [index >> 2, (index >> 1) & 1, index & 1];
      let sum = b[m]!;
      for (let c = 0; c < 2; c++)
        for (let kh = 0; kh < 2; kh++)
          for (let kw = 0; kw < 2; kw++) sum += x[c * 9 + (i + kh) * 3 + j + kw]! * W[m * 8 + c * 4 + kh * 2 + kw]!;
      return Math.max(0, sum);
    });
    expect(expected.some((each) => each === 0) && expected.some((each) => each > 0)).toBe(true);
    for (const values of [await run(block()), await run(folded)]) {
      for (const [index, each] of expected.entries()) expect(values[index]).toBeCloseTo(each, 5);
    }
  });

  it('leaves the Add where the bias is not one value per output channel or the product is read elsewhere', () => {
    const unfolded = ['Conv(x, W)', 'Reshape(b, to)', 'Add(y, bias)', 'Relu(z)'];
    // A bias per position, [1, 2, 2, 2].
    expect(describePrunedNodes(foldConvolutionBias(block([8], [1n, 2n, 2n, 2n]), shapes))).toEqual(unfolded);
    // One bias for every channel, [1] to [1, 1, 1, 1].
    expect(describePrunedNodes(foldConvolutionBias(block([1], [1n, 1n, 1n, 1n]), shapes))).toEqual(unfolded);
    const shared = block();
    shared.outputs.push(value('y', [1, 2, 2, 2]));
    expect(describePrunedNodes(foldConvolutionBias(shared, shapes))).toEqual(unfolded);
  });

  it('gives a blocked Conv (NCHWc) the bias and the ReLU after its ReorderOutput, and leaves them where the output is read elsewhere', () => {
    const blocked = (extraOutput?: string): OnnxGraph => ({
      ...block(),
      nodes: [
        { opType: 'Conv', inputs: ['x', 'W'], outputs: ['c'], domain: NCHWC_DOMAIN },
        { opType: 'ReorderOutput', inputs: ['c'], outputs: ['y'], attributes: { channels: { int: 2 } }, domain: NCHWC_DOMAIN },
        node('Reshape', ['b', 'to'], 'bias'),
        node('Add', ['bias', 'y'], 'z'),
        node('Relu', ['z'], 'r'),
      ],
      outputs: [value('r', [1, 2, 2, 2]), ...(extraOutput === undefined ? [] : [value(extraOutput, [1, 2, 2, 2])])],
    });
    const folded = pruneGraph(foldConvolutionBias(blocked(), shapes));
    expect(describeNodes(folded)).toEqual(['Conv(x, W, b)', 'ReorderOutput(c)']);
    expect(folded.nodes[0]!.attributes).toEqual({ activation: { string: 'Relu' } });
    expect(folded.nodes[1]!.outputs).toEqual(['r']);
    // The sum before the ReLU is an output too: the bias folds, the ReLU stays.
    expect(describePrunedNodes(foldConvolutionBias(blocked('z'), shapes))).toEqual(['Conv(x, W, b)', 'ReorderOutput(c)', 'Relu(z)']);
    // The convolution's own output is read elsewhere: nothing folds.
    expect(describePrunedNodes(foldConvolutionBias(blocked('y'), shapes))).toEqual([
      'Conv(x, W)',
      'ReorderOutput(c)',
      'Reshape(b, to)',
      'Add(bias, y)',
      'Relu(z)',
    ]);
  });
});
