// The update-folding pass: a plain gradient-descent update of a weight whose gradient is one
// matrix product, `S - (A B) r` with r a scalar, computed by that product itself as
// `Gemm(A, B r, S)` with alpha -1, or for weights larger than a core's cache as `S - A (B r)`:
// the rate scales the product's smaller operand instead of its output either way.
import type { OnnxGraph, OnnxNode, ValueShapes } from './ir';
import { broadcastsTo, elementsOf, producersOf, readersOf, sameShape, shapeOf } from './ir';

/** A Gemm of two inputs that scales nothing (alpha 1), or a MatMul of two matrices: the product alone. */
const isPlainProduct = (node: OnnxNode | undefined, graph: OnnxGraph, shapes: ValueShapes): node is OnnxNode =>
  node !== undefined &&
  node.inputs.length === 2 &&
  ((node.opType === 'Gemm' && (node.attributes?.alpha === undefined || (node.attributes.alpha as { float: number }).float === 1)) ||
    (node.opType === 'MatMul' && node.inputs.every((input) => shapeOf(graph, shapes, input)?.length === 2)));

/**
 * Weights of more values than this (2 MB of floats, a core's L2 cache here) update as the product
 * and a Sub rather than as a Gemm with the weights as C: onnxruntime's Gemm first copies C into its
 * output on one thread, a pass that stays in the cache for smaller weights but not for these.
 */
const SUBTRACTED_UPDATE_VALUES = 524_288;

/**
 * Every `Sub(S, Mul(G, r))` (or `Mul(r, G)`) where G is a plain two-input product read by that
 * Mul alone, the Mul is read by that Sub alone, r is a scalar and S has G's shape, rewritten as
 * `Gemm(A, B, S)` with alpha -1 and the smaller of A and B multiplied by r first: the SGD update of
 * a dense layer's weights (tied ones too: their two products are one Gemm of concatenated
 * operands) in one pass over the weights instead of three (the product, the scaling and the
 * subtraction). A dA 784-500's step ran 8-12 % faster so (the scaling of 20 x 500 values replaces
 * two passes over 392,000). Weights of more than {@link SUBTRACTED_UPDATE_VALUES} values update
 * as `Sub(S, Gemm(A, B))` instead (the product, then the subtraction on every thread and in
 * place): Gemm's copy of C on one thread cost more than the Sub's second pass, and the SdA's
 * eight-step fine-tuning graph (three weights of 0.8-1 M values) ran 9 % faster so; the tutorial
 * dA's 784-500 ran the same or up to 7 % slower, so it keeps the Gemm. A bias's update
 * `S - Reshape(1ᵀ D) r` (its gradient is a row of ones times dy, see `sumOfLeadingAxes`) folds
 * the same way, into `Reshape(Gemm(1ᵀ r, D, S))` with the bias broadcast to [1, N] as C; every
 * bias of the step shares the one scaled row of ones. Rounding differs from tfjs's order by an
 * ulp or so. Other updates (momentum, Adam, weight decay, whose gradient is not a product alone)
 * are left as they are.
 *
 * @example const graph = foldUpdatesIntoProducts(pruned, builder.shapes); // then prune again
 */
export function foldUpdatesIntoProducts(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const readOnce = (name: string) => readers.get(name) === 1;
  const shape = (name: string) => shapeOf(graph, shapes, name);
  /** The operands already multiplied by a rate, by `operand rate`. */
  const scaledOperands = new Map<string, string>();
  const nodes: OnnxNode[] = [];
  for (const node of graph.nodes) {
    const folded = node.opType === 'Sub' ? foldedUpdate(node) : undefined;
    nodes.push(...(folded ?? [node]));
  }
  // The products and Muls replaced are read by nothing now: the pruning pass after this one drops them.
  return { ...graph, nodes };

  /** The product behind the gradient `name` (itself, or under a Reshape to the state's shape), if plain and read once. */
  function productOf(name: string, state: string): { gemm: OnnxNode; reshape?: OnnxNode } | undefined {
    const producer = producers.get(name);
    if (isPlainProduct(producer, graph, shapes) && readOnce(name))
      return sameShape(shape(state), shape(name)) ? { gemm: producer } : undefined;
    if (producer?.opType !== 'Reshape' || !readOnce(name) || !sameShape(shape(state), shape(name))) return undefined;
    const inner = producer.inputs[0]!;
    const gemm = producers.get(inner);
    if (!isPlainProduct(gemm, graph, shapes) || !readOnce(inner)) return undefined;
    const innerShape = shape(inner) ?? productShape(gemm);
    if (innerShape?.length !== 2) return undefined;
    // Gemm's C broadcasts one way only: the state must fill the product's shape without expanding.
    if (!broadcastsTo(shape(state), innerShape) || elementsOf(shape(state)) !== elementsOf(innerShape)) return undefined;
    return { gemm, reshape: producer };
  }

  /** The [M, N] shape of a two-input Gemm or MatMul, from its inputs' shapes (a product made by a lowering rule has no recorded shape). */
  function productShape(product: OnnxNode): readonly number[] | undefined {
    const [a, b] = product.inputs.map(shape);
    if (a?.length !== 2 || b?.length !== 2) return undefined;
    const transposed = (key: string) => (product.attributes?.[key] as { int: number } | undefined)?.int === 1;
    return [transposed('transA') ? a[1]! : a[0]!, transposed('transB') ? b[0]! : b[1]!];
  }

  function foldedUpdate(sub: OnnxNode): OnnxNode[] | undefined {
    const [state, scaled] = sub.inputs as [string, string];
    const mul = producers.get(scaled);
    if (mul?.opType !== 'Mul' || !readOnce(scaled)) return undefined;
    const productIndex = mul.inputs.findIndex((input) => productOf(input, state) !== undefined);
    if (productIndex < 0) return undefined;
    const { gemm, reshape } = productOf(mul.inputs[productIndex]!, state)!;
    const rate = mul.inputs[1 - productIndex]!;
    if (shape(rate)?.length !== 0) return undefined;
    const [a, b] = gemm.inputs as [string, string];
    const added: OnnxNode[] = [];
    const scaleA = elementsOf(shape(a)) < elementsOf(shape(b));
    const operand = scaleA ? a : b;
    let scaledOperand = scaledOperands.get(`${operand} ${rate}`);
    if (scaledOperand === undefined) {
      scaledOperand = `${sub.outputs[0]!}/operand`;
      scaledOperands.set(`${operand} ${rate}`, scaledOperand);
      added.push({ opType: 'Mul', inputs: [operand, rate], outputs: [scaledOperand] });
    }
    const operands = scaleA ? [scaledOperand, b] : [a, scaledOperand];
    if (reshape === undefined && elementsOf(shape(state)) > SUBTRACTED_UPDATE_VALUES) {
      const product = `${sub.outputs[0]!}/product`;
      added.push({ opType: 'Gemm', inputs: operands, outputs: [product], attributes: { ...gemm.attributes } });
      added.push({ opType: 'Sub', inputs: [state, product], outputs: sub.outputs });
      return added;
    }
    const updated = reshape === undefined ? sub.outputs[0]! : `${sub.outputs[0]!}/matrix`;
    added.push({
      opType: 'Gemm',
      inputs: [...operands, state],
      outputs: [updated],
      attributes: { ...gemm.attributes, alpha: { float: -1 }, beta: { float: 1 } },
    });
    if (reshape !== undefined) added.push({ opType: 'Reshape', inputs: [updated, reshape.inputs[1]!], outputs: sub.outputs });
    return added;
  }
}
