// The convolution-bias pass: a per-channel bias added to a convolution's output becomes the
// Conv's own bias input, so that onnxruntime adds it (and fuses a following Relu) in the pass that
// writes the output.
import type { OnnxGraph, OnnxNode, ValueShapes } from './ir';
import { producersOf, readersOf, shapeOf } from './ir';

/**
 * Every `Add(Conv(x, W), Reshape(b, [1, C, 1, 1]))` (either order) where the Conv has no bias, the
 * Add is its only reader and b is a vector of its C output channels (tfjs's `conv2d` then `add`
 * of a per-filter bias, as the kernels lower them) becomes `Conv(x, W, b)`: onnxruntime's CPU
 * Conv adds the bias while it writes the output and fuses a Relu after it into the same pass
 * (FusedConv), where the Add and the Relu each took a pass over the activations (W3's step 5 %
 * faster, LeNet's 3 %). Rounding is the same (one addition per value). The Conv and Reshape
 * left unread are for the pruning pass after this one.
 *
 * @example const graph = pruneGraph(foldConvolutionBias(optimizeLayout(built, shapes), shapes));
 */
export function foldConvolutionBias(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const nodes = graph.nodes.map((node): OnnxNode => {
    if (node.opType !== 'Add') return node;
    for (const side of [0, 1]) {
      const convolved = node.inputs[side]!;
      const conv = producers.get(convolved);
      const reshape = producers.get(node.inputs[1 - side]!);
      if (conv?.opType !== 'Conv' || conv.inputs.length !== 2 || readers.get(convolved) !== 1 || reshape?.opType !== 'Reshape') continue;
      const bias = reshape.inputs[0]!;
      const channels = shapeOf(graph, shapes, convolved)?.[1];
      const biasShape = shapeOf(graph, shapes, bias);
      const target = graph.initializers.find((initializer) => initializer.name === reshape.inputs[1]);
      const reshaped = target?.type === 'int64' ? Array.from(target.values as BigInt64Array, Number) : undefined;
      if (channels === undefined || biasShape?.length !== 1 || biasShape[0] !== channels) continue;
      if (reshaped === undefined || reshaped.length !== 4 || reshaped.some((extent, axis) => extent !== (axis === 1 ? channels : 1)))
        continue;
      return { ...conv, inputs: [...conv.inputs, bias], outputs: node.outputs };
    }
    return node;
  });
  return { ...graph, nodes };
}
