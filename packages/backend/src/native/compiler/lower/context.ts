// What a lowering rule sees (its kernel's inputs, attributes and outputs) and the helpers every
// rule family shares.
import { type DataType, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from '../graph-builder';
import { ONNX_TYPES, toOnnxType } from '../ir';

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
export function cast(recorder: GraphRecorder, name: string, dtype: DataType): string {
  return recorder.emit('Cast', [name], { to: { int: ONNX_TYPES[toOnnxType(dtype, 'Cast', 'a target')] } });
}

/** Casts `name` to the output dtype when the ONNX op produced another type. */
export function castTo(context: KernelContext, name: string, from: DataType, index = 0): string {
  const to = context.outputs[index]!.dtype;
  return from === to ? name : cast(context.recorder, name, to);
}

export const first = (context: KernelContext): string => Object.values(context.inputs)[0]!;
export const firstKey = (context: KernelContext): string => Object.keys(context.inputs)[0]!;
