// The pooled-convolution pass: a convolution of one input channel followed by ReLU and max pooling
// over windows that tile the image (a CNN's first layer) computed as one strided convolution that
// gives every window position its own channels, so that neither a full-size activation nor
// onnxruntime's MaxPool with indices (a scalar loop: a fifth of the small CNN's step) is needed.
import type { OnnxGraph, OnnxNode, OnnxTensor, ValueShapes } from './ir';
import { producersOf, readersOf, shapeOf } from './ir';

type Ints = { ints: readonly number[] };
const intsOf = (node: OnnxNode, name: string): readonly number[] | undefined => (node.attributes?.[name] as Ints | undefined)?.ints;
const all = (values: readonly number[] | undefined, value: number): boolean =>
  values === undefined || values.every((each) => each === value);
const node = (opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs,
  ...(attributes === undefined ? {} : { attributes }),
});
const int64 = (name: string, values: readonly number[]): OnnxTensor => ({
  name,
  type: 'int64',
  shape: [values.length],
  values: BigInt64Array.from(values, (value) => BigInt(value)),
});

/** One convolution + (bias) + ReLU + max pooling block that the pass rewrites, and its gradient's unpooling. */
interface Block {
  conv: OnnxNode;
  /** The Add of the bias reshaped to [1, M, 1, 1], if any, and the bias vector. */
  add?: OnnxNode;
  bias?: string;
  relu: OnnxNode;
  pool: OnnxNode;
  unpool: OnnxNode;
  /** [N, M, Ho, Wo] of the convolution and the window [sH, sW]. */
  batch: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  window: [number, number];
}

/** The bias vector b of `Add(conv, Reshape(b, [1, M, 1, 1]))`, if `add` is that with `conv` on one side. */
function biasOf(
  graph: OnnxGraph,
  producers: Map<string, OnnxNode>,
  add: OnnxNode,
  convolved: string,
  channels: number,
): string | undefined {
  const other = add.inputs[0] === convolved ? add.inputs[1] : add.inputs[1] === convolved ? add.inputs[0] : undefined;
  const reshape = other === undefined ? undefined : producers.get(other);
  if (reshape?.opType !== 'Reshape') return undefined;
  const target = graph.initializers.find((initializer) => initializer.name === reshape.inputs[1]);
  const extents = target?.type === 'int64' ? Array.from(target.values as BigInt64Array, Number) : [];
  return extents.length === 4 && extents.every((extent, axis) => extent === (axis === 1 ? channels : 1)) ? reshape.inputs[0] : undefined;
}

/** The blocks of the graph the pass can rewrite (see {@link foldConvolutionPooling}). */
function blocksOf(graph: OnnxGraph, shapes: ValueShapes): Block[] {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const onlyReader = (name: string) => readers.get(name) === 1;
  const blocks: Block[] = [];
  for (const pool of graph.nodes) {
    if (pool.opType !== 'MaxPool' || pool.outputs.length !== 2) continue;
    const kernel = intsOf(pool, 'kernel_shape');
    if (kernel?.length !== 2 || intsOf(pool, 'strides')?.join() !== kernel.join() || !all(intsOf(pool, 'pads'), 0)) continue;
    const relu = producers.get(pool.inputs[0]!);
    if (relu?.opType !== 'Relu' || !onlyReader(relu.outputs[0]!)) continue;
    let convolved = relu.inputs[0]!;
    const add = producers.get(convolved);
    let conv = add;
    if (add?.opType === 'Add') {
      convolved = [add.inputs[0]!, add.inputs[1]!].find((input) => producers.get(input)?.opType === 'Conv') ?? '';
      conv = producers.get(convolved);
    }
    if (conv?.opType !== 'Conv' || conv.inputs.length !== 2 || !onlyReader(conv.outputs[0]!)) continue;
    if (
      !all(intsOf(conv, 'strides'), 1) ||
      !all(intsOf(conv, 'dilations'), 1) ||
      ((conv.attributes?.group as { int: number } | undefined)?.int ?? 1) > 1
    )
      continue;
    const input = shapeOf(graph, shapes, conv.inputs[0]!);
    const weights = shapeOf(graph, shapes, conv.inputs[1]!);
    const output = shapeOf(graph, shapes, conv.outputs[0]!);
    if (input?.length !== 4 || input[1] !== 1 || weights?.length !== 4 || output?.length !== 4) continue;
    const [batch, channels, outHeight, outWidth] = output as [number, number, number, number];
    const [windowHeight, windowWidth] = kernel as [number, number];
    if (outHeight % windowHeight !== 0 || outWidth % windowWidth !== 0) continue;
    let bias: string | undefined;
    if (add !== conv) {
      bias = biasOf(graph, producers, add!, convolved, channels);
      if (bias === undefined || !onlyReader(add!.outputs[0]!)) continue;
    }
    const unpools = graph.nodes.filter((each) => each.inputs.includes(pool.outputs[1]!));
    if (unpools.length !== 1 || unpools[0]!.opType !== 'MaxUnpool' || unpools[0]!.inputs[1] !== pool.outputs[1]) continue;
    blocks.push({
      conv,
      ...(bias === undefined ? {} : { add, bias }),
      relu,
      pool,
      unpool: unpools[0]!,
      batch,
      channels,
      outHeight,
      outWidth,
      window: [windowHeight, windowWidth],
    });
  }
  return blocks;
}

