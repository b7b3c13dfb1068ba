import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel } from './encode-onnx';
import { foldUpdatesIntoProducts } from './fold-updates';
import { describeNodes, floatValue as input, irNode as node, runGraph } from './ir-fixtures';
import type { OnnxGraph } from './ir';
import { pruneGraph } from './prune';

/** `S - (Aᵀ B) r`, as tfjs's SGD update of a weight whose gradient is one product: A [3, 4], B [3, 5], S [4, 5]. */
const update = (extra: Partial<OnnxGraph> = {}, rateShape: number[] = []): OnnxGraph => ({
  name: 'update',
  nodes: [
    node('Gemm', ['A', 'B'], 'G', { transA: { int: 1 }, transB: { int: 0 } }),
    node('Mul', ['G', 'r'], 'M'),
    node('Sub', ['S', 'M'], 'y'),
  ],
  initializers: [],
  inputs: [input('A', [3, 4]), input('B', [3, 5]), input('S', [4, 5]), input('r', rateShape)],
  outputs: [input('y', [4, 5])],
  ...extra,
});
const shapes = new Map<string, number[]>([['G', [4, 5]]]);

const ramp = (length: number, scale: number, offset: number) =>
  Float32Array.from({ length }, (_, index) => ((index * 7) % 11) * scale + offset);
const feeds = (rateShape: number[] = []) => ({
  A: new ort.Tensor('float32', ramp(12, 0.25, -1), [3, 4]),
  B: new ort.Tensor('float32', ramp(15, -0.5, 2), [3, 5]),
  S: new ort.Tensor('float32', ramp(20, 0.125, 0.5), [4, 5]),
  r: new ort.Tensor('float32', new Float32Array(rateShape.reduce((a, b) => a * b, 1)).fill(0.1), rateShape),
});

async function run(graph: OnnxGraph, rateShape: number[] = []): Promise<number[]> {
  return (await runGraph(graph, feeds(rateShape))).y!;
}

const opTypes = (graph: OnnxGraph) => pruneGraph(graph).nodes.map((each) => each.opType);

