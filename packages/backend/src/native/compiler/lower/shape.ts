// Lowering of kernels that only reshape or make constants.
import { type KernelMapping, first } from './context';

/** Reshape-like kernels: the output shape is known from the trace. */
export const reshapeToOutput: KernelMapping = (context) => {
  const shape = context.outputs[0]!.shape;
  const input = Object.values(context.inputInfos)[0]!.shape;
  const same = shape.length === input.length && shape.every((extent, axis) => extent === input[axis]);
  // A reshape to the same shape is the value itself (and keeps its NCHW form known).
  if (same) return [first(context)];
  return [context.recorder.emit('Reshape', [first(context), context.recorder.int64Constant(shape)])];
};

/** Kernels with no tensor inputs (Fill, ZerosLike of a known shape...) become constants. */
export const constantOutput: KernelMapping = (context) => {
  const output = context.outputs[0]!;
  return [context.recorder.nameOf(output, context.kernelName)];
};
