import { describe, expect, it } from 'vitest';
import type { OnnxGraph } from './ir';
import { pruneGraph } from './prune';

describe('pruneGraph', () => {
  it('drops the nodes and initializers no output depends on, keeping the order and the inputs', () => {
    const graph: OnnxGraph = {
      name: 'prune',
      nodes: [
        { opType: 'Mul', inputs: ['x', 'two'], outputs: ['doubled'] },
        { opType: 'Add', inputs: ['x', 'one'], outputs: ['unused'] },
        { opType: 'Neg', inputs: ['unused'], outputs: ['also-unused'] },
        { opType: 'Relu', inputs: ['doubled'], outputs: ['y'] },
      ],
      initializers: [
        { name: 'one', type: 'float32', shape: [], values: Float32Array.of(1) },
        { name: 'two', type: 'float32', shape: [], values: Float32Array.of(2) },
      ],
      inputs: [
        { name: 'x', type: 'float32', shape: [3] },
        { name: 'unread', type: 'float32', shape: [3] },
      ],
      outputs: [{ name: 'y', type: 'float32', shape: [3] }],
    };
    const pruned = pruneGraph(graph);
    expect(pruned.nodes.map((node) => node.opType)).toEqual(['Mul', 'Relu']);
    expect(pruned.initializers.map((tensor) => tensor.name)).toEqual(['two']);
    expect(pruned.inputs).toBe(graph.inputs);
    expect(graph.nodes).toHaveLength(4);
  });
});