const int64Values = (graph: OnnxGraph, name: string): number[] | undefined => {
  const constant = graph.initializers.find((initializer) => initializer.name === name);
  return constant?.type === 'int64' ? Array.from(constant.values as BigInt64Array, Number) : undefined;
};

/**
 * The nodes that replace `reshape` (a reader of the unpooled gradient) and the reader of its
 * output, reading the gradient by window position instead (see {@link foldConvolutionPooling});
 * undefined for a reader of another form.
 */
function rewriteReader(
  graph: OnnxGraph,
  producers: ReadonlyMap<string, OnnxNode>,
  reshape: OnnxNode,
  readersByValue: ReadonlyMap<string, OnnxNode[]>,
  block: Block,
  constant: (name: string, values: readonly number[]) => string,
  initializers: OnnxTensor[],
): [OnnxNode, OnnxNode[]][] | undefined {
  if (reshape.opType !== 'Reshape') return undefined;
  const target = int64Values(graph, reshape.inputs[1]!);
  const next = readersByValue.get(reshape.outputs[0]!) ?? [];
  if (target === undefined || next.length !== 1 || graph.outputs.some((output) => output.name === reshape.outputs[0])) return undefined;
  const reader = next[0]!;
  const { batch, channels, outHeight, outWidth, unpool } = block;
  const [windowHeight, windowWidth] = block.window;
  const positions = windowHeight * windowWidth;
  const [height, width] = [outHeight / windowHeight, outWidth / windowWidth];
  const name = block.pool.outputs[0]!;
  const output = reader.outputs[0]!;
  // The bias gradient: [N M, Ho Wo] times a column of ones.
  if (
    target.join() === [batch * channels, outHeight * outWidth].join() &&
    reader.opType === 'MatMul' &&
    reader.inputs[0] === reshape.outputs[0]
  ) {
    const ones = graph.initializers.find((initializer) => initializer.name === reader.inputs[1]);
    if (ones?.type !== 'float32' || ones.shape.join() !== [outHeight * outWidth, 1].join() || !ones.values.every((value) => value === 1))
      return undefined;
    initializers.push({
      name: `${output}/ones`,
      type: 'float32',
      shape: [height * width, 1],
      values: new Float32Array(height * width).fill(1),
    });
    return [
      [reshape, []],
      [
        reader,
        [
          node('Reshape', [unpool.inputs[0]!, constant(`${output}/rows-shape`, [batch * channels, height * width])], [`${output}/rows`]),
          node('MatMul', [`${output}/rows`, `${output}/ones`], [output]),
        ],
      ],
    ];
  }
  // The filter gradient of one input channel: a Conv of N groups with dy as its kernels.
  const group = (reader.attributes?.group as { int: number } | undefined)?.int;
  const imageShape = int64Values(
    graph,
    producers.get(reader.inputs[0]!)?.opType === 'Reshape' ? producers.get(reader.inputs[0]!)!.inputs[1]! : '',
  );
  if (
    target.join() !== [batch * channels, 1, outHeight, outWidth].join() ||
    reader.opType !== 'Conv' ||
    reader.inputs.length !== 2 ||
    reader.inputs[1] !== reshape.outputs[0] ||
    group !== batch ||
    imageShape?.length !== 4 ||
    !all(intsOf(reader, 'strides'), 1) ||
    !all(intsOf(reader, 'dilations'), 1)
  )
    return undefined;
  const [top, left, bottom, right] = intsOf(reader, 'pads') ?? [0, 0, 0, 0];
  // Each image's [M, kH', kW'] as the original Conv gives it, and [P, M, kH' + sH - 1, kW' + sW - 1] by position.
  const kernelHeight = imageShape[2]! + top! + bottom! - outHeight + 1;
  const kernelWidth = imageShape[3]! + left! + right! - outWidth + 1;
  const nodes: OnnxNode[] = [
    node(
      'Reshape',
      [`${name}/dq`, constant(`${output}/kernel-shape`, [batch * positions * channels, 1, height, width])],
      [`${output}/kernels`],
    ),
    node('Conv', [reader.inputs[0]!, `${output}/kernels`], [`${output}/by-position`], {
      group: { int: batch },
      dilations: { ints: block.window },
      pads: { ints: [top!, left!, bottom!, right!] },
    }),
    node(
      'Reshape',
      [
        `${output}/by-position`,
        constant(`${output}/position-shape`, [batch, positions, channels, kernelHeight + windowHeight - 1, kernelWidth + windowWidth - 1]),
      ],
      [`${output}/by-position5`],
    ),
  ];
  const slices = Array.from({ length: positions }, (_, k) => {
    const [a, b] = [Math.floor(k / windowWidth), k % windowWidth];
    nodes.push(
      node(
        'Slice',
        [
          `${output}/by-position5`,
          constant(`${output}/starts${k}`, [k, a, b]),
          constant(`${output}/ends${k}`, [k + 1, a + kernelHeight, b + kernelWidth]),
          constant(`${output}/axes${k}`, [1, 3, 4]),
        ],
        [`${output}/position${k}`],
      ),
    );
    return `${output}/position${k}`;
  });
  nodes.push(
    node('Sum', slices, [`${output}/summed`]),
    node('Reshape', [`${output}/summed`, constant(`${output}/shape`, [1, batch * channels, kernelHeight, kernelWidth])], [output]),
  );
  return [
    [reshape, []],
    [reader, nodes],
  ];
}

