// Hand-built IR for the passes' tests (imported by tests only: no entry of the package reaches it).
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel } from './encode-onnx';
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

/** Runs `graph` once in onnxruntime (default session options) on `feeds`: every output's values by name. */
export async function runGraph(graph: OnnxGraph, feeds: Record<string, ort.Tensor>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(graph));
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, Array.from(tensor.data as Float32Array)]));
  } finally {
    await session.release();
  }
}
