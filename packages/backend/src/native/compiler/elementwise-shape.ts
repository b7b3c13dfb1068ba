// The output shapes of the kernels that the trace records without computing them, beside the
// products and convolutions of trace.ts's TRACED_SHAPES: elementwise kernels and sums of float32
// values. A dA step's SGD update (Sub and Multiply over its 784 x 500 weights, on tfjs's cpu
// kernels) took 180 of the 260 ms that its two traces (one step, then eight) spent computing
// before `sdae da`'s first step; only shapes matter there.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

/** Kernels whose output, for float32 operands, is float32 of the operands' broadcast shape. */
const ELEMENTWISE_KERNELS = new Set([
  'Abs',
  'Add',
  'Elu',
  'Exp',
  'Log',
  'Log1p',
  'Maximum',
  'Minimum',
  'Multiply',
  'Neg',
  'Pow',
  'RealDiv',
  'Reciprocal',
  'Relu',
  'Relu6',
  'Rsqrt',
  'Sigmoid',
  'Softplus',
  'Sqrt',
  'Square',
  'SquaredDifference',
  'Sub',
  'Tanh',
]);

/**
 * The float32 output shape of an elementwise kernel or a Sum of float32 operands; undefined for
 * any other kernel or dtype (the trace computes those).
 */
export function elementwiseOutputShape(
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): number[] | undefined {
  const operands = Object.values(inputs);
  if (operands.some((operand) => operand.dtype !== 'float32')) return undefined;
  if (ELEMENTWISE_KERNELS.has(kernelName)) {
    return operands.map((operand) => operand.shape).reduce((a, b) => tf.broadcast_util.assertAndGetBroadcastShape(a, b), []);
  }
  if (kernelName !== 'Sum' || operands.length !== 1) return undefined;
  const shape = operands[0]!.shape;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], shape);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(shape, axes);
  return attrs.keepDims === true ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
}
