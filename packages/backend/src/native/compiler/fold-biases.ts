// The bias-folding pass: a dense layer's `A B + c` computed by the product itself as
// `Gemm(A, B, c)`, which onnxruntime then fuses with a following activation (FusedGemm).
import type { OnnxGraph, OnnxNode, ValueShapes } from './ir';
import { broadcastsTo, producersOf, readersOf, shapeOf } from './ir';

/**
 * Every `Add(G, c)` (or `Add(c, G)`) where G is a Gemm without C read by that Add alone and c
 * broadcasts to G's [M, N] output (a bias of N values, a scalar), rewritten as `Gemm(A, B, c)`:
 * onnxruntime's Gemm starts from C, so the bias costs no pass of its own, and its optimiser turns
 * a Gemm followed by Sigmoid, Relu or Tanh into one FusedGemm. Each of a dense layer's forward
 * products so loses two nodes (the Add and the activation). Rounding is that of tfjs's order (the
 * product, then one addition).
 *
 * @example const graph = pruneGraph(foldBiasesIntoProducts(graph, builder.shapes)); // the plain Gemms dropped
 */
export function foldBiasesIntoProducts(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const nodes = graph.nodes.map((node) => (node.opType === 'Add' ? (foldedBias(node) ?? node) : node));
  // The Gemms replaced are read by nothing now: the pruning pass after this one drops them.
  return { ...graph, nodes };

  function foldedBias(add: OnnxNode): OnnxNode | undefined {
    const productIndex = add.inputs.findIndex((input) => {
      const producer = producers.get(input);
      return producer?.opType === 'Gemm' && producer.inputs.length === 2 && readers.get(input) === 1;
    });
    if (productIndex < 0) return undefined;
    const product = add.inputs[productIndex]!;
    const bias = add.inputs[1 - productIndex]!;
    if (!broadcastsTo(shapeOf(graph, shapes, bias), shapeOf(graph, shapes, product))) return undefined;
    const gemm = producers.get(product)!;
    return { opType: 'Gemm', inputs: [...gemm.inputs, bias], outputs: add.outputs, attributes: { ...gemm.attributes, beta: { float: 1 } } };
  }
}
