import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { foldBiasesIntoProducts } from './fold-biases';
import { describePrunedNodes, floatValue as input, irNode as node, runGraph } from './ir-fixtures';
import type { OnnxGraph } from './ir';
import { pruneGraph } from './prune';

/** `Sigmoid(A Bᵀ + c)`, a dense layer as tfjs records it: A [3, 4], B [5, 4], c of `biasShape`. */
const layer = (biasShape: number[] = [5], extra: Partial<OnnxGraph> = {}): OnnxGraph => ({
  name: 'layer',
  nodes: [
    node('Gemm', ['A', 'B'], 'G', { transA: { int: 0 }, transB: { int: 1 } }),
    node('Add', ['c', 'G'], 'z'),
    node('Sigmoid', ['z'], 'y'),
  ],
  initializers: [],
  inputs: [input('A', [3, 4]), input('B', [5, 4]), input('c', biasShape)],
  outputs: [input('y', [3, 5])],
  ...extra,
});
const shapes = new Map<string, number[]>([['G', [3, 5]]]);

const ramp = (length: number, scale: number, offset: number) =>
  Float32Array.from({ length }, (_, index) => ((index * 7) % 11) * scale + offset);

async function run(graph: OnnxGraph): Promise<number[]> {
  const results = await runGraph(graph, {
    A: new ort.Tensor('float32', ramp(12, 0.25, -1), [3, 4]),
    B: new ort.Tensor('float32', ramp(20, -0.125, 0.5), [5, 4]),
    c: new ort.Tensor('float32', Float32Array.of(-1, -0.5, 0, 0.5, 1), [5]),
  });
  return results.y!;
}

describe('foldBiasesIntoProducts', () => {
  it('makes A Bᵀ + c one Gemm with C and computes the same values', async () => {
    const folded = pruneGraph(foldBiasesIntoProducts(layer(), shapes));
    expect(describePrunedNodes(folded)).toEqual(['Gemm(A, B, c)', 'Sigmoid(z)']);
    expect(folded.nodes[0]!.attributes).toEqual({ transA: { int: 0 }, transB: { int: 1 }, beta: { float: 1 } });
    // By hand: y[i][j] = sigmoid(sum_k A[i][k] B[j][k] + c[j]).
    const [a, b, c] = [ramp(12, 0.25, -1), ramp(20, -0.125, 0.5), [-1, -0.5, 0, 0.5, 1]];
    const expected = Array.from({ length: 15 }, (_, index) => {
      const [i, j] = [Math.floor(index / 5), index % 5];
      let sum = c[j]!;
      for (let k = 0; k < 4; k++) sum += a[i * 4 + k]! * b[j * 4 + k]!;
      return 1 / (1 + Math.exp(-sum));
    });
    const [before, after] = [await run(layer()), await run(folded)];
    for (const [index, value] of expected.entries()) {
      expect(before[index]).toBeCloseTo(value, 6);
      expect(after[index]).toBeCloseTo(value, 6);
    }
  });

  it('leaves an addition alone where the product is read elsewhere, already adds a C, or the addend does not broadcast to it', () => {
    const plain = ['Gemm(A, B)', 'Add(c, G)', 'Sigmoid(z)'];
    // The product is read elsewhere too (here: a graph output).
    expect(describePrunedNodes(foldBiasesIntoProducts(layer([5], { outputs: [input('y', [3, 5]), input('G', [3, 5])] }), shapes))).toEqual(
      plain,
    );
    // The addend is larger than the product (the sum broadcasts the product up) or of another extent.
    expect(describePrunedNodes(foldBiasesIntoProducts(layer([2, 3, 5]), shapes))).toEqual(plain);
    expect(describePrunedNodes(foldBiasesIntoProducts(layer([3]), shapes))).toEqual(plain);
    // The product already adds a C.
    const withC = layer();
    withC.nodes[0] = node('Gemm', ['A', 'B', 'c'], 'G', { transB: { int: 1 } });
    expect(describePrunedNodes(foldBiasesIntoProducts(withC, shapes))).toEqual(['Gemm(A, B, c)', 'Add(c, G)', 'Sigmoid(z)']);
  });
});
