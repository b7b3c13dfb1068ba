// The filter gradient of a convolution of one input channel (a CNN's first layer on grey images) as
// one grouped convolution: each image is a group, convolved with its own dy as the kernel.
import type { backend_util } from '@tensorflow/tfjs-core';
import type { KernelContext } from './context';
import { NHWC_TO_NCHW, transpose } from './layout';

/**
 * `dW[kh, kw, 0, m] = sum_{n,i,j} x[n, i sH + kh - top, j sW + kw - left] dy[n, i, j, m]` for an
 * input of one channel: with the batch as the channels of one image, `[1, N, H, W]` (the same
 * memory as NHWC), and dy as N groups of M kernels `[N M, 1, Ho, Wo]` dilated by the stride, a
 * Conv of N groups gives every image's `[M, kH, kW]` at once, `[1, N M, kH', kW']`; the first kH
 * by kW of them (a stride that leaves rows unread makes the output larger) summed over the batch
 * (a product with a row of ones) are dW. onnxruntime runs one small product per image, its
 * patches in cache: the small CNN's first layer took 0.62 of the time of the general form's
 * Transposes, patch Gather and product (1 thread). The grouped Conv is what the pooling pass
 * (../fold-conv-pool.ts) finds and replaces.
 */
export function groupedConv2DBackpropFilter(context: KernelContext, info: backend_util.Conv2DInfo): string[] {
  const { recorder } = context;
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const images = recorder.emit('Reshape', [context.inputs.x!, recorder.int64Constant([1, batchSize, inHeight, inWidth])]);
  const dy = transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW);
  const kernels = recorder.emit('Reshape', [dy, recorder.int64Constant([batchSize * outChannels, 1, outHeight, outWidth])]);
  const { top, left, bottom, right } = info.padInfo;
  let perImage = recorder.emit('Conv', [images, kernels], {
    group: { int: batchSize },
    dilations: { ints: [strideHeight, strideWidth] },
    pads: { ints: [top, left, bottom, right] },
  });
  const height = inHeight + top + bottom - strideHeight * (outHeight - 1);
  const width = inWidth + left + right - strideWidth * (outWidth - 1);
  if (height !== filterHeight || width !== filterWidth) {
    perImage = recorder.emit('Slice', [
      perImage,
      recorder.int64Constant([0, 0]),
      recorder.int64Constant([filterHeight, filterWidth]),
      recorder.int64Constant([2, 3]),
    ]);
  }
  const size = filterHeight * filterWidth;
  const rows = recorder.emit('Reshape', [perImage, recorder.int64Constant([batchSize, outChannels * size])]);
  const summed = recorder.emit('MatMul', [recorder.ones([1, batchSize]), rows]);
  const byFilter = recorder.emit('Reshape', [summed, recorder.int64Constant([outChannels, size])]);
  const hwio = transpose(recorder, byFilter, [outChannels, size], [1, 0]);
  return [recorder.emit('Reshape', [hwio, recorder.int64Constant([filterHeight, filterWidth, 1, outChannels])])];
}
