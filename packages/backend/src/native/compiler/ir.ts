// The compiler's intermediate representation: an ONNX graph as plain data (nodes, values,
// initializers, attributes, element types) and a traced step's interface to it. Tracing builds
// it, the passes (layout, prune, unroll) map it to another, and encode-onnx.ts writes it out.
import { UnsupportedKernelError } from '../../errors';

/** The ONNX element types the compiler uses (TensorProto.DataType). */
export const ONNX_TYPES = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;

/** An element type the compiler handles. */
export type OnnxType = keyof typeof ONNX_TYPES;

/** The opset of a graph that names none: exported models and GPU providers' steps (onnxruntime 1.30 supports it fully). */
export const OPSET = 17;
/** The opset of the CPU provider's steps, for Col2Im (a convolution's input gradient); reductions take their axes as an input there. */
export const COL2IM_OPSET = 18;

/** onnxruntime's domain of its blocked-channel (NCHWc) CPU kernels, opset 1 (see lower/nchwc-convolution.ts). */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/**
 * The ONNX element type of a tfjs dtype; `kernelName` and `what` name the kernel and the tensor in the error.
 *
 * @throws {UnsupportedKernelError} for a dtype the native engine does not handle (string, complex64).
 */
export function toOnnxType(dtype: string, kernelName: string, what: string): OnnxType {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new UnsupportedKernelError(kernelName, `${what} of dtype ${dtype} (the native engine handles float32, int32 and bool only)`);
}

/** A node attribute: a number (int unless `float` is used), a list of ints, or a tensor. */
export type OnnxAttribute = { int: number } | { float: number } | { ints: readonly number[] } | { tensor: OnnxTensor } | { string: string };

/** A constant tensor. */
export interface OnnxTensor {
  name: string;
  type: OnnxType;
  shape: readonly number[];
  values: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}

/** One node of the graph. */
export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttribute>>;
  domain?: string;
}

/** A graph input or output: a name, an element type and a static shape. */
export interface OnnxValueInfo {
  name: string;
  type: OnnxType;
  shape: readonly number[];
  /** Dimensions written as symbols (`dim_param`, such as a batch of any size) instead of `shape`'s sizes, by position. */
  dimParams?: readonly (string | undefined)[];
}

/** A whole graph: nodes in an order where every value is made before it is read. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** The opset the nodes are written for. @default OPSET */
  opset?: number;
}

/**
 * The static shapes of a graph's values, where the compiler knows them (every value a traced
 * tfjs kernel made, every transpose's input and output). Passes read them; they are not encoded.
 */
export type ValueShapes = ReadonlyMap<string, readonly number[]>;

/** One value a compiled step is fed or returns. */
export interface StepValue {
  /** The name in the graph. */
  graphName: string;
  shape: number[];
  dtype: OnnxType;
}

/** A traced step: its graph and how its inputs and outputs map to the definition's names. */
export interface TracedStep {
  graph: OnnxGraph;
  /** Per-step inputs by the definition's names. */
  inputs: Map<string, StepValue>;
  /** State variables the graph reads, by state name. */
  stateInputs: Map<string, StepValue>;
  /** State variables the graph updates, by state name: the new values. */
  stateOutputs: Map<string, StepValue>;
  /** The step's own outputs, by name. */
  outputs: Map<string, StepValue>;
  /** The tfjs kernels the step ran, in first-use order. */
  kernels: string[];
}

/** The node that makes each value of `nodes`, by value name. */
export function producersOf(nodes: readonly OnnxNode[]): Map<string, OnnxNode> {
  return new Map(nodes.flatMap((node) => node.outputs.map((output) => [output, node] as const)));
}

/** How many nodes read each value (graph outputs count as a reader). */
export function readersOf(graph: OnnxGraph): Map<string, number> {
  const readers = new Map<string, number>();
  const read = (name: string) => readers.set(name, (readers.get(name) ?? 0) + 1);
  for (const node of graph.nodes) node.inputs.forEach(read);
  for (const output of graph.outputs) read(output.name);
  return readers;
}

/** The static shape of `name`: recorded by the trace, or declared as a graph input or initializer. */
export function shapeOf(graph: OnnxGraph, shapes: ValueShapes, name: string): readonly number[] | undefined {
  return (
    shapes.get(name) ??
    graph.inputs.find((input) => input.name === name)?.shape ??
    graph.initializers.find((initializer) => initializer.name === name)?.shape
  );
}

/** The values of the int64 initializer `name` (a shape, axes, pads); undefined for anything else. */
export function int64ValuesOf(graph: OnnxGraph, name: string): number[] | undefined {
  const constant = graph.initializers.find((initializer) => initializer.name === name);
  return constant?.type === 'int64' ? Array.from(constant.values as BigInt64Array, Number) : undefined;
}

/**
 * The vector b of `name` = `Reshape(b, [1, C, 1, 1])`, b of shape [C] (a per-channel bias as tfjs's
 * `add` of a convolution's output lowers it); undefined where `name` is anything else.
 */
export function channelVectorOf(
  graph: OnnxGraph,
  shapes: ValueShapes,
  producers: ReadonlyMap<string, OnnxNode>,
  name: string,
  channels: number,
): string | undefined {
  const reshape = producers.get(name);
  if (reshape?.opType !== 'Reshape') return undefined;
  const target = int64ValuesOf(graph, reshape.inputs[1]!);
  if (target?.length !== 4 || target.some((extent, axis) => extent !== (axis === 1 ? channels : 1))) return undefined;
  const vector = shapeOf(graph, shapes, reshape.inputs[0]!);
  return vector?.length === 1 && vector[0] === channels ? reshape.inputs[0] : undefined;
}

/** Whether two static shapes are known and equal. */
export const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((extent, axis) => extent === b[axis]);

/** How many elements a shape holds (Infinity when it is not known). */
export const elementsOf = (shape: readonly number[] | undefined): number =>
  shape === undefined ? Infinity : shape.reduce((a, b) => a * b, 1);

/** Whether `shape` broadcasts to `target` one way only (ONNX Gemm's C): right-aligned, each extent 1 or equal. */
export function broadcastsTo(shape: readonly number[] | undefined, target: readonly number[] | undefined): boolean {
  if (shape === undefined || target === undefined || shape.length > target.length) return false;
  const offset = target.length - shape.length;
  return shape.every((extent, axis) => extent === 1 || extent === target[axis + offset]);
}
