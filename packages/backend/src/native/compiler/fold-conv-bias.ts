// The convolution-bias pass: a per-channel bias added to a convolution's output becomes the
// Conv's own bias input, so that onnxruntime adds it (and fuses a following Relu) in the pass that
// writes the output.
import type { OnnxGraph, OnnxNode, ValueShapes } from './ir';
import { NCHWC_DOMAIN, channelVectorOf, producersOf, readersOf, shapeOf } from './ir';

/**
 * Every `Add(Conv(x, W), Reshape(b, [1, C, 1, 1]))` (either order) where the Conv has no bias, the
 * Add is its only reader and b is a vector of its C output channels (tfjs's `conv2d` then `add`
 * of a per-filter bias, as the kernels lower them) becomes `Conv(x, W, b)`: onnxruntime's CPU
 * Conv adds the bias while it writes the output and fuses a Relu after it into the same pass
 * (FusedConv), where the Add and the Relu each took a pass over the activations (W3's step 5 %
 * faster, LeNet's 3 %). Rounding is the same (one addition per value). The Conv and Reshape
 * left unread are for the pruning pass after this one.
 *
 * The blocked Conv (NCHWc, lower/nchwc-convolution.ts) takes the bias the same way, and a Relu of
 * its output as its `activation` (see {@link foldIntoBlockedConvolutions}).
 *
 * @example const graph = pruneGraph(foldConvolutionBias(optimizeLayout(built, shapes), shapes));
 */
export function foldConvolutionBias(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  return foldIntoBlockedConvolutions(foldIntoConvolutions(graph, shapes), shapes);
}

function foldIntoConvolutions(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const nodes = graph.nodes.map((node): OnnxNode => {
    if (node.opType !== 'Add') return node;
    for (const side of [0, 1]) {
      const convolved = node.inputs[side]!;
      const conv = producers.get(convolved);
      if (conv?.opType !== 'Conv' || conv.domain !== undefined || conv.inputs.length !== 2 || readers.get(convolved) !== 1) continue;
      const channels = shapeOf(graph, shapes, convolved)?.[1];
      const bias = channels === undefined ? undefined : channelVectorOf(graph, shapes, producers, node.inputs[1 - side]!, channels);
      if (bias === undefined) continue;
      return { ...conv, inputs: [...conv.inputs, bias], outputs: node.outputs };
    }
    return node;
  });
  return { ...graph, nodes };
}

/**
 * `Add(ReorderOutput(Conv(x, W)), Reshape(b, [1, C, 1, 1]))` of a blocked Conv becomes
 * `ReorderOutput(Conv(x, W, b))`, and then `Relu(ReorderOutput(Conv(...)))` becomes
 * `ReorderOutput(Conv(..., activation Relu))`, where each replaced value has no other reader:
 * the kernel adds the bias and clamps as it writes its output (the small CNN's second layer
 * saved an Add and a Relu over its [100, 16, 8, 8] activations). The same arithmetic: one
 * addition per value, then max(0, .).
 */
function foldIntoBlockedConvolutions(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  let nodes = graph.nodes;
  for (const rule of ['Add', 'Relu'] as const) {
    const producers = producersOf(nodes);
    const readers = readersOf({ ...graph, nodes });
    const replaced = new Map<OnnxNode, OnnxNode>();
    const dropped = new Set<OnnxNode>();
    for (const node of nodes) {
      if (node.opType !== rule) continue;
      for (const side of rule === 'Add' ? [0, 1] : [0]) {
        const reordered = node.inputs[side]!;
        const reorder = producers.get(reordered);
        const conv = reorder?.opType === 'ReorderOutput' ? producers.get(reorder.inputs[0]!) : undefined;
        if (conv?.opType !== 'Conv' || conv.domain !== NCHWC_DOMAIN || readers.get(reordered) !== 1 || readers.get(conv.outputs[0]!) !== 1)
          continue;
        if (replaced.has(conv) || conv.attributes?.activation !== undefined) continue;
        const channels = (reorder!.attributes?.channels as { int: number } | undefined)?.int;
        let folded: OnnxNode;
        if (rule === 'Add') {
          const bias =
            channels === undefined || conv.inputs.length !== 2
              ? undefined
              : channelVectorOf(graph, shapes, producers, node.inputs[1 - side]!, channels);
          if (bias === undefined) continue;
          folded = { ...conv, inputs: [...conv.inputs, bias] };
        } else {
          folded = { ...conv, attributes: { ...conv.attributes, activation: { string: 'Relu' } } };
        }
        replaced.set(conv, folded);
        // The ReorderOutput now writes the Add's (or Relu's) output; the Add (Relu) goes.
        replaced.set(reorder!, { ...reorder!, outputs: node.outputs });
        dropped.add(node);
        break;
      }
    }
    nodes = nodes.filter((node) => !dropped.has(node)).map((node) => replaced.get(node) ?? node);
  }
  return { ...graph, nodes };
}
