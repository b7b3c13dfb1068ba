// Lowering of max pooling and its gradient (with indices on the CPU provider, by comparison on GPU
// providers, which have no Indices output).
import { backend_util } from '@tensorflow/tfjs-core';
import { maxPoolGradByComparison } from '../max-pool-grad';
import { type KernelContext, type KernelMapping } from './context';
import { padsOf } from './convolution';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, nchwOf, transpose } from './layout';

export function poolInfo(context: KernelContext, xShape: number[]): backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = context.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}
export const maxPoolAttributes = (info: backend_util.Conv2DInfo) => ({
  kernel_shape: { ints: [info.filterHeight, info.filterWidth] },
  strides: { ints: [info.strideHeight, info.strideWidth] },
  pads: { ints: padsOf(info) },
});

export const maxPool: KernelMapping = (context) => {
  const { recorder } = context;
  const info = poolInfo(context, context.inputInfos.x!.shape);
  const pooled = recorder.emit(
    'MaxPool',
    [transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, NHWC_TO_NCHW)],
    maxPoolAttributes(info),
  );
  return [transpose(recorder, pooled, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/**
 * The gradient of max pooling: each window's dy goes to the position of its maximum (the first
 * in row-major order on ties, as tfjs's cpu kernel picks it), added up where windows overlap.
 * MaxPool's Indices output gives those positions; ScatterElements adds dy there. GPU providers
 * without that output get {@link maxPoolGradByComparison}.
 */
export const maxPoolGrad: KernelMapping = (context) => {
  const { recorder } = context;
  const inputShape = context.inputInfos.input!.shape;
  const info = poolInfo(context, inputShape);
  if (recorder.maxPoolGradient === 'compare')
    return [maxPoolGradByComparison(recorder, context.inputs.input!, inputShape, context.inputs.dy!, info)];
  const [, indices] = recorder.emitMany(
    'MaxPool',
    [transpose(recorder, context.inputs.input!, inputShape, NHWC_TO_NCHW)],
    2,
    maxPoolAttributes(info),
  );
  const nchw = nchwOf(inputShape);
  const dy = transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW);
  let dx: string;
  if (info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth) {
    // Windows that do not overlap have one maximum per input position at most: MaxUnpool puts dy
    // there (0.2 ms for the small CNN's [100, 8, 24, 24] where ScatterElements took 0.85).
    dx = recorder.emit('MaxUnpool', [dy, indices!, recorder.int64Constant(nchw)], maxPoolAttributes(info));
  } else {
    const size = inputShape.reduce((product, extent) => product * extent, 1);
    const flat = recorder.int64Constant([-1]);
    const zeros = recorder.constant('float32', [size], new Float32Array(size));
    const scattered = recorder.emit(
      'ScatterElements',
      [zeros, recorder.emit('Reshape', [indices!, flat]), recorder.emit('Reshape', [dy, flat])],
      { axis: { int: 0 }, reduction: { string: 'add' } },
    );
    dx = recorder.emit('Reshape', [scattered, recorder.int64Constant(nchw)]);
  }
  return [transpose(recorder, dx, nchw, NCHW_TO_NHWC)];
};
