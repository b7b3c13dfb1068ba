// The pruning pass: a graph without the nodes and initializers that no output depends on.
import type { OnnxGraph, OnnxNode } from './ir';

/**
 * Removes the nodes and initializers that no graph output depends on (the NHWC forms of values
 * that every consumer reads in NCHW, for one). Graph inputs stay, read or not.
 *
 * @example const graph = pruneGraph({ ...traced, nodes: [...traced.nodes, unusedNode] }); // unusedNode dropped
 */
export function pruneGraph(graph: OnnxGraph): OnnxGraph {
  const needed = new Set(graph.outputs.map((output) => output.name));
  const kept: OnnxNode[] = [];
  for (let index = graph.nodes.length - 1; index >= 0; index--) {
    const node = graph.nodes[index]!;
    if (!node.outputs.some((output) => needed.has(output))) continue;
    kept.push(node);
    for (const input of node.inputs) needed.add(input);
  }
  return {
    ...graph,
    nodes: kept.reverse(),
    initializers: graph.initializers.filter((initializer) => needed.has(initializer.name)),
  };
}
