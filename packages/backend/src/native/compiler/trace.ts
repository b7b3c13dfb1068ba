import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { getKernelsForBackend, registerKernel, type DataId, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { UnsupportedKernelError } from '../../errors';
import { elementwiseOutputShape } from './elementwise-shape';
import { GraphRecorder, type ExternalValue } from './graph-builder';
import { COL2IM_OPSET, toOnnxType, type OnnxGraph, type OnnxValueInfo, type StepValue, type TracedStep } from './ir';
import { foldBiasesIntoProducts } from './fold-biases';
import { foldConvolutionBias } from './fold-conv-bias';
import { foldConvolutionPooling } from './fold-conv-pool';
import { foldPoolingGradients } from './fold-pooling';
import { foldUpdatesIntoProducts } from './fold-updates';
import { optimizeLayout } from './layout';
import { nameOutputsAtSource } from './name-outputs';
import { KERNEL_MAPPINGS, type KernelMapping } from './lower';
import { pruneGraph } from './prune';

/** The backend a step runs on while it is traced: tfjs's cpu kernels, each one also recorded. */
const TRACE_BACKEND = 'sdae-trace';

/** A training step written with tfjs ops, to compile into one graph. */
export interface StepDefinition {
  /** Names the graph in errors and reports. */
  name: string;
  /** The variables the step reads and assigns (weights, optimiser slots), carried between steps. */
  state: ReadonlyMap<string, tf.Variable>;
  /**
   * The step. It receives one float32 tensor per fed input, may read any tensor or variable
   * (those outside `state` are embedded as constants), assigns the state variables it updates
   * and returns its named outputs (the loss, predictions...).
   */
  step: (inputs: Record<string, tf.Tensor>) => Record<string, tf.Tensor>;
}

/** One compile's trace: the graph being built and the kernels the step ran. Made per {@link traceStep}. */
interface Trace {
  builder: GraphRecorder;
  kernels: Set<string>;
}

class TraceBackend extends MathBackendCPU {
  /**
   * The trace its kernels record into. Set and cleared by one {@link traceStep} within one
   * synchronous block (the step runs synchronously), so two compiles never see each other's.
   */
  trace: Trace | undefined;

  constructor() {
    super();
    // Not a user's backend: no "install tfjs-node" advice.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}

/**
 * The output shape of the kernels whose cpu computation dominates a trace (a dA step's products
 * took 1.3 s of its 1.7 s trace, tfjs's cpu matMul being plain JS): the trace records them and
 * gives their outputs zeros of that shape instead of computing them. The trace's values are never
 * read (the fed inputs are zeros too; only external tensors' values become initializers), so
 * only shapes matter.
 */
const TRACED_SHAPES: Record<string, (inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>) => number[]> = {
  BatchMatMul: ({ a, b }, { transposeA, transposeB }) => {
    const [rankA, rankB] = [a!.shape.length, b!.shape.length];
    const batch = tf.broadcast_util.assertAndGetBroadcastShape(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    const rows = transposeA === true ? a!.shape[rankA - 1]! : a!.shape[rankA - 2]!;
    const columns = transposeB === true ? b!.shape[rankB - 2]! : b!.shape[rankB - 1]!;
    return [...batch, rows, columns];
  },
  Conv2D: ({ x, filter }, attrs) =>
    tf.backend_util.computeConv2DInfo(
      x!.shape as [number, number, number, number],
      filter!.shape as [number, number, number, number],
      attrs.strides as [number, number] | number,
      attrs.dilations as [number, number] | number,
      attrs.pad as 'valid' | 'same' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      false,
      attrs.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
    ).outShape,
  MaxPool: ({ x }, attrs) =>
    tf.backend_util.computePool2DInfo(
      x!.shape as [number, number, number, number],
      attrs.filterSize as [number, number] | number,
      attrs.strides as [number, number] | number,
      1,
      attrs.pad as 'valid' | 'same' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    ).outShape,
  // A LeNet step's trace spent 6.6 of its 12 s in tfjs's cpu max-pool gradient.
  MaxPoolGrad: ({ input }) => [...input!.shape],
  Conv2DBackpropInput: (_inputs, { inputShape }) => [...(inputShape as number[])],
  Conv2DBackpropFilter: (_inputs, { filterShape }) => [...(filterShape as number[])],
};

function traced(config: KernelConfig, mapping: KernelMapping | undefined): KernelConfig['kernelFunc'] {
  return (args) => {
    const trace = (args.backend as TraceBackend).trace;
    if (trace === undefined) return config.kernelFunc(args);
    const { builder } = trace;
    const { kernelName } = config;
    trace.kernels.add(kernelName);
    if (mapping === undefined) throw new UnsupportedKernelError(kernelName);
    const inputs: Record<string, string> = {};
    const inputInfos: Record<string, TensorInfo> = {};
    for (const [key, info] of Object.entries(args.inputs as Record<string, TensorInfo | null | undefined>)) {
      if (info == null) continue;
      inputs[key] = builder.nameOf(info, kernelName);
      inputInfos[key] = info;
    }
    const shape =
      TRACED_SHAPES[kernelName]?.(inputInfos, args.attrs ?? {}) ?? elementwiseOutputShape(kernelName, inputInfos, args.attrs ?? {});
    const result =
      shape === undefined
        ? config.kernelFunc(args)
        : (args.backend as TraceBackend).makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape)));
    const outputs = Array.isArray(result) ? result : [result];
    const names = mapping({ kernelName, recorder: builder, inputs, inputInfos, attrs: args.attrs ?? {}, outputs });
    outputs.forEach((output, index) => builder.define(output, names[index]!));
    return result;
  };
}

/** Registers the trace backend and a recording twin of every cpu kernel, unless tfjs has them already. */
function registerTraceBackend(): void {
  if (tf.findBackendFactory(TRACE_BACKEND) !== null) return;
  tf.registerBackend(TRACE_BACKEND, () => new TraceBackend(), -100);
  for (const config of getKernelsForBackend('cpu')) {
    registerKernel({ ...config, backendName: TRACE_BACKEND, kernelFunc: traced(config, KERNEL_MAPPINGS[config.kernelName]) });
  }
}

const valueInfo = (value: StepValue): OnnxValueInfo => ({ name: value.graphName, type: value.dtype, shape: value.shape });

/**
 * Runs `definition.step` once on tfjs's cpu kernels with every kernel call recorded, and returns
 * the graph of the whole step after the layout pass ({@link optimizeLayout}), max pooling's
 * gradient in fewer passes ({@link foldPoolingGradients}), convolution biases into their Conv
 * ({@link foldConvolutionBias}), the folding of plain SGD updates into their products
 * ({@link foldUpdatesIntoProducts}), of dense layers' biases into their products
 * ({@link foldBiasesIntoProducts}), outputs named at their source ({@link nameOutputsAtSource})
 * and pruning ({@link pruneGraph}). The state variables are put back to their values before the
 * trace. Each call builds its own graph: two traces, even interleaved, never share state.
 *
 * @param inputShapes the shape of each fed input (their values during the trace are zeros).
 * @param options.convolutionInputGradient `'transposed'` (the default: ConvTranspose, opset 17,
 *   what exported models and GPU providers take) or `'col2im'` (one product and a Col2Im, opset
 *   18: the CPU provider's step graphs, which the native engine asks for).
 * @param options.nchwcBlock the channel block of onnxruntime's blocked Conv kernels, to write
 *   convolutions of several channels with them (the CPU provider only; see lower/nchwc-convolution.ts).
 * @throws {UnsupportedKernelError} when the step runs a kernel the native engine cannot express.
 */
export async function traceStep(
  definition: StepDefinition,
  inputShapes: Record<string, readonly number[]>,
  options: { maxPoolGradient?: 'indices' | 'compare'; convolutionInputGradient?: 'col2im' | 'transposed'; nchwcBlock?: number } = {},
): Promise<TracedStep> {
  registerTraceBackend();
  const stateByData = new Map<DataId, string>();
  const saved = new Map<string, { dataId: DataId; values: Float32Array }>();
  for (const [name, variable] of definition.state) {
    if (variable.dtype !== 'float32')
      throw new UnsupportedKernelError(
        'Variable',
        `the state ${name} of dtype ${variable.dtype} (the native engine carries float32 state only)`,
      );
    stateByData.set(variable.dataId, name);
    saved.set(name, { dataId: variable.dataId, values: (await variable.data()) as Float32Array });
  }
  const stateInputs = new Map<string, StepValue>();
  // The switch to the trace backend, the step and the switch back run as one synchronous block
  // (setBackend is synchronous for a backend whose factory is), so no other code runs on it meanwhile.
  const previousBackend = tf.getBackend();
  const switches = [tf.setBackend(TRACE_BACKEND)];
  const backend = tf.backend() as TraceBackend;
  const builder = new GraphRecorder(
    (value: ExternalValue) => {
      const name = stateByData.get(value.dataId);
      if (name === undefined) return undefined;
      const input: StepValue = { graphName: `state:${name}`, shape: [...value.shape], dtype: 'float32' };
      stateInputs.set(name, input);
      return input.graphName;
    },
    (dataId) => backend.readSync(dataId) as Float32Array | Int32Array | Uint8Array,
  );
  builder.maxPoolGradient = options.maxPoolGradient ?? 'indices';
  builder.convolutionInputGradient = options.convolutionInputGradient ?? 'transposed';
  if (builder.convolutionInputGradient === 'col2im') builder.opset = COL2IM_OPSET;
  builder.nchwcBlock = options.nchwcBlock;
  const trace: Trace = { builder, kernels: new Set() };
  const inputs = new Map<string, StepValue>();
  const outputs = new Map<string, StepValue>();
  const stateOutputs = new Map<string, StepValue>();
  try {
    backend.trace = trace;
    tf.tidy(() => {
      const fed: Record<string, tf.Tensor> = {};
      for (const [name, shape] of Object.entries(inputShapes)) {
        const tensor = tf.zeros([...shape], 'float32');
        const value: StepValue = { graphName: `input:${name}`, shape: [...shape], dtype: 'float32' };
        builder.define(tensor, value.graphName);
        inputs.set(name, value);
        fed[name] = tensor;
      }
      const results = definition.step(fed);
      // Outputs get names of their own (Identity nodes, dropped where they can be by nameOutputsAtSource).
      const output = (tensor: tf.Tensor, graphName: string): StepValue => {
        const source = builder.nameOf(tensor, 'output');
        builder.addNode({ opType: 'Identity', inputs: [source], outputs: [graphName] });
        return { graphName, shape: [...tensor.shape], dtype: toOnnxType(tensor.dtype, 'Identity', `the step output ${graphName}`) };
      };
      for (const [name, tensor] of Object.entries(results)) outputs.set(name, output(tensor, `output:${name}`));
      for (const [name, variable] of definition.state) {
        if (variable.dataId !== saved.get(name)!.dataId) stateOutputs.set(name, output(variable, `new:${name}`));
      }
    });
  } finally {
    backend.trace = undefined;
    switches.push(tf.setBackend(previousBackend));
    for (const [name, variable] of definition.state) {
      const { values } = saved.get(name)!;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }
  await Promise.all(switches);
  const built: OnnxGraph = {
    name: definition.name,
    nodes: builder.nodes,
    initializers: builder.initializers,
    inputs: [...inputs.values(), ...stateInputs.values()].map(valueInfo),
    outputs: [...outputs.values(), ...stateOutputs.values()].map(valueInfo),
    opset: builder.opset,
  };
  // Pruned before the pooled-convolution pass, which counts the readers of the values it replaces.
  const laidOut = foldConvolutionPooling(pruneGraph(foldPoolingGradients(optimizeLayout(built, builder.shapes))), builder.shapes);
  const updated = foldUpdatesIntoProducts(foldConvolutionBias(laidOut, builder.shapes), builder.shapes);
  const graph = pruneGraph(nameOutputsAtSource(foldBiasesIntoProducts(updated, builder.shapes)));
  return { graph, inputs, stateInputs, stateOutputs, outputs, kernels: [...trace.kernels] };
}
