import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sdae/core';
import { encodeOnnxModel } from './encode-onnx';
import type { OnnxNode, StepValue, TracedStep } from './ir';
import { sharedShapes, stepOf, unrollStep, unrolledFeeds } from './unroll';

const node = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs: [output],
  attributes,
});
const value = (graphName: string, shape: number[]): StepValue => ({ graphName, shape, dtype: 'float32' });

/** One step: p = W x (elementwise); W -= 0.5 p; loss = sum(p) + b (b is state the step reads and never writes). */
function sgdStep(): TracedStep {
  const inputs = new Map([['x', value('input:x', [2])]]);
  const stateInputs = new Map([
    ['W', value('state:W', [2])],
    ['b', value('state:b', [])],
  ]);
  const stateOutputs = new Map([['W', value('new:W', [2])]]);
  const outputs = new Map([['loss', value('output:loss', [])]]);
  const info = (entry: StepValue) => ({ name: entry.graphName, type: entry.dtype, shape: entry.shape });
  return {
    graph: {
      name: 'sgd',
      nodes: [
        node('Mul', ['state:W', 'input:x'], 'p'),
        node('Mul', ['p', 'half'], 's'),
        node('Sub', ['state:W', 's'], 'n'),
        node('Identity', ['n'], 'new:W'),
        node('ReduceSum', ['p'], 'l', { keepdims: { int: 0 } }),
        node('Add', ['l', 'state:b'], 'lb'),
        node('Identity', ['lb'], 'output:loss'),
      ],
      initializers: [{ name: 'half', type: 'float32', shape: [], values: Float32Array.of(0.5) }],
      inputs: [...inputs.values(), ...stateInputs.values()].map(info),
      outputs: [...outputs.values(), ...stateOutputs.values()].map(info),
    },
    inputs,
    stateInputs,
    stateOutputs,
    outputs,
    kernels: [],
  };
}

const tensor = (values: number[], shape: number[]) => new ort.Tensor('float32', Float32Array.from(values), shape);
const BATCHES = [
  [1, 2],
  [0.5, -1],
  [3, 0.25],
];

describe('unrollStep', () => {
  it('runs k steps as one graph with the results of k single steps', async () => {
    const step = sgdStep();
    const single = await ort.InferenceSession.create(encodeOnnxModel(step.graph));
    const losses: number[] = [];
    let W = [1, -2];
    for (const x of BATCHES) {
      const results = await single.run({ 'input:x': tensor(x, [2]), 'state:W': tensor(W, [2]), 'state:b': tensor([0.75], []) });
      losses.push(results['output:loss']!.data[0] as number);
      W = Array.from(results['new:W']!.data as Float32Array);
    }
    await single.release();
    // Known answer for the first step: W x = [1, -4], loss = -3 + 0.75.
    expect(losses[0]).toBe(-2.25);

    const unrolled = unrollStep(step, 3);
    const session = await ort.InferenceSession.create(encodeOnnxModel(unrolled.graph));
    const feeds = Object.fromEntries(BATCHES.map((x, index) => [`input:x@${index}`, tensor(x, [2])]));
    const results = await session.run({ ...feeds, 'state:W': tensor([1, -2], [2]), 'state:b': tensor([0.75], []) });
    await session.release();
    expect([0, 1, 2].map((index) => results[`output:loss@${index}`]!.data[0])).toEqual(losses);
    expect(Array.from(results['new:W']!.data as Float32Array)).toEqual(W);
  });

  it('names each copy by its step and shares the constants and the state inputs', () => {
    const unrolled = unrollStep(sgdStep(), 2);
    expect([...unrolled.inputs.keys()]).toEqual(['x@0', 'x@1']);
    expect([...unrolled.outputs.keys()]).toEqual(['loss@0', 'loss@1']);
    expect(unrolled.graph.inputs.map((input) => input.name)).toEqual(['input:x@0', 'input:x@1', 'state:W', 'state:b']);
    expect(unrolled.graph.outputs.map((output) => output.name)).toEqual(['output:loss@0', 'output:loss@1', 'new:W']);
    expect(unrolled.graph.initializers.map((tensor) => tensor.name)).toEqual(['half']);
    expect(unrolled.graph.nodes).toHaveLength(14);
    // The second copy reads the first one's new W.
    const secondProduct = unrolled.graph.nodes.find((entry) => entry.outputs[0] === 'p@1')!;
    expect(secondProduct.inputs).toEqual(['new:W@0', 'input:x@1']);
  });

  it('returns the step itself for one step and refuses a count that is not a whole number >= 1', () => {
    const step = sgdStep();
    expect(unrollStep(step, 1)).toBe(step);
    expect(() => unrollStep(step, 0)).toThrow(InvalidArgumentError);
    expect(() => unrollStep(step, 0)).toThrow(/unrollStep: count must be a whole number >= 1/);
  });
});

describe('unrolledFeeds', () => {
  it("names step k's feeds name@k, which stepOf reads back", () => {
    expect(unrolledFeeds([{ x: 1 }, { x: 2 }])).toEqual({ 'x@0': 1, 'x@1': 2 });
    expect(unrolledFeeds([{ x: 1 }])).toEqual({ x: 1 });
    expect(stepOf('loss@1', 2)).toEqual({ base: 'loss', step: 1 });
    expect(stepOf('loss', 1)).toEqual({ base: 'loss', step: 0 });
  });
});

describe('sharedShapes', () => {
  it('gives the shapes every step is fed and refuses steps whose shapes differ, naming the step', () => {
    const feed = (shape: number[]) => ({ shape });
    expect(sharedShapes([{ x: feed([2, 3]) }, { x: feed([2, 3]) }])).toEqual({ x: [2, 3] });
    expect(() => sharedShapes([{ x: feed([2, 3]) }, { x: feed([1, 3]) }])).toThrow(InvalidArgumentError);
    expect(() => sharedShapes([{ x: feed([2, 3]) }, { x: feed([1, 3]) }])).toThrow(/step 1 is fed \{"x":\[1,3\]\}, step 0 \{"x":\[2,3\]\}/);
    expect(() => sharedShapes([])).toThrow(/steps is empty/);
  });
});
