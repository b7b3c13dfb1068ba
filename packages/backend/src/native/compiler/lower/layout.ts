// Layout: NHWC (tfjs) and NCHW (ONNX convolutions and pooling) and the transposes between them,
// reduced to matrix transposes or Reshapes where they can be.
import type { GraphRecorder } from '../graph-builder';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters are [kH, kW, in, out]; ONNX Conv and ConvTranspose weights are [out, in, kH, kW]. */
export const HWIO_TO_OIHW = [3, 2, 0, 1];

/** The NCHW shape of an NHWC shape. */
export const nchwOf = (shape: readonly number[]): number[] => NHWC_TO_NCHW.map((axis) => shape[axis]!);

/**
 * A transpose of `name` (of `shape`) by `perm`. onnxruntime's Transpose is slow in general ranks
 * and fast as a plain matrix transpose: moving the batch of a [100, 28, 28, 1] image to the end
 * took 176 us as given and 21 us as the [100, 784] transpose it is. So a transpose that reduces
 * to a matrix transpose (see {@link reducedTranspose}) is one, between Reshapes, and one that
 * moves nothing is a Reshape. Others stay as they are: onnxruntime moves 4-D layout transposes
 * through elementwise nodes and cancels them in pairs, which Reshapes around them would prevent
 * (the small CNN's bias Add then ran in NHWC at 7x the time of the NCHW one).
 */
export function matrixTranspose(recorder: GraphRecorder, name: string, shape: readonly number[], perm: readonly number[]): string {
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
export function transpose(recorder: GraphRecorder, name: string, shape: readonly number[], perm: readonly number[]): string {
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
