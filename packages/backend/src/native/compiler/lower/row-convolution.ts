// Convolutions of one input channel into one output channel (the notebook CNN's single filter) as
// products over the input's rows, where onnxruntime's Conv loops over the batch with tiny products
// and the patch table of the general filter gradient is 5 times larger than the image.
// The batch is every Reshape's -1, so an exported model takes a batch of any size.
import type { backend_util } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from '../graph-builder';
import type { KernelContext } from './context';

/**
 * The widest padded input, in filter widths, for which the row form is chosen: its products do
 * `paddedWidth / filterWidth` times the multiplications a convolution needs (28 / 5 for MNIST's
 * 5 x 5 filter, where a training step's convolution and filter gradient take 0.75x the time of
 * Conv and the patch product); wider images stay with the general form.
 */
const MAX_WIDTH_IN_FILTERS = 8;

/** Whether a convolution takes the row form: one input channel, one output channel, a narrow image. */
export function usesRowForm(info: backend_util.Conv2DInfo): boolean {
  return info.inChannels === 1 && info.outChannels === 1 && paddedWidthOf(info) <= MAX_WIDTH_IN_FILTERS * info.filterWidth;
}

function paddedWidthOf(info: backend_util.Conv2DInfo): number {
  return info.inWidth + info.padInfo.left + info.padInfo.right;
}

/**
 * The rows each output row reads, `[N Ho, kH Wp]`: row (n, i) holds the padded input's rows
 * `i sH + a dH` for a < kH, side by side. Emitted once per input and geometry in a trace (the
 * convolution and its filter gradient share it).
 */
function rowTable(recorder: GraphRecorder, x: string, info: backend_util.Conv2DInfo): string {
  const { inHeight, inWidth, outHeight, filterHeight, strideHeight, dilationHeight } = info;
  const { top, left, bottom, right } = info.padInfo;
  const key = `rows:${x}:${[top, left, bottom, right, outHeight, filterHeight, strideHeight, dilationHeight].join(',')}`;
  return recorder.shared(key, () => {
    let image = recorder.emit('Reshape', [x, recorder.int64Constant([-1, inHeight, inWidth])]);
    if (top + left + bottom + right > 0) image = recorder.emit('Pad', [image, recorder.int64Constant([0, top, left, 0, bottom, right])]);
    const rows = new Int32Array(outHeight * filterHeight);
    for (let i = 0; i < outHeight; i++)
      for (let a = 0; a < filterHeight; a++) rows[i * filterHeight + a] = i * strideHeight + a * dilationHeight;
    const gathered = recorder.emit('Gather', [image, recorder.constant('int32', [outHeight, filterHeight], rows)], { axis: { int: 1 } });
    return recorder.emit('Reshape', [gathered, recorder.int64Constant([-1, filterHeight * paddedWidthOf(info)])]);
  });
}

/**
 * The convolution: the row table times a banded matrix `[kH Wp, Wo]` whose column j holds filter
 * row a at rows `a Wp + j sW + b dW` (zeros elsewhere), gathered from the filter and one zero.
 */
export function rowConv2D(context: KernelContext, info: backend_util.Conv2DInfo): string[] {
  const { recorder } = context;
  const { outHeight, outWidth, filterHeight, filterWidth, strideWidth, dilationWidth } = info;
  const paddedWidth = paddedWidthOf(info);
  const size = filterHeight * filterWidth;
  const band = new Int32Array(filterHeight * paddedWidth * outWidth).fill(size);
  for (let a = 0; a < filterHeight; a++)
    for (let j = 0; j < outWidth; j++)
      for (let b = 0; b < filterWidth; b++)
        band[(a * paddedWidth + j * strideWidth + b * dilationWidth) * outWidth + j] = a * filterWidth + b;
  const filterAndZero = recorder.emit(
    'Concat',
    [
      recorder.emit('Reshape', [context.inputs.filter!, recorder.int64Constant([size])]),
      recorder.constant('float32', [1], Float32Array.of(0)),
    ],
    { axis: { int: 0 } },
  );
  const banded = recorder.emit('Gather', [filterAndZero, recorder.constant('int32', [filterHeight * paddedWidth, outWidth], band)]);
  const product = recorder.emit('MatMul', [rowTable(recorder, context.inputs.x!, info), banded]);
  return [recorder.emit('Reshape', [product, recorder.int64Constant([-1, outHeight, outWidth, 1])])];
}

/**
 * The filter gradient: `V = dy^T rows`, `[Wo, kH Wp]`, then `dW[a, b] = sum_j V[j, a Wp + j sW + b dW]`
 * (a gather of those diagonals and a sum over j).
 */
export function rowConv2DBackpropFilter(context: KernelContext, info: backend_util.Conv2DInfo): string[] {
  const { recorder } = context;
  const { outWidth, filterHeight, filterWidth, strideWidth, dilationWidth } = info;
  const paddedWidth = paddedWidthOf(info);
  const dy = recorder.emit('Reshape', [context.inputs.dy!, recorder.int64Constant([-1, outWidth])]);
  const products = recorder.emit('Gemm', [dy, rowTable(recorder, context.inputs.x!, info)], { transA: { int: 1 } });
  const span = filterHeight * paddedWidth;
  const diagonals = new Int32Array(filterHeight * filterWidth * outWidth);
  for (let a = 0; a < filterHeight; a++)
    for (let b = 0; b < filterWidth; b++)
      for (let j = 0; j < outWidth; j++)
        diagonals[(a * filterWidth + b) * outWidth + j] = j * span + a * paddedWidth + j * strideWidth + b * dilationWidth;
  const flat = recorder.emit('Reshape', [products, recorder.int64Constant([outWidth * span])]);
  const picked = recorder.emit('Gather', [flat, recorder.constant('int32', [filterHeight, filterWidth, outWidth], diagonals)]);
  const summed = recorder.emit('ReduceSum', [picked, recorder.int64Constant([2])], { keepdims: { int: 0 } });
  return [recorder.emit('Reshape', [summed, recorder.int64Constant([filterHeight, filterWidth, 1, 1])])];
}
