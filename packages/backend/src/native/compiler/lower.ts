import { backend_util, type DataType, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from './graph-builder';
import { UnsupportedKernelError } from '../../errors';
import { maxPoolGradByComparison } from './max-pool-grad';
import { ONNX_TYPES, toOnnxType } from './encode-onnx';

/** What a kernel mapping sees: the recorded names of its inputs, its attributes, and tfjs's own outputs. */
export interface KernelContext {
  kernelName: string;
  recorder: GraphRecorder;
  /** Input names by the kernel's input keys (array inputs, such as Concat's, by index). */
  inputs: Record<string, string>;
  inputInfos: Record<string, TensorInfo>;
  attrs: NamedAttrMap;
  /** The outputs the cpu kernel computed: their shapes and dtypes are the graph's. */
  outputs: TensorInfo[];
}

/** Emits the ONNX nodes of one tfjs kernel call and returns the names of its outputs, in order. */
export type KernelMapping = (context: KernelContext) => string[];

/** ONNX Cast to a tfjs dtype. */
function cast(recorder: GraphRecorder, name: string, dtype: DataType): string {
  return recorder.emit('Cast', [name], { to: { int: ONNX_TYPES[toOnnxType(dtype, 'Cast', 'a target')] } });
}

/** Casts `name` to the output dtype when the ONNX op produced another type. */
function castTo(context: KernelContext, name: string, from: DataType, index = 0): string {
  const to = context.outputs[index]!.dtype;
  return from === to ? name : cast(context.recorder, name, to);
}

const first = (context: KernelContext): string => Object.values(context.inputs)[0]!;
const firstKey = (context: KernelContext): string => Object.keys(context.inputs)[0]!;

/** A kernel of one input, elementwise: `build` emits it on the input's name (see {@link elementwise}). */
const elementwiseWith =
  (build: (recorder: GraphRecorder, x: string, attrs: NamedAttrMap) => string): KernelMapping =>
  (context) => [elementwise(context, [firstKey(context)], ([x]) => build(context.recorder, x!, context.attrs))];

const unary = (opType: string): KernelMapping => elementwiseWith((recorder, x) => recorder.emit(opType, [x]));

const binary =
  (opType: string, inputKeys: [string, string] = ['a', 'b']): KernelMapping =>
  (context) => [elementwise(context, inputKeys, (inputs) => context.recorder.emit(opType, inputs))];

/** A comparison: ONNX gives bool, as tfjs does. */
const comparison = (opType: string): KernelMapping => binary(opType);

/** Normalised axes of a reduction (tfjs allows negative and scalar axes). */
function axesOf(context: KernelContext, key = 'axis'): number[] {
  const rank = Object.values(context.inputInfos)[0]!.shape.length;
  const raw = context.attrs[key] as number | number[] | undefined;
  const axes = raw == null ? Array.from({ length: rank }, (_, axis) => axis) : Array.isArray(raw) ? raw : [raw];
  return axes.map((axis) => (axis < 0 ? axis + rank : axis));
}

/** A reduction; ReduceSum takes its axes as an input, the others as an attribute (opset 17). */
const reduction =
  (opType: string): KernelMapping =>
  (context) => {
    const { recorder } = context;
    const axes = axesOf(context);
    const keepdims = { int: context.attrs.keepDims === true ? 1 : 0 };
    const input = first(context);
    if (axes.length === 0) return [recorder.emit('Identity', [input])];
    const inputType = recorder.dtypeOf(input, context.kernelName);
    const shape = Object.values(context.inputInfos)[0]!.shape;
    if (opType === 'ReduceSum' && inputType === 'float32' && axes.length < shape.length && axes.every((axis, index) => axis === index)) {
      return [sumOfLeadingAxes(context, input, shape, axes.length)];
    }
    // tfjs sums bool and int32 tensors as int32; ONNX reduces in the input type.
    const source = inputType === 'bool' ? cast(recorder, input, 'int32') : input;
    const reduced =
      opType === 'ReduceSum'
        ? recorder.emit(opType, [source, recorder.int64Constant(axes)], { keepdims })
        : recorder.emit(opType, [source], { axes: { ints: axes }, keepdims });
    return [castTo(context, reduced, inputType === 'bool' ? 'int32' : inputType)];
  };

/**
 * A sum over the leading axes (a bias's gradient: dy summed over every position) as a product with
 * a row of ones: onnxruntime's ReduceSum over leading axes took 5 ms for the [100, 24, 24, 8] dy
 * of a small CNN, the product a few hundredths of that.
 */
function sumOfLeadingAxes(context: KernelContext, input: string, shape: readonly number[], count: number): string {
  const { recorder } = context;
  const nchw = shape.length === 4 && count === 3 ? recorder.channelsFirstOf(input) : undefined;
  if (nchw !== undefined) {
    // dy in NCHW: summed over each channel's positions, then over the batch, as two products.
    const [batch, height, width, channels] = shape as [number, number, number, number];
    const positions = height * width;
    const rows = recorder.emit('Reshape', [nchw, recorder.int64Constant([batch * channels, positions])]);
    const perImage = recorder.emit('MatMul', [rows, recorder.constant('float32', [positions, 1], new Float32Array(positions).fill(1))]);
    const byBatch = recorder.emit('Reshape', [perImage, recorder.int64Constant([batch, channels])]);
    const summed = recorder.emit('MatMul', [recorder.constant('float32', [1, batch], new Float32Array(batch).fill(1)), byBatch]);
    return recorder.emit('Reshape', [summed, recorder.int64Constant(context.outputs[0]!.shape)]);
  }
  const rows = shape.slice(0, count).reduce((product, extent) => product * extent, 1);
  const columns = shape.slice(count).reduce((product, extent) => product * extent, 1);
  const ones = recorder.constant('float32', [1, rows], new Float32Array(rows).fill(1));
  const matrix = recorder.emit('Reshape', [input, recorder.int64Constant([rows, columns])]);
  return recorder.emit('Reshape', [recorder.emit('MatMul', [ones, matrix]), recorder.int64Constant(context.outputs[0]!.shape)]);
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters are [kH, kW, in, out]; ONNX Conv and ConvTranspose weights are [out, in, kH, kW]. */
const HWIO_TO_OIHW = [3, 2, 0, 1];

/** The NCHW shape of an NHWC shape. */
const nchwOf = (shape: readonly number[]): number[] => NHWC_TO_NCHW.map((axis) => shape[axis]!);

/**
 * A transpose of `name` (of `shape`) by `perm`. onnxruntime's Transpose is slow in general ranks
 * and fast as a plain matrix transpose: moving the batch of a [100, 28, 28, 1] image to the end
 * took 176 us as given and 21 us as the [100, 784] transpose it is. So a transpose that reduces
 * to a matrix transpose (see {@link reducedTranspose}) is one, between Reshapes, and one that
 * moves nothing is a Reshape. Others stay as they are: onnxruntime moves 4-D layout transposes
 * through elementwise nodes and cancels them in pairs, which Reshapes around them would prevent
 * (the small CNN's bias Add then ran in NHWC at 7x the time of the NCHW one).
 */
function matrixTranspose(recorder: GraphRecorder, name: string, shape: readonly number[], perm: readonly number[]): string {
  if (perm.every((axis, index) => axis === index)) return name;
  const outputShape = perm.map((axis) => shape[axis]!);
  const reduced = reducedTranspose(shape, perm);
  if (reduced.perm.every((axis, index) => axis === index)) return recorder.emit('Reshape', [name, recorder.int64Constant(outputShape)]);
  if (reduced.perm.length !== 2 || perm.length === 2) return recorder.emit('Transpose', [name], { perm: { ints: perm } });
  const matrix = recorder.emit('Reshape', [name, recorder.int64Constant(reduced.shape)]);
  const moved = recorder.emit('Transpose', [matrix], { perm: { ints: [1, 0] } });
  return recorder.emit('Reshape', [moved, recorder.int64Constant(outputShape)]);
}

/**
 * A transpose of `name` (of `shape`) by `perm`, from the value's NCHW form where the graph has
 * one (the result is the same; the NHWC form may then go unused and be pruned). A transpose from
 * NCHW to NHWC records its input as its result's NCHW form.
 */
function transpose(recorder: GraphRecorder, name: string, shape: readonly number[], perm: readonly number[]): string {
  const nchw = shape.length === 4 ? recorder.channelsFirstOf(name) : undefined;
  if (nchw !== undefined) {
    // NHWC axis j is NCHW axis NCHW_TO_NHWC[j].
    const fromNchw = perm.map((axis) => NCHW_TO_NHWC[axis]!);
    return matrixTranspose(recorder, nchw, nchwOf(shape), fromNchw);
  }
  const result = matrixTranspose(recorder, name, shape, perm);
  if (perm.length === 4 && perm.every((axis, index) => axis === NCHW_TO_NHWC[index])) recorder.setChannelsFirst(result, name);
  return result;
}

/**
 * An elementwise kernel on 4-D values, in NCHW where an input has an NCHW form (the outputs of
 * convolutions and pooling, which onnxruntime computes in NCHW): `build` gets the NCHW inputs and
 * the NHWC result is a transpose of its output, which the graph drops when every consumer reads
 * NCHW too. A ReLU's derivative times dy then runs without the two NHWC transposes onnxruntime
 * left around it (0.35 ms of the small CNN's first layer). The other inputs must reach NCHW by a
 * Reshape (scalars, per-channel or per-position biases); otherwise the kernel runs in NHWC.
 */
function elementwise(context: KernelContext, keys: readonly string[], build: (inputs: string[]) => string): string {
  const { recorder } = context;
  const names = keys.map((key) => context.inputs[key]!);
  const shapes = keys.map((key) => context.inputInfos[key]!.shape);
  const output = context.outputs[0]!.shape;
  const forms = names.map((name, index) => (shapes[index]!.length === 4 ? recorder.channelsFirstOf(name) : undefined));
  // numpy broadcasting aligns trailing axes: a lower-rank input is padded with leading 1s.
  const padded = shapes.map((shape) => [...new Array<number>(Math.max(0, 4 - shape.length)).fill(1), ...shape]);
  const reshapes = (index: number) => reducedTranspose(padded[index]!, NHWC_TO_NCHW).perm.every((axis, position) => axis === position);
  const channelsFirst =
    output.length === 4 &&
    forms.some((form) => form !== undefined) &&
    shapes.every((shape, index) => forms[index] !== undefined || shape.length === 0 || (shape.length <= 4 && reshapes(index)));
  if (!channelsFirst) return build(names);
  const inputs = names.map((name, index) => {
    if (forms[index] !== undefined) return forms[index]!;
    if (shapes[index]!.length === 0) return name;
    return recorder.emit('Reshape', [name, recorder.int64Constant(nchwOf(padded[index]!))]);
  });
  return transpose(recorder, build(inputs), nchwOf(output), NCHW_TO_NHWC);
}

/**
 * The smallest transpose equal to transposing `shape` by `perm`: axes of extent 1 dropped, and
 * each run of axes that are neighbours both before and after (perm[k + 1] = perm[k] + 1) merged
 * into one. Returns the input shape and permutation of that transpose.
 */
export function reducedTranspose(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // The axes of extent > 1, numbered in input order.
  const inputAxes = shape.flatMap((extent, axis) => (extent === 1 ? [] : [axis]));
  const compact = perm.filter((axis) => shape[axis] !== 1).map((axis) => inputAxes.indexOf(axis));
  // Runs of the output order whose input axes are consecutive become one axis each.
  const runs: number[][] = [];
  for (const axis of compact) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1)! + 1 === axis) run.push(axis);
    else runs.push([axis]);
  }
  const byInputOrder = [...runs].sort((a, b) => a[0]! - b[0]!);
  const reducedShape = byInputOrder.map((run) => run.reduce((product, axis) => product * shape[inputAxes[axis]!]!, 1));
  return { shape: reducedShape, perm: runs.map((run) => byInputOrder.indexOf(run)) };
}

