import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, SdaeError, requirePositiveInteger } from '@sdae/core';
import { encodeOnnxModel } from './encode-onnx';
import type { OnnxGraph, OnnxTensor, TracedStep } from './ir';
import { traceStep } from './trace';

/** An inference function written with tfjs ops (a model's `predict`), to write as one ONNX graph. */
export interface InferenceDefinition {
  /** Names the graph. */
  name: string;
  /** The shape of one example of each input, without the batch dimension (`[784]`, `[28, 28, 1]`). */
  inputs: Record<string, readonly number[]>;
  /**
   * Computes the named outputs from a batch of each input. Every tensor it reads that is not an
   * input (the weights) is written into the graph as a constant.
   */
  run: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor>;
}

/** Options of {@link traceInference}. */
export interface TraceInferenceOptions {
  /**
   * The batch dimension of the graph: `'dynamic'` (a symbolic `batch`, any number of examples) or
   * a fixed number of examples. @default 'dynamic'
   */
  batchSize?: number | 'dynamic';
}

/**
 * The traced graph cannot take a batch of any size: its constants depend on the batch in a way
 * that is not one Reshape dimension. Pass a fixed `batchSize` instead.
 */
export class DynamicBatchError extends SdaeError {
  constructor(
    readonly graph: string,
    readonly constant: string,
  ) {
    super(
      `traceInference: the graph ${graph} cannot take a batch of any size: its constant ${constant} depends on the batch ` +
        `size other than as one Reshape dimension. Pass a fixed batchSize (a whole number >= 1) to export it for that many examples.`,
    );
  }
}

/** The batch sizes of the two traces compared to find what depends on the batch. */
const PROBE_BATCHES = [2, 3] as const;

/** The symbolic name of the batch dimension in a dynamic graph's inputs and outputs. */
export const BATCH_DIMENSION = 'batch';

async function traceAt(definition: InferenceDefinition, batch: number): Promise<TracedStep> {
  const shapes = Object.fromEntries(Object.entries(definition.inputs).map(([name, shape]) => [name, [batch, ...shape]]));
  return traceStep({ name: definition.name, state: new Map(), step: definition.run }, shapes);
}

/** The graph with the step compiler's `input:x` / `output:y` names replaced by plain `x` / `y`. */
function plainNames(traced: TracedStep): OnnxGraph {
  const renamed = new Map<string, string>();
  for (const [name, value] of [...traced.inputs, ...traced.outputs]) renamed.set(value.graphName, name);
  const rename = (name: string): string => renamed.get(name) ?? name;
  const { graph } = traced;
  return {
    ...graph,
    nodes: graph.nodes.map((node) => ({ ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) })),
    inputs: graph.inputs.map((info) => ({ ...info, name: rename(info.name) })),
    outputs: graph.outputs.map((info) => ({ ...info, name: rename(info.name) })),
  };
}

const sameValues = (a: OnnxTensor['values'], b: OnnxTensor['values']): boolean =>
  a.length === b.length && a.every((value: number | bigint, index: number) => value === b[index]);

/**
 * Merges two traces of the same function at batch sizes 2 and 3 into one graph whose batch is
 * symbolic: where the two differ only in a Reshape's target shape, the batch dimension becomes -1
 * (Reshape's "infer this one"); the inputs' and outputs' leading dimension becomes `batch`.
 *
 * @throws {DynamicBatchError} when anything else differs.
 */
function generalizeBatch(small: OnnxGraph, large: OnnxGraph): OnnxGraph {
  const [a, b] = PROBE_BATCHES;
  const structure = (graph: OnnxGraph) =>
    JSON.stringify(graph.nodes.map((node) => [node.opType, node.inputs, node.outputs, node.attributes, node.domain]));
  if (structure(small) !== structure(large) || small.initializers.length !== large.initializers.length)
    throw new DynamicBatchError(small.name, '(the graph itself)');
  const reshapeTargets = new Set(small.nodes.filter((node) => node.opType === 'Reshape').map((node) => node.inputs[1]));
  const otherUses = new Set(small.nodes.flatMap((node) => node.inputs.filter((_, index) => node.opType !== 'Reshape' || index !== 1)));
  const initializers = small.initializers.map((tensor, index): OnnxTensor => {
    const other = large.initializers[index]!;
    if (other.name !== tensor.name || JSON.stringify(other.shape) !== JSON.stringify(tensor.shape))
      throw new DynamicBatchError(small.name, tensor.name);
    if (sameValues(tensor.values, other.values)) return tensor;
    const reshapeOnly = reshapeTargets.has(tensor.name) && !otherUses.has(tensor.name) && tensor.type === 'int64';
    const values = tensor.values as BigInt64Array;
    const changed = [...values.keys()].filter((position) => values[position] !== (other.values as BigInt64Array)[position]);
    const batchOnly = changed.length === 1 && values[changed[0]!] === BigInt(a) && other.values[changed[0]!] === BigInt(b);
    if (!reshapeOnly || !batchOnly) throw new DynamicBatchError(small.name, tensor.name);
    const generalized = values.slice();
    generalized[changed[0]!] = -1n;
    return { ...tensor, values: generalized };
  });
  const symbolic = (infos: OnnxGraph['inputs'], others: OnnxGraph['inputs']) =>
    infos.map((info, index) => {
      const other = others[index]!;
      if (info.shape[0] !== a || other.shape[0] !== b) throw new DynamicBatchError(small.name, info.name);
      return { ...info, dimParams: [BATCH_DIMENSION] };
    });
  return { ...small, initializers, inputs: symbolic(small.inputs, large.inputs), outputs: symbolic(small.outputs, large.outputs) };
}

/**
 * Traces an inference function on tfjs's cpu kernels (the step compiler's trace) into an ONNX
 * graph whose inputs and outputs carry the definition's names and whose weights are constants.
 * With a dynamic batch (the default) the function is traced at two batch sizes and the graph
 * takes any number of examples.
 *
 * @throws {UnsupportedKernelError} when the function runs a kernel that has no ONNX form yet.
 * @throws {DynamicBatchError} when a dynamic batch is asked for and the graph cannot have one.
 * @example
 * const graph = await traceInference({ name: 'logistic', inputs: { x: [784] }, run: ({ x }) => ({ probabilities: model.predict(x) }) });
 */
export async function traceInference(definition: InferenceDefinition, options: TraceInferenceOptions = {}): Promise<OnnxGraph> {
  const batchSize = options.batchSize ?? 'dynamic';
  if (batchSize !== 'dynamic') {
    if (typeof batchSize !== 'number')
      throw new InvalidArgumentError('batchSize', batchSize, `traceInference: batchSize must be 'dynamic' or a whole number >= 1.`);
    return plainNames(await traceAt(definition, requirePositiveInteger('traceInference', 'batchSize', batchSize)));
  }
  const [small, large] = [await traceAt(definition, PROBE_BATCHES[0]), await traceAt(definition, PROBE_BATCHES[1])];
  return generalizeBatch(plainNames(small), plainNames(large));
}

/**
 * {@link traceInference} written as the bytes of an ONNX model file (IR 8, opset 17).
 *
 * @example const bytes = await inferenceToOnnx({ name: 'logistic', inputs: { x: [784] }, run: ({ x }) => ({ probabilities: model.predict(x) }) });
 */
export async function inferenceToOnnx(definition: InferenceDefinition, options: TraceInferenceOptions = {}): Promise<Uint8Array> {
  return encodeOnnxModel(await traceInference(definition, options));
}
