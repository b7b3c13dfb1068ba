import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { UnsupportedKernelError } from '../../errors';
import { OPSET, toOnnxType, type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxType } from './ir';

/** The value of a tensor that enters the graph from outside the traced function. */
export interface ExternalValue {
  dataId: DataId;
  shape: readonly number[];
  dtype: DataType;
}

/**
 * Names an external value: a state input, or undefined to embed the value as a constant.
 * Called once per external tensor.
 */
export type ExternalResolver = (value: ExternalValue) => string | undefined;

const shapeKey = (shape: readonly number[]): string => shape.join('x');

/**
 * Builds an ONNX graph while a function runs on the trace backend: every tensor the function
 * touches gets a value name, keyed by its data and its shape (tfjs reshapes share data), every
 * kernel adds nodes, and a tensor that comes from outside (a variable, a constant made from a
 * JS number) becomes a graph input or an initializer the first time a kernel reads it. One
 * builder serves one trace; the passes then take its nodes, initializers and shapes.
 */
export class GraphRecorder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** Value names by data id, then by shape. */
  private readonly names = new Map<DataId, Map<string, string>>();
  private readonly dtypes = new Map<string, DataType>();
  /** The node that makes each value, by value name. */
  private readonly producers = new Map<string, OnnxNode>();
  private readonly onesByShape = new Map<string, string>();
  /** The static shape of every value a kernel made and every transpose's input and output, for the passes. */
  readonly shapes = new Map<string, readonly number[]>();
  private counter = 0;
  /** Values derived once per trace and shared by the rules that need them (see `shared`). */
  private readonly derived = new Map<string, string>();
  /** How max pooling's gradient is lowered (see `PrepareOptions.maxPoolGradient`). */
  maxPoolGradient: 'indices' | 'compare' = 'indices';
  /**
   * How a convolution's input gradient is lowered (see `PrepareOptions.convolutionInputGradient`):
   * `'col2im'` needs `opset` 18 (`COL2IM_OPSET`).
   */
  convolutionInputGradient: 'col2im' | 'transposed' = 'transposed';
  /** The opset the graph is written for (the reductions' form depends on it). */
  opset = OPSET;
  /**
   * The channel block of onnxruntime's blocked (NCHWc) Conv kernels where the graph may use them
   * (the CPU provider's step graphs, see lower/nchwc-convolution.ts); undefined: plain Conv only.
   */
  nchwcBlock: number | undefined = undefined;

  constructor(
    private readonly resolveExternal: ExternalResolver,
    private readonly readValues: (dataId: DataId) => Float32Array | Int32Array | Uint8Array,
  ) {}

  /** A fresh value name. */
  fresh(prefix = 'v'): string {
    return `${prefix}${this.counter++}`;
  }

  /** Gives `info` the value name `name` (a graph input, or a node's output). */
  define(info: TensorInfo | ExternalValue, name: string): void {
    let byShape = this.names.get(info.dataId);
    if (byShape === undefined) {
      byShape = new Map();
      this.names.set(info.dataId, byShape);
    }
    byShape.set(shapeKey(info.shape), name);
    this.dtypes.set(name, info.dtype);
    this.recordShape(name, info.shape);
  }

  /** Whether this tensor already has a name in the graph. */
  has(info: TensorInfo | ExternalValue): boolean {
    return this.names.has(info.dataId);
  }

  /**
   * The value name of a tensor read by a kernel: its own, a reshape of the same data recorded
   * under another shape, or (first time seen) a graph input or an initializer.
   */
  nameOf(info: TensorInfo | ExternalValue, kernelName: string): string {
    const byShape = this.names.get(info.dataId);
    if (byShape === undefined) return this.external(info, kernelName);
    const exact = byShape.get(shapeKey(info.shape));
    if (exact !== undefined) return exact;
    const [source] = byShape.values() as IterableIterator<string>;
    const reshaped = this.emit('Reshape', [source!, this.int64Constant(info.shape)]);
    this.define(info, reshaped);
    return reshaped;
  }

  /** The tfjs dtype of a named value, read by a mapping of `kernelName`. */
  dtypeOf(name: string, kernelName: string): DataType {
    const dtype = this.dtypes.get(name);
    // Every value is defined with its dtype; an undefined one is a value no mapping defined.
    if (dtype === undefined) throw new UnsupportedKernelError(kernelName, `the value ${name}, whose dtype no mapping recorded`);
    return dtype;
  }

  /** Records the static shape of a value (its first record stands: a value has one shape). */
  recordShape(name: string, shape: readonly number[]): void {
    if (!this.shapes.has(name)) this.shapes.set(name, [...shape]);
  }

  /** The node that makes `name`; undefined for graph inputs and initializers. */
  producerOf(name: string): OnnxNode | undefined {
    return this.producers.get(name);
  }

  /**
   * The value `make` emits, emitted once per trace for each `key`: two rules that derive the same
   * table from the same value (a convolution and its filter gradient reading one input's rows)
   * share one node instead of computing it twice.
   */
  shared(key: string, make: () => string): string {
    let name = this.derived.get(key);
    if (name === undefined) {
      name = make();
      this.derived.set(key, name);
    }
    return name;
  }

  /** Adds a node whose outputs are already named (the step's named outputs). */
  addNode(node: OnnxNode): void {
    this.nodes.push(node);
    for (const output of node.outputs) this.producers.set(output, node);
  }

  /** Adds one node with one output (of the default domain unless `domain` is given) and returns the output's name. */
  emit(opType: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>, domain?: string): string {
    const output = this.fresh();
    this.addNode({ opType, inputs, outputs: [output], attributes, ...(domain === undefined ? {} : { domain }) });
    return output;
  }

  /** Adds one node with several outputs (names returned in order). */
  emitMany(opType: string, inputs: readonly string[], outputCount: number, attributes?: Record<string, OnnxAttribute>): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh());
    this.addNode({ opType, inputs, outputs, attributes });
    return outputs;
  }

  /**
   * An ONNX reduction over `axes`: ReduceSum takes them as an input, the others too from opset 18
   * (as an attribute before).
   */
  reduce(opType: string, input: string, axes: readonly number[], keepdims: boolean): string {
    const keep = { keepdims: { int: keepdims ? 1 : 0 } };
    if (opType === 'ReduceSum' || this.opset >= 18) return this.emit(opType, [input, this.int64Constant(axes)], keep);
    return this.emit(opType, [input], { axes: { ints: axes }, ...keep });
  }

  /** A constant initializer. */
  constant(type: OnnxType, shape: readonly number[], values: OnnxTensor['values']): string {
    const name = this.fresh('c');
    this.initializers.push({ name, type, shape: [...shape], values });
    this.recordShape(name, shape);
    return name;
  }

  /** A float32 constant of ones, one per shape: every bias's gradient (a row of ones times dy) reads the same. */
  ones(shape: readonly number[]): string {
    const key = shape.join(',');
    let name = this.onesByShape.get(key);
    if (name === undefined) {
      name = this.constant('float32', shape, new Float32Array(shape.reduce((product, extent) => product * extent, 1)).fill(1));
      this.onesByShape.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, permutations, pads). */
  int64Constant(values: readonly number[]): string {
    return this.constant(
      'int64',
      [values.length],
      BigInt64Array.from(values, (value) => BigInt(value)),
    );
  }

  /** A float32 scalar constant. */
  floatScalar(value: number): string {
    return this.constant('float32', [], Float32Array.of(value));
  }

  private external(info: TensorInfo | ExternalValue, kernelName: string): string {
    const type = toOnnxType(info.dtype, kernelName, 'an input');
    const input = this.resolveExternal(info);
    if (input !== undefined) {
      this.define(info, input);
      return input;
    }
    const values = this.readValues(info.dataId);
    const name = this.constant(type, info.shape, type === 'bool' ? Uint8Array.from(values) : values.slice());
    this.define(info, name);
    return name;
  }
}
