// The blocks the pooled-convolution pass rewrites (see fold-conv-pool.ts): a max pooling over
// windows that tile its input, whose indices only the gradient's MaxUnpool reads, and where the
// pooled value is a ReLU of a convolution of one input channel, that convolution.
import type { OnnxGraph, OnnxNode, OnnxTensor, ValueShapes } from './ir';
import { channelVectorOf, int64ValuesOf, producersOf, readersOf, shapeOf } from './ir';

type Ints = { ints: readonly number[] };
export const intsOf = (node: OnnxNode, name: string): readonly number[] | undefined => (node.attributes?.[name] as Ints | undefined)?.ints;
export const all = (values: readonly number[] | undefined, value: number): boolean =>
  values === undefined || values.every((each) => each === value);
export const node = (opType: string, inputs: string[], outputs: string[], attributes?: OnnxNode['attributes']): OnnxNode => ({
  opType,
  inputs,
  outputs,
  ...(attributes === undefined ? {} : { attributes }),
});
export const int64 = (name: string, values: readonly number[]): OnnxTensor => ({
  name,
  type: 'int64',
  shape: [values.length],
  values: BigInt64Array.from(values, (value) => BigInt(value)),
});

/** Adds an int64 initializer and returns its name. */
export type Constant = (name: string, values: readonly number[]) => string;

/** The offset (a, b) of window position k, row-major in a window of `[sH, sW]`. */
export const positionOf = (k: number, window: readonly [number, number]): [number, number] => [Math.floor(k / window[1]), k % window[1]];

/**
 * `filters` padded to each window position's place in a `[kH + sH - 1, kW + sW - 1]` window, its
 * filter height and width at axes `heightAxis` and `heightAxis + 1` of 4: one Pad per position,
 * `${prefix}/filter${k}`.
 */
export function filtersByPosition(
  filters: string,
  prefix: string,
  window: readonly [number, number],
  heightAxis: number,
  constant: Constant,
): OnnxNode[] {
  return Array.from({ length: window[0] * window[1] }, (_, k) => {
    const [a, b] = positionOf(k, window);
    const pads = [0, 0, 0, 0, 0, 0, 0, 0];
    [pads[heightAxis], pads[heightAxis + 1], pads[heightAxis + 4], pads[heightAxis + 5]] = [a, b, window[0] - 1 - a, window[1] - 1 - b];
    return node('Pad', [filters, constant(`${prefix}/pads${k}`, pads)], [`${prefix}/filter${k}`]);
  });
}

/**
 * The sum over window positions of each position's `[kH, kW]` part of `value`, whose position axis
 * is `positionAxis` and whose grown `[kH + sH - 1, kW + sW - 1]` extents are at `heightAxis` and
 * `heightAxis + 1` (position (a, b) reads rows a.. and columns b..): one Slice per position and a
 * Sum into `${prefix}/summed`, keeping the position axis (of extent 1).
 */
export function sumOverPositions(
  value: string,
  prefix: string,
  window: readonly [number, number],
  kernel: readonly [number, number],
  [positionAxis, heightAxis]: readonly [number, number],
  constant: Constant,
): OnnxNode[] {
  const parts = Array.from({ length: window[0] * window[1] }, (_, k) => {
    const [a, b] = positionOf(k, window);
    return node(
      'Slice',
      [
        value,
        constant(`${prefix}/starts${k}`, [k, a, b]),
        constant(`${prefix}/ends${k}`, [k + 1, a + kernel[0], b + kernel[1]]),
        constant(`${prefix}/axes${k}`, [positionAxis, heightAxis, heightAxis + 1]),
      ],
      [`${prefix}/position${k}`],
    );
  });
  return [
    ...parts,
    node(
      'Sum',
      parts.map((part) => part.outputs[0]!),
      [`${prefix}/summed`],
    ),
  ];
}

/** The convolution of one input channel (+ bias) + ReLU before a pooling, computed by window position. */
export interface PooledConvolution {
  conv: OnnxNode;
  /** The Add of the bias reshaped to [1, M, 1, 1], if any, and the bias vector. */
  add?: OnnxNode;
  bias?: string;
  relu: OnnxNode;
}

