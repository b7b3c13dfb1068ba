// The readers of an unpooled gradient that the pooled-convolution pass (fold-conv-pool.ts) gives
// the gradient by window position: the bias gradient, a one-channel filter gradient's grouped Conv,
// a convolution's input gradient by Col2Im.
import { all, filtersByPosition, intsOf, node, sumOverPositions, type Block, type Constant } from './conv-pool-block';
import { int64ValuesOf, type OnnxGraph, type OnnxNode, type OnnxTensor } from './ir';

/**
 * The nodes that replace `reshape` (a reader of the unpooled gradient) and the reader of its
 * output, reading the gradient by window position instead (see {@link foldConvolutionPooling});
 * undefined for a reader of another form.
 */
export function rewriteReader(
  graph: OnnxGraph,
  producers: ReadonlyMap<string, OnnxNode>,
  reshape: OnnxNode,
  readersByValue: ReadonlyMap<string, OnnxNode[]>,
  block: Block,
  constant: Constant,
  initializers: OnnxTensor[],
): [OnnxNode, OnnxNode[]][] | undefined {
  if (reshape.opType !== 'Reshape') return undefined;
  const target = int64ValuesOf(graph, reshape.inputs[1]!);
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
  if (reader.opType === 'Transpose' && target.join() === [batch * channels, outHeight * outWidth].join()) {
    return filterGradient(graph, producers, reshape, reader, readersByValue, block, constant, initializers);
  }
  if (reader.opType === 'MatMul' && target.join() === [batch, channels, outHeight * outWidth].join()) {
    return inputGradient(graph, producers, reshape, reader, readersByValue, block, constant);
  }
  // The filter gradient of one input channel: a Conv of N groups with dy as its kernels.
  const group = (reader.attributes?.group as { int: number } | undefined)?.int;
  const imageShape = int64ValuesOf(
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
  nodes.push(...sumOverPositions(`${output}/by-position5`, output, block.window, [kernelHeight, kernelWidth], [1, 3], constant));
  nodes.push(
    node('Reshape', [`${output}/summed`, constant(`${output}/shape`, [1, batch * channels, kernelHeight, kernelWidth])], [output]),
  );
  return [
    [reshape, []],
    [reader, nodes],
  ];
}

/**
 * A convolution's input gradient as lower/convolution.ts writes it, `Col2Im(MatMul(columns,
 * Reshape(dy, [N, M, Ho Wo])))` with the filters as columns `[C kH kW, M]` (stride and dilation 1),
 * becomes the same of dq: the columns of every window position's filter (the filter padded to its
 * place in a `[kH + sH - 1, kW + sW - 1]` window), `[C kH' kW', P M]`, times dq as `[N, P M, Ho Wo / P]`,
 * and a Col2Im of those windows with the pooling's stride. P times fewer columns are added up
 * (Col2Im runs on one thread).
 */
function inputGradient(
  graph: OnnxGraph,
  producers: ReadonlyMap<string, OnnxNode>,
  reshape: OnnxNode,
  product: OnnxNode,
  readersByValue: ReadonlyMap<string, OnnxNode[]>,
  block: Block,
  constant: Constant,
): [OnnxNode, OnnxNode[]][] | undefined {
  const next = readersByValue.get(product.outputs[0]!) ?? [];
  const col2im = next[0];
  if (
    product.inputs[1] !== reshape.outputs[0] ||
    next.length !== 1 ||
    col2im?.opType !== 'Col2Im' ||
    col2im.inputs[0] !== product.outputs[0]
  )
    return undefined;
  if (!all(intsOf(col2im, 'strides'), 1) || !all(intsOf(col2im, 'dilations'), 1)) return undefined;
  if (graph.outputs.some((output) => output.name === product.outputs[0])) return undefined;
  const columns = product.inputs[0]!;
  const columnShape = int64ValuesOf(graph, producers.get(columns)?.opType === 'Reshape' ? producers.get(columns)!.inputs[1]! : '');
  const kernel = int64ValuesOf(graph, col2im.inputs[2]!);
  const { batch, channels, outHeight, outWidth } = block;
  const [windowHeight, windowWidth] = block.window;
  const positions = windowHeight * windowWidth;
  if (columnShape?.length !== 2 || columnShape[1] !== channels || kernel?.length !== 2) return undefined;
  const [kernelHeight, kernelWidth] = kernel as [number, number];
  const inChannels = columnShape[0]! / (kernelHeight * kernelWidth);
  if (!Number.isInteger(inChannels)) return undefined;
  const name = block.pool.outputs[0]!;
  const output = col2im.outputs[0]!;
  const grown = [kernelHeight + windowHeight - 1, kernelWidth + windowWidth - 1] as const;
  const nodes: OnnxNode[] = [
    node(
      'Reshape',
      [columns, constant(`${output}/filter-shape`, [inChannels, kernelHeight, kernelWidth, channels])],
      [`${output}/filters`],
    ),
  ];
  nodes.push(...filtersByPosition(`${output}/filters`, output, block.window, 1, constant));
  nodes.push(
    node(
      'Concat',
      Array.from({ length: positions }, (_, k) => `${output}/filter${k}`),
      [`${output}/by-position`],
      { axis: { int: 3 } },
    ),
    node(
      'Reshape',
      [`${output}/by-position`, constant(`${output}/columns-shape`, [inChannels * grown[0] * grown[1], positions * channels])],
      [`${output}/columns`],
    ),
    node(
      'Reshape',
      [`${name}/dq`, constant(`${output}/dq-shape`, [batch, positions * channels, (outHeight * outWidth) / positions])],
      [`${output}/dq`],
    ),
    node('MatMul', [`${output}/columns`, `${output}/dq`], [`${output}/products`]),
    node('Col2Im', [`${output}/products`, col2im.inputs[1]!, constant(`${output}/window`, grown)], [output], {
      ...col2im.attributes,
      strides: { ints: block.window },
    }),
  );
  return [
    [reshape, []],
    [product, []],
    [col2im, nodes],
  ];
}

/**
 * A convolution's filter gradient as lower/convolution.ts writes it (stride 1), the patch table of
 * its input `[kH kW C, Ho Wo N]` (one Gather of rows of the `[C Hp Wp, N]` input) times dy as
 * `[Ho Wo N, M]` (dy's `[N M, Ho Wo]` transposed, then Reshapes), becomes the same with dq: the
 * table of `[kH + sH - 1, kW + sW - 1]` patches at the pooling's stride, P times fewer rows, times
 * dq as `[Ho Wo N / P, P M]`; each window position's `[kH, kW]` part of the product is summed.
 */
function filterGradient(
  graph: OnnxGraph,
  producers: ReadonlyMap<string, OnnxNode>,
  reshape: OnnxNode,
  transpose: OnnxNode,
  readersByValue: ReadonlyMap<string, OnnxNode[]>,
  block: Block,
  constant: Constant,
  initializers: OnnxTensor[],
): [OnnxNode, OnnxNode[]][] | undefined {
  const { batch, channels, outHeight, outWidth } = block;
  const [windowHeight, windowWidth] = block.window;
  const positions = windowHeight * windowWidth;
  const graphOutputs = new Set(graph.outputs.map((output) => output.name));
  const onlyReader = (name: string) =>
    graphOutputs.has(name) ? undefined : (readersByValue.get(name) ?? []).length === 1 ? readersByValue.get(name)![0] : undefined;
  if (intsOf(transpose, 'perm')?.join() !== '1,0') return undefined;
  // Reshapes of dy's transpose, then the product with the patch table, then the filter's shape.
  const chain: OnnxNode[] = [reshape, transpose];
  let next = onlyReader(transpose.outputs[0]!);
  while (next?.opType === 'Reshape') {
    chain.push(next);
    next = onlyReader(next.outputs[0]!);
  }
  const product = next;
  const last = chain.at(-1)!;
  if (product?.opType !== 'MatMul' || product.inputs[1] !== last.outputs[0] || chain.length < 3) return undefined;
  if (int64ValuesOf(graph, last.inputs[1]!)?.join() !== [outHeight * outWidth * batch, channels].join()) return undefined;
  const filter = onlyReader(product.outputs[0]!);
  const filterShape = filter?.opType === 'Reshape' ? int64ValuesOf(graph, filter.inputs[1]!) : undefined;
  const stacked = producers.get(product.inputs[0]!);
  const gather = stacked?.opType === 'Reshape' ? producers.get(stacked.inputs[0]!) : undefined;
  if (filterShape?.length !== 4 || filterShape[3] !== channels || gather?.opType !== 'Gather') return undefined;
  const [kernelHeight, kernelWidth, inChannels] = filterShape as [number, number, number];
  const table = gather.inputs[0]!;
  const tableShape = int64ValuesOf(graph, producers.get(table)?.opType === 'Reshape' ? producers.get(table)!.inputs[1]! : '');
  const [paddedHeight, paddedWidth] = [outHeight + kernelHeight - 1, outWidth + kernelWidth - 1];
  if (tableShape?.join() !== [inChannels * paddedHeight * paddedWidth, batch].join()) return undefined;
  if (((gather.attributes?.axis as { int: number } | undefined)?.int ?? 0) !== 0) return undefined;
  const [height, width] = [outHeight / windowHeight, outWidth / windowWidth];
  const grown = [kernelHeight + windowHeight - 1, kernelWidth + windowWidth - 1] as const;
  const rows = new Int32Array(grown[0] * grown[1] * inChannels * height * width);
  let index = 0;
  for (let kh = 0; kh < grown[0]; kh++)
    for (let kw = 0; kw < grown[1]; kw++)
      for (let c = 0; c < inChannels; c++)
        for (let i = 0; i < height; i++)
          for (let j = 0; j < width; j++) rows[index++] = (c * paddedHeight + kh + i * windowHeight) * paddedWidth + kw + j * windowWidth;
  const name = block.pool.outputs[0]!;
  const output = filter!.outputs[0]!;
  const rowsName = `${output}/patch-rows`;
  const nodes: OnnxNode[] = [
    node('Gather', [table, rowsName], [`${output}/patches`], { axis: { int: 0 } }),
    node(
      'Reshape',
      [`${output}/patches`, constant(`${output}/table-shape`, [grown[0] * grown[1] * inChannels, height * width * batch])],
      [`${output}/table`],
    ),
    node(
      'Reshape',
      [`${name}/dq`, constant(`${output}/dq-rows-shape`, [batch * positions * channels, height * width])],
      [`${output}/dq-rows`],
    ),
    node('Transpose', [`${output}/dq-rows`], [`${output}/dq-moved`], { perm: { ints: [1, 0] } }),
    node(
      'Reshape',
      [`${output}/dq-moved`, constant(`${output}/dq-shape`, [height * width * batch, positions * channels])],
      [`${output}/dq`],
    ),
    node('MatMul', [`${output}/table`, `${output}/dq`], [`${output}/product`]),
    node(
      'Reshape',
      [`${output}/product`, constant(`${output}/by-position-shape`, [grown[0], grown[1], inChannels, positions, channels])],
      [`${output}/by-position`],
    ),
  ];
  nodes.push(...sumOverPositions(`${output}/by-position`, output, block.window, [kernelHeight, kernelWidth], [3, 0], constant));
  nodes.push(node('Reshape', [`${output}/summed`, filter!.inputs[1]!], [output]));
  initializers.push({ name: rowsName, type: 'int32', shape: [rows.length], values: rows });
  return [...chain.map((each): [OnnxNode, OnnxNode[]] => [each, []]), [product, []], [filter!, nodes]];
}
