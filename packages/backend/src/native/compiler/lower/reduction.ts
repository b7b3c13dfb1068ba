// Lowering of reductions (Sum, Max, Mean...), with ReduceSum of leading axes as a matrix product.
import { type KernelContext, type KernelMapping, cast, castTo, first } from './context';
import { channelsFirstOf } from './layout';

/** Normalised axes of a reduction (tfjs allows negative and scalar axes). */
export function axesOf(context: KernelContext, key = 'axis'): number[] {
  const rank = Object.values(context.inputInfos)[0]!.shape.length;
  const raw = context.attrs[key] as number | number[] | undefined;
  const axes = raw == null ? Array.from({ length: rank }, (_, axis) => axis) : Array.isArray(raw) ? raw : [raw];
  return axes.map((axis) => (axis < 0 ? axis + rank : axis));
}

/** A reduction (its axes in the form of the graph's opset, see `GraphRecorder.reduce`). */
export const reduction =
  (opType: string): KernelMapping =>
  (context) => {
    const { recorder } = context;
    const axes = axesOf(context);
    const keepdims = context.attrs.keepDims === true;
    const input = first(context);
    if (axes.length === 0) return [recorder.emit('Identity', [input])];
    const inputType = recorder.dtypeOf(input, context.kernelName);
    const shape = Object.values(context.inputInfos)[0]!.shape;
    if (opType === 'ReduceSum' && inputType === 'float32' && axes.length < shape.length && axes.every((axis, index) => axis === index)) {
      return [sumOfLeadingAxes(context, input, shape, axes.length)];
    }
    // tfjs sums bool and int32 tensors as int32; ONNX reduces in the input type.
    const source = inputType === 'bool' ? cast(recorder, input, 'int32') : input;
    const reduced = recorder.reduce(opType, source, axes, keepdims);
    return [castTo(context, reduced, inputType === 'bool' ? 'int32' : inputType)];
  };

/**
 * A sum over the leading axes (a bias's gradient: dy summed over every position) as a product with
 * a row of ones: onnxruntime's ReduceSum over leading axes took 5 ms for the [100, 24, 24, 8] dy
 * of a small CNN, the product a few hundredths of that.
 */
export function sumOfLeadingAxes(context: KernelContext, input: string, shape: readonly number[], count: number): string {
  const { recorder } = context;
  const nchw = shape.length === 4 && count === 3 ? channelsFirstOf(recorder, input) : undefined;
  if (nchw !== undefined) {
    // dy in NCHW: summed over each channel's positions, then over the batch, as two products.
    const [batch, height, width, channels] = shape as [number, number, number, number];
    const positions = height * width;
    const rows = recorder.emit('Reshape', [nchw, recorder.int64Constant([batch * channels, positions])]);
    const perImage = recorder.emit('MatMul', [rows, recorder.ones([positions, 1])]);
    const byBatch = recorder.emit('Reshape', [perImage, recorder.int64Constant([batch, channels])]);
    const summed = recorder.emit('MatMul', [recorder.ones([1, batch]), byBatch]);
    return recorder.emit('Reshape', [summed, recorder.int64Constant(context.outputs[0]!.shape)]);
  }
  const rows = shape.slice(0, count).reduce((product, extent) => product * extent, 1);
  const columns = shape.slice(count).reduce((product, extent) => product * extent, 1);
  const ones = recorder.ones([1, rows]);
  const matrix = shape.length === 2 ? input : recorder.emit('Reshape', [input, recorder.int64Constant([rows, columns])]);
  return recorder.emit('Reshape', [recorder.emit('MatMul', [ones, matrix]), recorder.int64Constant(context.outputs[0]!.shape)]);
}
