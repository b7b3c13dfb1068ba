// Layout for the lowering rules: NHWC (tfjs) and NCHW (ONNX convolutions and pooling). A rule
// emits plain Transposes between them; the layout pass (../layout.ts) folds and cancels them and
// picks their cheapest form. A rule asks the graph, not a table, whether a value has an NCHW form.
import type { GraphRecorder } from '../graph-builder';
import { composePermutations } from '../layout';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters are [kH, kW, in, out]; ONNX Conv and ConvTranspose weights are [out, in, kH, kW]. */
export const HWIO_TO_OIHW = [3, 2, 0, 1];

/** The NCHW shape of an NHWC shape. */
export const nchwOf = (shape: readonly number[]): number[] => NHWC_TO_NCHW.map((axis) => shape[axis]!);

const sameAxes = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((axis, index) => axis === b[index]);

/**
 * A transpose of `name` (of `shape`) by `perm`, as one Transpose node (none when `perm` moves
 * nothing). The shapes of its input and output are recorded for the layout pass, which folds it
 * with the Transposes around it (reading a value's NCHW form where the graph has one) and writes
 * it as a Reshape or a matrix transpose where it reduces to one.
 */
export function transpose(recorder: GraphRecorder, name: string, shape: readonly number[], perm: readonly number[]): string {
  if (perm.every((axis, index) => axis === index)) return name;
  recorder.recordShape(name, shape);
  const result = recorder.emit('Transpose', [name], { perm: { ints: perm } });
  recorder.recordShape(
    result,
    perm.map((axis) => shape[axis]!),
  );
  return result;
}

/**
 * The NCHW form of the 4-D NHWC value `nhwc`, where the graph has one: the value a chain of
 * Transposes takes to `nhwc` by NCHW to NHWC (the output of a convolution or pooling, or of an
 * elementwise kernel computed in NCHW).
 */
export function channelsFirstOf(recorder: GraphRecorder, nhwc: string): string | undefined {
  let perm = [0, 1, 2, 3];
  let value = nhwc;
  for (;;) {
    const node = recorder.producerOf(value);
    if (node?.opType !== 'Transpose') return undefined;
    perm = composePermutations((node.attributes!.perm as { ints: readonly number[] }).ints, perm);
    value = node.inputs[0]!;
    if (sameAxes(perm, NCHW_TO_NHWC)) return value;
  }
}
