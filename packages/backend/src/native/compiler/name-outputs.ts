// The output-naming pass: a graph output written by the node that computes it, not copied by an
// Identity.
import type { OnnxGraph, OnnxNode } from './ir';
import { producersOf } from './ir';

/**
 * Every Identity that gives a graph output its name (the step's outputs and new state, see
 * `traceStep`) is dropped where its input is made by a node and is no graph output itself: that
 * node writes the output under the output's name, and its other readers read it so. onnxruntime
 * removes such an Identity only where nothing else reads its input, and copies the value
 * otherwise: the LeNet preset's Adam moments of its 800 x 500 layer, read by the update too, were
 * two copies of 1.6 MB a step.
 *
 * @example const graph = pruneGraph(nameOutputsAtSource(folded));
 */
export function nameOutputsAtSource(graph: OnnxGraph): OnnxGraph {
  const outputs = new Set(graph.outputs.map((output) => output.name));
  const producers = producersOf(graph.nodes);
  const renamed = new Map<string, string>();
  const dropped = new Set<OnnxNode>();
  for (const node of graph.nodes) {
    const [source] = node.inputs;
    const [output] = node.outputs;
    if (node.opType !== 'Identity' || !outputs.has(output!) || !producers.has(source!) || outputs.has(source!) || renamed.has(source!))
      continue;
    renamed.set(source!, output!);
    dropped.add(node);
  }
  const rename = (name: string) => renamed.get(name) ?? name;
  const nodes = graph.nodes
    .filter((node) => !dropped.has(node))
    .map((node) => ({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) }));
  return { ...graph, nodes };
}