/**
 * Every `MaxPool(Relu(Conv(x, W) [+ b]))` over windows that tile the convolution's output (kernel =
 * stride, no padding), x of one channel and the Conv of stride and dilation 1, whose indices only
 * the gradient's MaxUnpool reads, is computed by window position: a Conv of stride sH x sW with a
 * `[kH + sH - 1, kW + sW - 1]` filter per (position, filter), the filter padded to its place
 * in the window, gives `q_(a,b)[n, m, i, j] = conv[n, m, i sH + a, j sW + b]` (+ b) as P = sH sW
 * blocks of M channels; the pooled value is `Relu(Max(q_0, ..., q_(P-1)))`. The gradient gives
 * each window's g (already times the ReLU's step, see fold-pooling.ts) to the first position equal
 * to the maximum, row-major as tfjs's kernel picks on ties: `d_k = r_k Equal(q_k, max)`,
 * `r_(k+1) = r_k - d_k`, the last position taking what is left; `dq = Concat(d_0, ..., d_(P-1))`.
 * The readers of the unpooled gradient take it in that form where they can:
 *
 * - the filter gradient's grouped Conv (lower/grouped-filter-gradient.ts) becomes one of dq,
 *   dilated by the window, and each image's `[P, M, kH + sH - 1, kW + sW - 1]` is summed over
 *   its window positions' `[kH, kW]` windows;
 * - the bias gradient's product of `[N M, Ho Wo]` with ones becomes one of g, `[N M, Ho Wo / P]`
 *   (every value of the unpooled gradient is a value of g or zero);
 * - anything else reads dq laid out as the image again (a Reshape, a Transpose, a Reshape).
 *
 * Values and rounding are those of the original: each q is the sum the Conv computed for that
 * output, the bias added once, the same maximum. The small CNN's step: see the package changeset.
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
    const { conv, pool, unpool, batch, channels, outHeight, outWidth } = block;
    const [windowHeight, windowWidth] = block.window;
    const positions = windowHeight * windowWidth;
    const name = pool.outputs[0]!;
    const pads = intsOf(conv, 'pads') ?? [0, 0, 0, 0];
    const phase = Array.from({ length: positions }, (_, k) => [Math.floor(k / windowWidth), k % windowWidth] as const);
    // Forward: the filter of every window position, the strided Conv, its blocks and their maximum.
    const forward: OnnxNode[] = phase.map(([a, b], k) =>
      node(
        'Pad',
        [conv.inputs[1]!, constant(`${name}/pads${k}`, [0, 0, a, b, 0, 0, windowHeight - 1 - a, windowWidth - 1 - b])],
        [`${name}/filter${k}`],
      ),
    );
    forward.push(
      node(
        'Concat',
        phase.map((_, k) => `${name}/filter${k}`),
        [`${name}/filters`],
        { axis: { int: 0 } },
      ),
    );
    const convInputs = [conv.inputs[0]!, `${name}/filters`];
    if (block.bias !== undefined) {
      forward.push(node('Concat', Array(positions).fill(block.bias), [`${name}/biases`], { axis: { int: 0 } }));
      convInputs.push(`${name}/biases`);
    }
    forward.push(
      node('Conv', convInputs, [`${name}/positions`], { strides: { ints: block.window }, pads: { ints: pads } }),
      node(
        'Split',
        [`${name}/positions`, constant(`${name}/split`, Array(positions).fill(channels))],
        phase.map((_, k) => `${name}/q${k}`),
        {
          axis: { int: 1 },
        },
      ),
    );
    before.set(conv, forward);
    const quarters = phase.map((_, k) => `${name}/q${k}`);
    replaced.set(pool, [node('Max', quarters, [`${name}/max`]), node('Relu', [`${name}/max`], [name])]);
    replaced.set(block.relu, []);
    if (block.add !== undefined) replaced.set(block.add, []);
    replaced.set(conv, []);
    // Backward: each window's g to its first maximum.
    const backward: OnnxNode[] = [];
    let rest = unpool.inputs[0]!;
    const parts: string[] = [];
    for (let k = 0; k < positions - 1; k++) {
      backward.push(
        node('Equal', [quarters[k]!, `${name}/max`], [`${name}/equal${k}`]),
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
