import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runGraph } from './ir-fixtures';
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './ir';
import { nameOutputsAtSource } from './name-outputs';

const node = (opType: string, inputs: string[], output: string): OnnxNode => ({ opType, inputs, outputs: [output] });
const value = (name: string): OnnxValueInfo => ({ name, type: 'float32', shape: [3] });

/** An Adam-like moment: m = 0.5 m + g, written as the output `new:m` and read by the update `new:w = w - m`. */
const moment = (): OnnxGraph => ({
  name: 'moment',
  nodes: [
    node('Mul', ['m', 'half'], 'scaled'),
    node('Add', ['scaled', 'g'], 'moved'),
    node('Sub', ['w', 'moved'], 'updated'),
    node('Identity', ['moved'], 'new:m'),
    node('Identity', ['updated'], 'new:w'),
    node('Identity', ['w'], 'old:w'),
  ],
  initializers: [{ name: 'half', type: 'float32', shape: [], values: Float32Array.of(0.5) }],
  inputs: [value('m'), value('g'), value('w')],
  outputs: [value('new:m'), value('new:w'), value('old:w')],
});

const run = (graph: OnnxGraph): Promise<Record<string, number[]>> =>
  runGraph(graph, {
    m: new ort.Tensor('float32', Float32Array.of(2, -4, 6), [3]),
    g: new ort.Tensor('float32', Float32Array.of(1, 1, -1), [3]),
    w: new ort.Tensor('float32', Float32Array.of(10, 20, 30), [3]),
  });

describe('nameOutputsAtSource', () => {
  it('has the node that computes a graph output write it under its name, its other readers reading that, with the same values', async () => {
    const named = nameOutputsAtSource(moment());
    expect(named.nodes.map((each) => `${each.opType}(${each.inputs.join(', ')}) -> ${each.outputs.join(', ')}`)).toEqual([
      'Mul(m, half) -> scaled',
      'Add(scaled, g) -> new:m',
      'Sub(w, new:m) -> new:w',
      // A graph input has no node to write it: its Identity stays.
      'Identity(w) -> old:w',
    ]);
    const expected = { 'new:m': [2, -1, 2], 'new:w': [8, 21, 28], 'old:w': [10, 20, 30] };
    expect(await run(moment())).toEqual(expected);
    expect(await run(named)).toEqual(expected);
  });

  it('names a value once where two outputs copy it, the second Identity reading the first name', () => {
    const twice = moment();
    twice.nodes.push(node('Identity', ['moved'], 'also:m'));
    twice.outputs.push(value('also:m'));
    const named = nameOutputsAtSource(twice);
    expect(named.nodes.filter((each) => each.opType === 'Identity').map((each) => `${each.inputs[0]} -> ${each.outputs[0]}`)).toEqual([
      'w -> old:w',
      'new:m -> also:m',
    ]);
  });
});
