// Lowering of elementwise kernels: unary and binary operations, comparisons, tfjs's Step, and the
// NCHW-aware form for 4-D values.
import { type NamedAttrMap } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from '../graph-builder';
import { type KernelContext, type KernelMapping, firstKey } from './context';
import { reducedTranspose } from '../layout';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, channelsFirstOf, nchwOf, transpose } from './layout';

/** A kernel of one input, elementwise: `build` emits it on the input's name (see {@link elementwise}). */
export const elementwiseWith =
  (build: (recorder: GraphRecorder, x: string, attrs: NamedAttrMap) => string): KernelMapping =>
  (context) => [elementwise(context, [firstKey(context)], ([x]) => build(context.recorder, x!, context.attrs))];

export const unary = (opType: string): KernelMapping => elementwiseWith((recorder, x) => recorder.emit(opType, [x]));

export const binary =
  (opType: string, inputKeys: [string, string] = ['a', 'b']): KernelMapping =>
  (context) => [elementwise(context, inputKeys, (inputs) => context.recorder.emit(opType, inputs))];

/** A comparison: ONNX gives bool, as tfjs does. */
export const comparison = (opType: string): KernelMapping => binary(opType);
/**
 * An elementwise kernel on 4-D values, in NCHW where an input has an NCHW form (the outputs of
 * convolutions and pooling, which onnxruntime computes in NCHW): `build` gets the NCHW inputs and
 * the NHWC result is a transpose of its output, which the graph drops when every consumer reads
 * NCHW too. A ReLU's derivative times dy then runs without the two NHWC transposes onnxruntime
 * left around it (0.35 ms of the small CNN's first layer). The other inputs must reach NCHW by a
 * Reshape (scalars, per-channel or per-position biases); otherwise the kernel runs in NHWC.
 */
export function elementwise(context: KernelContext, keys: readonly string[], build: (inputs: string[]) => string): string {
  const { recorder } = context;
  const names = keys.map((key) => context.inputs[key]!);
  const shapes = keys.map((key) => context.inputInfos[key]!.shape);
  const output = context.outputs[0]!.shape;
  const forms = names.map((name, index) => (shapes[index]!.length === 4 ? channelsFirstOf(recorder, name) : undefined));
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
 * tfjs's Step: 1 where x > 0, else alpha (NaN stays NaN). As Ceil(Clip(x, 0, 1)): 0.15 ms over
 * the small CNN's [100, 24, 24, 8] ReLU derivative, where Sign(Relu(x)) took 0.42 (onnxruntime's
 * Sign is not vectorised) and Where(Greater(x, 0)) more; Cast(Greater(x, 0)) is as fast but maps
 * NaN to 0. The only difference from tfjs: -0 gives -0, which multiplies dy to a zero all the same.
 */
export const step: KernelMapping = elementwiseWith((recorder, x, attrs) => {
  const alpha = (attrs.alpha as number | undefined) ?? 0;
  const positive = recorder.emit('Ceil', [recorder.emit('Clip', [x, recorder.floatScalar(0), recorder.floatScalar(1)])]);
  if (alpha === 0) return positive;
  return recorder.emit('Add', [recorder.emit('Mul', [positive, recorder.floatScalar(1 - alpha)]), recorder.floatScalar(alpha)]);
});
/**
 * Softplus, log(1 + e^x), as Relu(x) - Log(Sigmoid(|x|)): exact for every x (Sigmoid(|x|) lies in
 * [0.5, 1], so the Log neither overflows nor loses digits; it is 0 where e^-|x| is below float32's
 * precision, as softplus(x) - Relu(x) then is too). onnxruntime's own Softplus computes one element
 * at a time: 108 us of the dA 784-500 step's 1.06 ms for its 20 x 784 decoder units, where these
 * five vectorised ops take about a third of that.
 */
export const softplus: KernelMapping = elementwiseWith((recorder, x) =>
  recorder.emit('Sub', [recorder.emit('Relu', [x]), recorder.emit('Log', [recorder.emit('Sigmoid', [recorder.emit('Abs', [x])])])]),
);
