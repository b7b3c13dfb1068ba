// The rule table: the ONNX lowering of every tfjs kernel the models, their gradients and the
// optimisers use, one file per family beside it.
import { type DataType } from '@tensorflow/tfjs-core';
import { type KernelMapping, cast, castTo, first } from './context';
import { batchMatMul, conv2D, conv2DBackpropFilter, conv2DBackpropInput } from './convolution';
import { binary, comparison, elementwise, elementwiseWith, softplus, step, unary } from './elementwise';
import { transpose } from './layout';
import { maxPool, maxPoolGrad } from './pooling';
import { axesOf, reduction } from './reduction';
import { constantOutput, reshapeToOutput } from './shape';

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
  Softplus: softplus,
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

export type { KernelContext, KernelMapping } from './context';
export { reducedTranspose } from '../layout';
