import type { backend_util } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from './graph-builder';

/**
 * Max pooling's gradient without MaxPool's Indices output (which onnxruntime's WebGPU provider
 * lacks), in NHWC: every window is gathered ([N, windows, window size, C]), compared with its
 * maximum, and only the first position equal to it (row-major, as tfjs's cpu kernel picks on
 * ties: a strictly-lower-triangular MatMul counts the equal positions before each) takes the
 * window's dy. The windows' contributions are gathered back to input positions, one gather per
 * offset inside the window, and summed, so overlapping windows add up as tfjs's do. Padding
 * ('same') is -Infinity, which is never a maximum.
 *
 * @returns the name of dx, shaped as `inputShape` (NHWC).
 */
export function maxPoolGradByComparison(
  recorder: GraphRecorder,
  input: string,
  inputShape: readonly number[],
  dy: string,
  info: backend_util.Conv2DInfo,
): string {
  const [batch, height, width, channels] = inputShape as [number, number, number, number];
  const { top, left, bottom, right } = info.padInfo;
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = info;
  const paddedHeight = height + top + bottom;
  const paddedWidth = width + left + right;
  const positions = paddedHeight * paddedWidth;
  const windows = outHeight * outWidth;
  const size = filterHeight * filterWidth;
  const padded =
    top + left + bottom + right === 0
      ? input
      : recorder.emit('Pad', [
          input,
          recorder.int64Constant([0, top, left, 0, 0, bottom, right, 0]),
          recorder.constant('float32', [], Float32Array.of(-Infinity)),
        ]);
  const flat = recorder.emit('Reshape', [padded, recorder.int64Constant([batch, positions, channels])]);
  // The input position of each window's k-th element, and for each k the window element each position receives from.
  const gatherIndex = new Int32Array(windows * size);
  const scatterIndex = new Int32Array(size * positions).fill(windows * size);
  for (let i = 0; i < outHeight; i++)
    for (let j = 0; j < outWidth; j++)
      for (let kh = 0; kh < filterHeight; kh++)
        for (let kw = 0; kw < filterWidth; kw++) {
          const element = (i * outWidth + j) * size + kh * filterWidth + kw;
          const position = (i * strideHeight + kh) * paddedWidth + j * strideWidth + kw;
          gatherIndex[element] = position;
          scatterIndex[(kh * filterWidth + kw) * positions + position] = element;
        }
  const gathered = recorder.emit('Gather', [flat, recorder.constant('int32', [windows * size], gatherIndex)], { axis: { int: 1 } });
  const patches = recorder.emit('Reshape', [gathered, recorder.int64Constant([batch, windows, size, channels])]);
  const maximum = recorder.reduce('ReduceMax', patches, [2], true);
  const equal = recorder.emit('Cast', [recorder.emit('Equal', [patches, maximum])], { to: { int: 1 } });
  const earlier = new Float32Array(size * size);
  for (let k = 0; k < size; k++) for (let j = 0; j < k; j++) earlier[k * size + j] = 1;
  const before = recorder.emit('MatMul', [recorder.constant('float32', [size, size], earlier), equal]);
  const firstOnly = recorder.emit('Cast', [recorder.emit('Less', [before, recorder.constant('float32', [], Float32Array.of(0.5))])], {
    to: { int: 1 },
  });
  const windowDy = recorder.emit('Reshape', [dy, recorder.int64Constant([batch, windows, 1, channels])]);
  const contributions = recorder.emit('Mul', [recorder.emit('Mul', [equal, firstOnly]), windowDy]);
  const flatContributions = recorder.emit('Reshape', [contributions, recorder.int64Constant([batch, windows * size, channels])]);
  // One zero row at the end: the positions no window element reaches read it.
  const withZero = recorder.emit(
    'Concat',
    [flatContributions, recorder.constant('float32', [batch, 1, channels], new Float32Array(batch * channels))],
    {
      axis: { int: 1 },
    },
  );
  const spread = recorder.emit('Gather', [withZero, recorder.constant('int32', [size, positions], scatterIndex)], { axis: { int: 1 } });
  const summed = recorder.emit('ReduceSum', [spread, recorder.int64Constant([1])], { keepdims: { int: 0 } });
  const dxPadded = recorder.emit('Reshape', [summed, recorder.int64Constant([batch, paddedHeight, paddedWidth, channels])]);
  if (top + left + bottom + right === 0) return dxPadded;
  return recorder.emit('Slice', [
    dxPadded,
    recorder.int64Constant([top, left]),
    recorder.int64Constant([top + height, left + width]),
    recorder.int64Constant([1, 2]),
  ]);
}