/** One pooling the pass rewrites, and its gradient's unpooling. */
export interface Block {
  pool: OnnxNode;
  unpool: OnnxNode;
  /** The convolution computed by window position; undefined: the pooling's input by SpaceToDepth. */
  convolution?: PooledConvolution;
  /** [N, M, Ho, Wo] of the pooling's input and the window [sH, sW]. */
  batch: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  window: [number, number];
}

/** The convolution of one channel, bias and ReLU that `pool` pools, if that is what it pools. */
function pooledConvolution(
  graph: OnnxGraph,
  shapes: ValueShapes,
  pool: OnnxNode,
  producers: Map<string, OnnxNode>,
  readers: Map<string, number>,
): PooledConvolution | undefined {
  const onlyReader = (name: string) => readers.get(name) === 1;
  const relu = producers.get(pool.inputs[0]!);
  if (relu?.opType !== 'Relu' || !onlyReader(relu.outputs[0]!)) return undefined;
  let convolved = relu.inputs[0]!;
  const add = producers.get(convolved);
  let conv = add;
  if (add?.opType === 'Add') {
    convolved = [add.inputs[0]!, add.inputs[1]!].find((input) => producers.get(input)?.opType === 'Conv') ?? '';
    conv = producers.get(convolved);
  }
  if (conv?.opType !== 'Conv' || conv.domain !== undefined || conv.inputs.length !== 2 || !onlyReader(conv.outputs[0]!)) return undefined;
  const group = (conv.attributes?.group as { int: number } | undefined)?.int ?? 1;
  if (!all(intsOf(conv, 'strides'), 1) || !all(intsOf(conv, 'dilations'), 1) || group > 1) return undefined;
  const input = shapeOf(graph, shapes, conv.inputs[0]!);
  const output = shapeOf(graph, shapes, conv.outputs[0]!);
  if (input?.length !== 4 || input[1] !== 1 || output?.length !== 4) return undefined;
  if (add === conv) return { conv, relu };
  const other = add!.inputs[0] === convolved ? add!.inputs[1]! : add!.inputs[0]!;
  const bias = channelVectorOf(graph, shapes, producers, other, output[1]!);
  return bias === undefined || !onlyReader(add!.outputs[0]!) ? undefined : { conv, add: add!, bias, relu };
}

/** The blocks of the graph the pass can rewrite (see fold-conv-pool.ts). */
export function blocksOf(graph: OnnxGraph, shapes: ValueShapes): Block[] {
  const producers = producersOf(graph.nodes);
  const readers = readersOf(graph);
  const blocks: Block[] = [];
  for (const pool of graph.nodes) {
    if (pool.opType !== 'MaxPool' || pool.outputs.length !== 2) continue;
    const kernel = intsOf(pool, 'kernel_shape');
    if (kernel?.length !== 2 || intsOf(pool, 'strides')?.join() !== kernel.join() || !all(intsOf(pool, 'pads'), 0)) continue;
    const unpools = graph.nodes.filter((each) => each.inputs.includes(pool.outputs[1]!));
    const unpool = unpools[0];
    if (unpools.length !== 1 || unpool!.opType !== 'MaxUnpool' || unpool!.inputs[1] !== pool.outputs[1]) continue;
    const shape = int64ValuesOf(graph, unpool!.inputs[2] ?? '');
    const [windowHeight, windowWidth] = kernel as [number, number];
    if (shape?.length !== 4 || shape[2]! % windowHeight !== 0 || shape[3]! % windowWidth !== 0) continue;
    const convolution = pooledConvolution(graph, shapes, pool, producers, readers);
    // SpaceToDepth has one block size.
    if (convolution === undefined && windowHeight !== windowWidth) continue;
    const [batch, channels, outHeight, outWidth] = shape as [number, number, number, number];
    blocks.push({
      pool,
      unpool: unpool!,
      ...(convolution === undefined ? {} : { convolution }),
      batch,
      channels,
      outHeight,
      outWidth,
      window: [windowHeight, windowWidth],
    });
  }
  return blocks;
}
