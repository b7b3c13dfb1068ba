// Hand-built IR for the passes' tests (imported by tests only: no entry of the package reaches it).
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './ir';
import { pruneGraph } from './prune';

/** A node with one output, and its attributes when given. */
export const irNode = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs: [output],
  ...(attributes === undefined ? {} : { attributes }),
});

/** A float32 graph input or output of `shape`. */
export const floatValue = (name: string, shape: number[]): OnnxValueInfo => ({ name, type: 'float32', shape });

/** A graph's nodes as `Op(input, ...)`, in order: what a pass's test compares. */
export const describeNodes = (graph: OnnxGraph): string[] => graph.nodes.map((each) => `${each.opType}(${each.inputs.join(', ')})`);

/** {@link describeNodes} of the graph after pruning (what a pass leaves that an output reads). */
export const describePrunedNodes = (graph: OnnxGraph): string[] => describeNodes(pruneGraph(graph));