describe('foldUpdatesIntoProducts', () => {
  it('makes S - (Aᵀ B) r one Gemm with C and alpha -1, scaling the smaller operand by r, and computes the same values', async () => {
    const folded = pruneGraph(foldUpdatesIntoProducts(update(), shapes));
    expect(describeNodes(folded)).toEqual(['Mul(A, r)', 'Gemm(y/operand, B, S)']);
    expect(folded.nodes[1]!.attributes).toEqual({ transA: { int: 1 }, transB: { int: 0 }, alpha: { float: -1 }, beta: { float: 1 } });
    // By hand: y[i][j] = S[i][j] - 0.1 * sum_k A[k][i] B[k][j].
    const { A, B, S } = feeds();
    const [a, b, s] = [A.data, B.data, S.data] as Float32Array[];
    const expected = Array.from({ length: 20 }, (_, index) => {
      const [i, j] = [Math.floor(index / 5), index % 5];
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += a![k * 4 + i]! * b![k * 5 + j]!;
      return s![index]! - 0.1 * sum;
    });
    const [before, after] = [await run(update()), await run(folded)];
    for (const [index, value] of expected.entries()) {
      expect(before[index]).toBeCloseTo(value, 5);
      expect(after[index]).toBeCloseTo(value, 5);
    }
  });

  it("makes a weight of more values than a core's cache S - Aᵀ (B r), a product and one Sub, with the same values", async () => {
    // A [3, 800], B [3, 700], S [800, 700]: 560,000 values, over the 524,288 of 2 MB.
    const [m, n] = [800, 700];
    const big = update({
      inputs: [input('A', [3, m]), input('B', [3, n]), input('S', [m, n]), input('r', [])],
      outputs: [input('y', [m, n])],
    });
    const folded = pruneGraph(foldUpdatesIntoProducts(big, new Map([['G', [m, n]]])));
    expect(describeNodes(folded)).toEqual(['Mul(B, r)', 'Gemm(A, y/operand)', 'Sub(S, y/product)']);
    expect(folded.nodes[1]!.attributes).toEqual({ transA: { int: 1 }, transB: { int: 0 } });
    const values = {
      A: new ort.Tensor('float32', ramp(3 * m, 0.25, -1), [3, m]),
      B: new ort.Tensor('float32', ramp(3 * n, -0.5, 2), [3, n]),
      S: new ort.Tensor('float32', ramp(m * n, 0.125, 0.5), [m, n]),
      r: new ort.Tensor('float32', Float32Array.of(0.1), []),
    };
    const session = await ort.InferenceSession.create(encodeOnnxModel(folded));
    try {
      const y = (await session.run(values)).y!.data as Float32Array;
      const [a, b, s] = [values.A.data, values.B.data, values.S.data] as Float32Array[];
      // By hand at a spread of entries: y[i][j] = S[i][j] - 0.1 * sum_k A[k][i] B[k][j].
      for (let index = 0; index < m * n; index += 9973) {
        const [i, j] = [Math.floor(index / n), index % n];
        const sum = a![i]! * b![j]! + a![m + i]! * b![n + j]! + a![2 * m + i]! * b![2 * n + j]!;
        expect(y[index]).toBeCloseTo(s![index]! - 0.1 * sum, 5);
      }
    } finally {
      await session.release();
    }
  });

  it("folds two biases' updates S - Reshape(1ᵀ D) r into Gemms sharing one scaled row of ones, with the same values", async () => {
    // Two biases of 4 and 5 values whose gradients are columns sums of D [3, 4] and E [3, 5], as sumOfLeadingAxes makes them.
    const biases: OnnxGraph = {
      name: 'biases',
      nodes: [
        node('MatMul', ['ones', 'D'], 'P'),
        node('Reshape', ['P', 'four'], 'G'),
        node('Mul', ['G', 'r'], 'M'),
        node('Sub', ['S', 'M'], 'y'),
        node('MatMul', ['ones', 'E'], 'Q'),
        node('Reshape', ['Q', 'five'], 'H'),
        node('Mul', ['r', 'H'], 'N'),
        node('Sub', ['T', 'N'], 'z'),
      ],
      initializers: [
        { name: 'ones', type: 'float32', shape: [1, 3], values: Float32Array.of(1, 1, 1) },
        { name: 'four', type: 'int64', shape: [1], values: BigInt64Array.of(4n) },
        { name: 'five', type: 'int64', shape: [1], values: BigInt64Array.of(5n) },
      ],
      inputs: [input('D', [3, 4]), input('E', [3, 5]), input('S', [4]), input('T', [5]), input('r', [])],
      outputs: [input('y', [4]), input('z', [5])],
    };
    // The products' shapes are not recorded (a lowering rule made them), only the kernels' outputs'.
    const biasShapes = new Map<string, number[]>([
      ['G', [4]],
      ['H', [5]],
    ]);
    const folded = pruneGraph(foldUpdatesIntoProducts(biases, biasShapes));
    expect(describeNodes(folded)).toEqual([
      'Mul(ones, r)',
      'Gemm(y/operand, D, S)',
      'Reshape(y/matrix, four)',
      'Gemm(y/operand, E, T)',
      'Reshape(z/matrix, five)',
    ]);
    const values = {
      D: new ort.Tensor('float32', ramp(12, 0.25, -1), [3, 4]),
      E: new ort.Tensor('float32', ramp(15, -0.5, 2), [3, 5]),
      S: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [4]),
      T: new ort.Tensor('float32', Float32Array.of(-1, -2, -3, -4, -5), [5]),
      r: new ort.Tensor('float32', Float32Array.of(0.1), []),
    };
    // By hand: y[j] = S[j] - 0.1 * sum_k D[k][j], z[j] = T[j] - 0.1 * sum_k E[k][j].
    const columnSums = (data: Float32Array, columns: number) =>
      Array.from({ length: columns }, (_, j) => data[j]! + data[columns + j]! + data[2 * columns + j]!);
    const expectedY = columnSums(values.D.data as Float32Array, 4).map((sum, j) => [1, 2, 3, 4][j]! - 0.1 * sum);
    const expectedZ = columnSums(values.E.data as Float32Array, 5).map((sum, j) => [-1, -2, -3, -4, -5][j]! - 0.1 * sum);
    for (const graph of [biases, folded]) {
      const session = await ort.InferenceSession.create(encodeOnnxModel(graph));
      try {
        const results = await session.run(values);
        Array.from(results.y!.data as Float32Array).forEach((value, index) => expect(value).toBeCloseTo(expectedY[index]!, 5));
        Array.from(results.z!.data as Float32Array).forEach((value, index) => expect(value).toBeCloseTo(expectedZ[index]!, 5));
      } finally {
        await session.release();
      }
    }
  });

  it('leaves an update alone where the product, its scaling or the rate is more than a plain SGD step needs', () => {
    const plain = ['Gemm', 'Mul', 'Sub'];
    // The gradient is read elsewhere too (here: a graph output).
    expect(opTypes(foldUpdatesIntoProducts(update({ outputs: [input('y', [4, 5]), input('G', [4, 5])] }), shapes))).toEqual(plain);
    // A rate per element, not a scalar.
    expect(opTypes(foldUpdatesIntoProducts(update({}, [4, 5]), shapes))).toEqual(plain);
    // The product already adds a C, or scales by alpha.
    const withC = update();
    withC.nodes[0] = node('Gemm', ['A', 'B', 'S'], 'G', { transA: { int: 1 } });
    expect(opTypes(foldUpdatesIntoProducts(withC, shapes))).toEqual(plain);
    const scaledProduct = update();
    scaledProduct.nodes[0] = node('Gemm', ['A', 'B'], 'G', { transA: { int: 1 }, alpha: { float: 2 } });
    expect(opTypes(foldUpdatesIntoProducts(scaledProduct, shapes))).toEqual(plain);
    // The state broadcasts against the gradient (a bias of another shape).
    const broadcast = update({ inputs: [input('A', [3, 4]), input('B', [3, 5]), input('S', [5]), input('r', [])] });
    expect(opTypes(foldUpdatesIntoProducts(broadcast, shapes))).toEqual(plain);
    // The update's direction is r G - S, not S - r G.
    const reversed = update();
    reversed.nodes[2] = node('Sub', ['M', 'S'], 'y');
    expect(opTypes(foldUpdatesIntoProducts(reversed, shapes))).toEqual(plain);
  });
});