function requireNhwc(context: KernelContext): void {
  const format = context.attrs.dataFormat as string | undefined;
  if (format !== undefined && format !== 'NHWC' && format !== 'channelsLast') {
    throw new UnsupportedKernelError(context.kernelName, `dataFormat ${format} (the native engine handles NHWC only)`);
  }
}

/** ONNX pads [top, left, bottom, right] of a tfjs convolution or pooling window. */
function padsOf(info: backend_util.Conv2DInfo): number[] {
  return [info.padInfo.top, info.padInfo.left, info.padInfo.bottom, info.padInfo.right];
}

function convInfo(context: KernelContext, xShape: number[], filterShape: number[]): backend_util.Conv2DInfo {
  const { strides, pad, dilations, dimRoundingMode } = context.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}

function poolInfo(context: KernelContext, xShape: number[]): backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = context.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

const conv2D: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const info = convInfo(context, context.inputInfos.x!.shape, context.inputInfos.filter!.shape);
  const y = recorder.emit(
    'Conv',
    [
      transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, NHWC_TO_NCHW),
      transpose(recorder, context.inputs.filter!, context.inputInfos.filter!.shape, HWIO_TO_OIHW),
    ],
    {
      strides: { ints: [info.strideHeight, info.strideWidth] },
      dilations: { ints: [info.dilationHeight, info.dilationWidth] },
      pads: { ints: padsOf(info) },
    },
  );
  return [transpose(recorder, y, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/** The gradient of a convolution with respect to its input: a transposed convolution. */
const conv2DBackpropInput: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const inputShape = context.attrs.inputShape as number[];
  const info = convInfo(context, inputShape, context.inputInfos.filter!.shape);
  const pads = padsOf(info);
  const spanHeight = (info.filterHeight - 1) * info.dilationHeight + 1;
  const spanWidth = (info.filterWidth - 1) * info.dilationWidth + 1;
  // The rows and columns the forward convolution's stride left unread get output padding.
  const outputPadding = [
    info.inHeight - (info.strideHeight * (info.outHeight - 1) + spanHeight - pads[0]! - pads[2]!),
    info.inWidth - (info.strideWidth * (info.outWidth - 1) + spanWidth - pads[1]! - pads[3]!),
  ];
  const y = recorder.emit(
    'ConvTranspose',
    [
      transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW),
      transpose(recorder, context.inputs.filter!, context.inputInfos.filter!.shape, HWIO_TO_OIHW),
    ],
    {
      strides: { ints: [info.strideHeight, info.strideWidth] },
      dilations: { ints: [info.dilationHeight, info.dilationWidth] },
      pads: { ints: pads },
      output_padding: { ints: outputPadding },
    },
  );
  return [transpose(recorder, y, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/**
 * The gradient of a convolution with respect to its filter, as one product of the input's patches
 * with dy: `dW[kh, kw, c, m] = sum_{n,i,j} x[n, i s + kh - pad, j s + kw - pad, c] dy[n, i, j, m]`.
 * With the input laid out `[C H W, N]`, the patches are one Gather of whole rows (N values each),
 * `[kH kW C H' W', N]`, and their product with dy as `[H' W' N, M]` is dW in tfjs's own layout.
 * onnxruntime's Conv in the form it would take (channels as the batch, dy as a kernel the size of
 * the image) ran at about 1 GFLOP/s, and 25 strided Slices with a Concat took 2.5 of a small
 * CNN's 10 ms step where the Gather takes 0.4.
 */
const conv2DBackpropFilter: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const filterShape = context.attrs.filterShape as number[];
  const info = convInfo(context, context.inputInfos.x!.shape, filterShape);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new UnsupportedKernelError(
      'Conv2DBackpropFilter',
      `dilations ${info.dilationHeight}x${info.dilationWidth} (the native engine handles 1x1 only)`,
    );
  }
  const [batch, , , channels] = context.inputInfos.x!.shape as [number, number, number, number];
  const { outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const [top, left, bottom, right] = padsOf(info) as [number, number, number, number];
  let input = transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, [3, 1, 2, 0]);
  if (top + left + bottom + right > 0) {
    input = recorder.emit('Pad', [input, recorder.int64Constant([0, top, left, 0, 0, bottom, right, 0])]);
  }
  const paddedHeight = info.inHeight + top + bottom;
  const paddedWidth = info.inWidth + left + right;
  // The row of the [C H W, N] table that each (kh, kw, c, i, j) reads.
  const rows = new Int32Array(filterHeight * filterWidth * channels * outHeight * outWidth);
  let next = 0;
  for (let kh = 0; kh < filterHeight; kh++)
    for (let kw = 0; kw < filterWidth; kw++)
      for (let channel = 0; channel < channels; channel++)
        for (let i = 0; i < outHeight; i++)
          for (let j = 0; j < outWidth; j++)
            rows[next++] = (channel * paddedHeight + kh + i * strideHeight) * paddedWidth + kw + j * strideWidth;
  const table = recorder.emit('Reshape', [input, recorder.int64Constant([channels * paddedHeight * paddedWidth, batch])]);
  const patches = recorder.emit('Gather', [table, recorder.constant('int32', [rows.length], rows)], { axis: { int: 0 } });
  const positions = outHeight * outWidth * batch;
  const stacked = recorder.emit('Reshape', [patches, recorder.int64Constant([filterHeight * filterWidth * channels, positions])]);
  const dy = recorder.emit('Reshape', [
    transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, [1, 2, 0, 3]),
    recorder.int64Constant([positions, outChannels]),
  ]);
  return [recorder.emit('Reshape', [recorder.emit('MatMul', [stacked, dy]), recorder.int64Constant(filterShape)])];
};

