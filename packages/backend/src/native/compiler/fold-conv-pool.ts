// The pooled-convolution pass: max pooling over windows that tile its input computed by window
// position, so that onnxruntime's MaxPool with indices (a scalar loop: a fifth of the small CNN's
// step) is not needed; a first layer's convolution of one input channel before it becomes one
// strided convolution that gives every window position its own channels (no full-size activation).
import { blocksOf, filtersByPosition, int64, intsOf, node } from './conv-pool-block';
import { rewriteReader } from './fold-conv-pool-readers';
import type { OnnxGraph, OnnxNode, ValueShapes } from './ir';
import { producersOf } from './ir';

/**
 * Every MaxPool over windows that tile its input (kernel = stride, no padding) whose indices only
 * the gradient's MaxUnpool reads is computed by window position, P = sH sW blocks of M channels
 * `q_(a,b)[n, m, i, j] = x[n, m, i sH + a, j sW + b]`, and the pooled value is their maximum:
 *
 * - where it pools `Relu(Conv(x, W) [+ b])`, x of one channel and the Conv of stride and dilation
 *   1, the blocks come from one Conv of stride sH x sW with a `[kH + sH - 1, kW + sW - 1]` filter
 *   per (position, filter), the filter padded to its place in the window (the bias added once per
 *   block), and the pooled value is `Relu(Max(q_0, ..., q_(P-1)))`: no full-size activation;
 * - elsewhere (square windows) they are SpaceToDepth of the pooled input, and the pooled value
 *   `Max(q_0, ..., q_(P-1))`.
 *
 * The gradient gives each window's g (already times the ReLU's step, see fold-pooling.ts) to the
 * first position equal to the maximum, row-major as tfjs's kernel picks on ties:
 * `d_k = r_k Equal(q_k, max)`, `r_(k+1) = r_k - d_k`, the last position taking what is left;
 * `dq = Concat(d_0, ..., d_(P-1))`. The readers of the unpooled gradient take it in that form where
 * they can (fold-conv-pool-readers.ts): the bias gradient reads g; a one-channel filter gradient's
 * grouped Conv reads dq dilated by the window; a filter gradient by patch table reads patches at
 * the pooling's stride; an input gradient by Col2Im reads the columns of every position's filter
 * with the pooling's stride. Anything else reads dq laid out as the image again (a Reshape, a
 * Transpose, a Reshape).
 *
 * Values and rounding are those of the original: each q is the value the Conv (or the pooled
 * input) had at that position, the bias added once, the same maximum. The small CNN's step: see the
 * package changeset.
 */
export function foldConvolutionPooling(graph: OnnxGraph, shapes: ValueShapes): OnnxGraph {
  const blocks = blocksOf(graph, shapes);
  if (blocks.length === 0) return graph;
  const producers = producersOf(graph.nodes);
  const before = new Map<OnnxNode, OnnxNode[]>();
  const replaced = new Map<OnnxNode, OnnxNode[]>();
  const initializers = [...graph.initializers];
  const readersByValue = new Map<string, OnnxNode[]>();
  for (const each of graph.nodes) for (const input of each.inputs) readersByValue.set(input, [...(readersByValue.get(input) ?? []), each]);
  const constant = (name: string, values: readonly number[]) => {
    initializers.push(int64(name, values));
    return name;
  };
  for (const block of blocks) {
    const { pool, unpool, batch, channels, outHeight, outWidth, convolution } = block;
    const [windowHeight, windowWidth] = block.window;
    const positions = windowHeight * windowWidth;
    const name = pool.outputs[0]!;
    const quarters = Array.from({ length: positions }, (_, k) => `${name}/q${k}`);
    const split = (input: string) =>
      node('Split', [input, constant(`${name}/split`, Array(positions).fill(channels))], quarters, { axis: { int: 1 } });
    if (convolution === undefined) {
      // The pooled value's window positions as channels, [N, P M, Ho / s, Wo / s], and their maximum.
      replaced.set(pool, [
        node('SpaceToDepth', [pool.inputs[0]!], [`${name}/positions`], { blocksize: { int: windowHeight } }),
        split(`${name}/positions`),
        node('Max', quarters, [name]),
      ]);
    } else {
      // The filter of every window position, the strided Conv, its blocks, their maximum and the ReLU.
      const { conv } = convolution;
      const forward = filtersByPosition(conv.inputs[1]!, name, block.window, 2, constant);
      forward.push(
        node(
          'Concat',
          quarters.map((_, k) => `${name}/filter${k}`),
          [`${name}/filters`],
          { axis: { int: 0 } },
        ),
      );
      const convInputs = [conv.inputs[0]!, `${name}/filters`];
      if (convolution.bias !== undefined) {
        forward.push(node('Concat', Array(positions).fill(convolution.bias), [`${name}/biases`], { axis: { int: 0 } }));
        convInputs.push(`${name}/biases`);
      }
      forward.push(
        node('Conv', convInputs, [`${name}/positions`], {
          strides: { ints: block.window },
          pads: { ints: intsOf(conv, 'pads') ?? [0, 0, 0, 0] },
        }),
        split(`${name}/positions`),
      );
      before.set(conv, forward);
      replaced.set(pool, [node('Max', quarters, [`${name}/max`]), node('Relu', [`${name}/max`], [name])]);
      replaced.set(convolution.relu, []);
      if (convolution.add !== undefined) replaced.set(convolution.add, []);
      replaced.set(conv, []);
    }
    const maximum = convolution === undefined ? name : `${name}/max`;
    // Backward: each window's g to its first maximum.
    const backward: OnnxNode[] = [];
    let rest = unpool.inputs[0]!;
    const parts: string[] = [];
    for (let k = 0; k < positions - 1; k++) {
      backward.push(
        node('Equal', [quarters[k]!, maximum], [`${name}/equal${k}`]),
        node('Cast', [`${name}/equal${k}`], [`${name}/is${k}`], { to: { int: 1 } }),
        node('Mul', [rest, `${name}/is${k}`], [`${name}/d${k}`]),
        node('Sub', [rest, `${name}/d${k}`], [`${name}/rest${k}`]),
      );
      parts.push(`${name}/d${k}`);
      rest = `${name}/rest${k}`;
    }
    parts.push(rest);
    backward.push(node('Concat', parts, [`${name}/dq`], { axis: { int: 1 } }));
    const unpooled = unpool.outputs[0]!;
    let needsImage = graph.outputs.some((output) => output.name === unpooled);
    for (const reader of readersByValue.get(unpooled) ?? []) {
      const rewritten = rewriteReader(graph, producers, reader, readersByValue, block, constant, initializers);
      if (rewritten === undefined) needsImage = true;
      else for (const [original, nodes] of rewritten) replaced.set(original, nodes);
    }
    if (needsImage) {
      backward.push(
        node(
          'Reshape',
          [
            `${name}/dq`,
            constant(`${name}/by-position`, [batch, windowHeight, windowWidth, channels, outHeight / windowHeight, outWidth / windowWidth]),
          ],
          [`${name}/dq6`],
        ),
        node('Transpose', [`${name}/dq6`], [`${name}/dq-image`], { perm: { ints: [0, 3, 4, 1, 5, 2] } }),
        node('Reshape', [`${name}/dq-image`, constant(`${name}/image`, [batch, channels, outHeight, outWidth])], [unpooled]),
      );
    }
    replaced.set(unpool, backward);
  }
  const nodes = graph.nodes.flatMap((each) => [...(before.get(each) ?? []), ...(replaced.get(each) ?? [each])]);
  return { ...graph, nodes, initializers };
}