const maxPoolAttributes = (info: backend_util.Conv2DInfo) => ({
  kernel_shape: { ints: [info.filterHeight, info.filterWidth] },
  strides: { ints: [info.strideHeight, info.strideWidth] },
  pads: { ints: padsOf(info) },
});

const maxPool: KernelMapping = (context) => {
  const { recorder } = context;
  const info = poolInfo(context, context.inputInfos.x!.shape);
  const pooled = recorder.emit(
    'MaxPool',
    [transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, NHWC_TO_NCHW)],
    maxPoolAttributes(info),
  );
  return [transpose(recorder, pooled, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/**
 * The gradient of max pooling: each window's dy goes to the position of its maximum (the first
 * in row-major order on ties, as tfjs's cpu kernel picks it), added up where windows overlap.
 * MaxPool's Indices output gives those positions; ScatterElements adds dy there. GPU providers
 * without that output get {@link maxPoolGradByComparison}.
 */
const maxPoolGrad: KernelMapping = (context) => {
  const { recorder } = context;
  const inputShape = context.inputInfos.input!.shape;
  const info = poolInfo(context, inputShape);
  if (recorder.maxPoolGradient === 'compare')
    return [maxPoolGradByComparison(recorder, context.inputs.input!, inputShape, context.inputs.dy!, info)];
  const [, indices] = recorder.emitMany(
    'MaxPool',
    [transpose(recorder, context.inputs.input!, inputShape, NHWC_TO_NCHW)],
    2,
    maxPoolAttributes(info),
  );
  const nchw = nchwOf(inputShape);
  const dy = transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW);
  let dx: string;
  if (info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth) {
    // Windows that do not overlap have one maximum per input position at most: MaxUnpool puts dy
    // there (0.2 ms for the small CNN's [100, 8, 24, 24] where ScatterElements took 0.85).
    dx = recorder.emit('MaxUnpool', [dy, indices!, recorder.int64Constant(nchw)], maxPoolAttributes(info));
  } else {
    const size = inputShape.reduce((product, extent) => product * extent, 1);
    const flat = recorder.int64Constant([-1]);
    const zeros = recorder.constant('float32', [size], new Float32Array(size));
    const scattered = recorder.emit(
      'ScatterElements',
      [zeros, recorder.emit('Reshape', [indices!, flat]), recorder.emit('Reshape', [dy, flat])],
      { axis: { int: 0 }, reduction: { string: 'add' } },
    );
    dx = recorder.emit('Reshape', [scattered, recorder.int64Constant(nchw)]);
  }
  return [transpose(recorder, dx, nchw, NCHW_TO_NHWC)];
};

const batchMatMul: KernelMapping = (context) => {
  const { recorder } = context;
  const { transposeA, transposeB } = context.attrs as { transposeA: boolean; transposeB: boolean };
  const a = context.inputInfos.a!;
  const b = context.inputInfos.b!;
  if (a.shape.length === 2 && b.shape.length === 2) {
    return [
      recorder.emit('Gemm', [context.inputs.a!, context.inputs.b!], {
        transA: { int: transposeA ? 1 : 0 },
        transB: { int: transposeB ? 1 : 0 },
      }),
    ];
  }
  const swap = (rank: number) => {
    const perm = Array.from({ length: rank }, (_, axis) => axis);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    return perm;
  };
  const left = transposeA ? transpose(recorder, context.inputs.a!, a.shape, swap(a.shape.length)) : context.inputs.a!;
  const right = transposeB ? transpose(recorder, context.inputs.b!, b.shape, swap(b.shape.length)) : context.inputs.b!;
  return [recorder.emit('MatMul', [left, right])];
};

/** Reshape-like kernels: the output shape is known from the trace. */
const reshapeToOutput: KernelMapping = (context) => {
  const shape = context.outputs[0]!.shape;
  const input = Object.values(context.inputInfos)[0]!.shape;
  const same = shape.length === input.length && shape.every((extent, axis) => extent === input[axis]);
  // A reshape to the same shape is the value itself (and keeps its NCHW form known).
  if (same) return [first(context)];
  return [context.recorder.emit('Reshape', [first(context), context.recorder.int64Constant(shape)])];
};

/** Kernels with no tensor inputs (Fill, ZerosLike of a known shape...) become constants. */
const constantOutput: KernelMapping = (context) => {
  const output = context.outputs[0]!;
  return [context.recorder.nameOf(output, context.kernelName)];
};

/**
 * tfjs's Step: 1 where x > 0, else alpha (NaN stays NaN). As Ceil(Clip(x, 0, 1)): 0.15 ms over
 * the small CNN's [100, 24, 24, 8] ReLU derivative, where Sign(Relu(x)) took 0.42 (onnxruntime's
 * Sign is not vectorised) and Where(Greater(x, 0)) more; Cast(Greater(x, 0)) is as fast but maps
 * NaN to 0. The only difference from tfjs: -0 gives -0, which multiplies dy to a zero all the same.
 */
const step: KernelMapping = elementwiseWith((recorder, x, attrs) => {
  const alpha = (attrs.alpha as number | undefined) ?? 0;
  const positive = recorder.emit('Ceil', [recorder.emit('Clip', [x, recorder.floatScalar(0), recorder.floatScalar(1)])]);
  if (alpha === 0) return positive;
  return recorder.emit('Add', [recorder.emit('Mul', [positive, recorder.floatScalar(1 - alpha)]), recorder.floatScalar(alpha)]);
});

/**
 * The ONNX form of every tfjs kernel the models, their gradients and the optimisers use. A
 * kernel missing here makes compilation fail with its name, and training runs on tfjs instead.
 */
export const KERNEL_MAPPINGS: Readonly<Record<string, KernelMapping>> = {
  // Products and convolutions.
  BatchMatMul: batchMatMul,
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  // Elementwise arithmetic (numpy broadcasting, as in tfjs).
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  SquaredDifference: (context) => [
    elementwise(context, ['a', 'b'], ([a, b]) => {
      const difference = context.recorder.emit('Sub', [a!, b!]);
      return context.recorder.emit('Mul', [difference, difference]);
    }),
  ],
  AddN: (context) => [elementwise(context, Object.keys(context.inputs), (inputs) => context.recorder.emit('Sum', inputs))],
  Greater: comparison('Greater'),
  GreaterEqual: comparison('GreaterOrEqual'),
  Less: comparison('Less'),
  LessEqual: comparison('LessOrEqual'),
  Equal: comparison('Equal'),
  NotEqual: (context) => [context.recorder.emit('Not', [context.recorder.emit('Equal', [context.inputs.a!, context.inputs.b!])])],
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  LogicalNot: unary('Not'),
  Select: (context) => [elementwise(context, ['condition', 't', 'e'], (inputs) => context.recorder.emit('Where', inputs))],
  // Activations and other unary functions.
  Sigmoid: unary('Sigmoid'),
  Relu: unary('Relu'),
  Tanh: unary('Tanh'),
  Softplus: unary('Softplus'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Rsqrt: elementwiseWith((recorder, x) => recorder.emit('Reciprocal', [recorder.emit('Sqrt', [x])])),
  Reciprocal: unary('Reciprocal'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Sign: unary('Sign'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Square: elementwiseWith((recorder, x) => recorder.emit('Mul', [x, x])),
  Log1p: elementwiseWith((recorder, x) => recorder.emit('Log', [recorder.emit('Add', [x, recorder.floatScalar(1)])])),
  Elu: unary('Elu'),
  Step: step,
  LeakyRelu: elementwiseWith((recorder, x, attrs) =>
    recorder.emit('LeakyRelu', [x], { alpha: { float: (attrs.alpha as number | undefined) ?? 0.2 } }),
  ),
  ClipByValue: elementwiseWith((recorder, x, attrs) =>
    recorder.emit('Clip', [x, recorder.floatScalar(attrs.clipValueMin as number), recorder.floatScalar(attrs.clipValueMax as number)]),
  ),
  Cast: (context) => {
    const dtype = context.attrs.dtype as DataType;
    if (context.recorder.dtypeOf(first(context), 'Cast') === dtype) return [first(context)];
    return elementwiseWith((recorder, x) => cast(recorder, x, dtype))(context);
  },
  // The same value under the same name: its NCHW form, if any, stays known.
  Identity: (context) => [first(context)],
  // Reductions and softmax.
  Sum: reduction('ReduceSum'),
  Max: (context) => reduction('ReduceMax')({ ...context, attrs: { ...context.attrs, axis: context.attrs.reductionIndices } }),
  Min: (context) => reduction('ReduceMin')({ ...context, attrs: { ...context.attrs, axis: context.attrs.axis } }),
  Mean: reduction('ReduceMean'),
  Prod: reduction('ReduceProd'),
  ArgMax: (context) => {
    const [axis] = axesOf(context);
    return [
      cast(context.recorder, context.recorder.emit('ArgMax', [first(context)], { axis: { int: axis! }, keepdims: { int: 0 } }), 'int32'),
    ];
  },
  Softmax: (context) => {
    const rank = context.inputInfos.logits!.shape.length;
    const dim = context.attrs.dim as number;
    return [context.recorder.emit('Softmax', [context.inputs.logits!], { axis: { int: dim < 0 ? dim + rank : dim } })];
  },
  // Shapes.
  Reshape: reshapeToOutput,
  ExpandDims: reshapeToOutput,
  Transpose: (context) => [
    transpose(context.recorder, first(context), Object.values(context.inputInfos)[0]!.shape, context.attrs.perm as number[]),
  ],
  Concat: (context) => {
    const rank = context.outputs[0]!.shape.length;
    const axis = context.attrs.axis as number;
    const inputs = Object.keys(context.inputs)
      .filter((key) => context.inputInfos[key]!.shape.every((extent) => extent > 0))
      .map((key) => context.inputs[key]!);
    return [context.recorder.emit('Concat', inputs, { axis: { int: axis < 0 ? axis + rank : axis } })];
  },
  Tile: (context) => [context.recorder.emit('Tile', [first(context), context.recorder.int64Constant(context.attrs.reps as number[])])],
  Slice: (context) => {
    const begin = context.attrs.begin as number[];
    const size = context.outputs[0]!.shape;
    const end = begin.map((start, axis) => start + size[axis]!);
    return [context.recorder.emit('Slice', [first(context), context.recorder.int64Constant(begin), context.recorder.int64Constant(end)])];
  },
  OneHot: (context) => {
    const { recorder } = context;
    const { depth, onValue, offValue } = context.attrs as { depth: number; onValue: number; offValue: number };
    // indices[..., None] == [0, 1, ..., depth - 1], then the on and off values.
    const indices = recorder.emit('Unsqueeze', [cast(recorder, context.inputs.indices!, 'int32'), recorder.int64Constant([-1])]);
    const classes = recorder.constant(
      'int32',
      [depth],
      Int32Array.from({ length: depth }, (_, index) => index),
    );
    const hot = recorder.emit('Where', [
      recorder.emit('Equal', [indices, classes]),
      recorder.floatScalar(onValue),
      recorder.floatScalar(offValue),
    ]);
    return [castTo(context, hot, 'float32')];
  },
  // Kernels whose output does not depend on a traced input.
  Fill: constantOutput,
  ZerosLike: constantOutput,
  OnesLike: constantOutput,
};
