// Lowering of products and convolutions: Conv2D, its input and filter gradients, BatchMatMul.
import { backend_util } from '@tensorflow/tfjs-core';
import { UnsupportedKernelError } from '../../../errors';
import { type KernelContext, type KernelMapping } from './context';
import { HWIO_TO_OIHW, NCHW_TO_NHWC, NHWC_TO_NCHW, nchwOf, transpose } from './layout';
import { groupedConv2DBackpropFilter } from './grouped-filter-gradient';
import { blockedConv, usesBlockedForm } from './nchwc-convolution';
import { rowConv2D, rowConv2DBackpropFilter, usesRowForm } from './row-convolution';

export function requireNhwc(context: KernelContext): void {
  const format = context.attrs.dataFormat as string | undefined;
  if (format !== undefined && format !== 'NHWC' && format !== 'channelsLast') {
    throw new UnsupportedKernelError(context.kernelName, `dataFormat ${format} (the native engine handles NHWC only)`);
  }
}

/** ONNX pads [top, left, bottom, right] of a tfjs convolution or pooling window. */
export function padsOf(info: backend_util.Conv2DInfo): number[] {
  return [info.padInfo.top, info.padInfo.left, info.padInfo.bottom, info.padInfo.right];
}

export function convInfo(context: KernelContext, xShape: number[], filterShape: number[]): backend_util.Conv2DInfo {
  const { strides, pad, dilations, dimRoundingMode } = context.attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}
export const conv2D: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const info = convInfo(context, context.inputInfos.x!.shape, context.inputInfos.filter!.shape);
  if (usesRowForm(info)) return rowConv2D(context, info);
  const x = transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, NHWC_TO_NCHW);
  const filterShape = context.inputInfos.filter!.shape;
  const filters = transpose(recorder, context.inputs.filter!, filterShape, HWIO_TO_OIHW);
  const strides = [info.strideHeight, info.strideWidth];
  const y = usesBlockedForm(info, recorder.nchwcBlock)
    ? blockedConv(
        recorder,
        x,
        filters,
        HWIO_TO_OIHW.map((axis) => filterShape[axis]!),
        recorder.nchwcBlock,
        { strides, pads: padsOf(info) },
      )
    : recorder.emit('Conv', [x, filters], {
        strides: { ints: strides },
        dilations: { ints: [info.dilationHeight, info.dilationWidth] },
        pads: { ints: padsOf(info) },
      });
  return [transpose(recorder, y, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/**
 * The gradient of a convolution with respect to its input: a transposed convolution, on the CPU
 * as one product and a Col2Im (see {@link inputGradientByCol2Im}).
 */
export const conv2DBackpropInput: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const inputShape = context.attrs.inputShape as number[];
  const info = convInfo(context, inputShape, context.inputInfos.filter!.shape);
  if (recorder.convolutionInputGradient === 'col2im') return [inputGradientByCol2Im(context, info)];
  const pads = padsOf(info);
  const spanHeight = (info.filterHeight - 1) * info.dilationHeight + 1;
  const spanWidth = (info.filterWidth - 1) * info.dilationWidth + 1;
  // The rows and columns the forward convolution's stride left unread get output padding.
  const outputPadding = [
    info.inHeight - (info.strideHeight * (info.outHeight - 1) + spanHeight - pads[0]! - pads[2]!),
    info.inWidth - (info.strideWidth * (info.outWidth - 1) + spanWidth - pads[1]! - pads[3]!),
  ];
  const y = recorder.emit(
    'ConvTranspose',
    [
      transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW),
      transpose(recorder, context.inputs.filter!, context.inputInfos.filter!.shape, HWIO_TO_OIHW),
    ],
    {
      strides: { ints: [info.strideHeight, info.strideWidth] },
      dilations: { ints: [info.dilationHeight, info.dilationWidth] },
      pads: { ints: pads },
      output_padding: { ints: outputPadding },
    },
  );
  return [transpose(recorder, y, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC)];
};

/**
 * A convolution's input gradient as onnxruntime's CPU ConvTranspose computes it, with the products
 * of every image in one: the columns `col[n, (c, kh, kw), l] = sum_m W[kh, kw, c, m] dy[n, m, l]`
 * (l an output position) are one MatMul of the filters as `[C kH kW, M]` with dy as `[N, M, L]`,
 * and Col2Im adds each column into the image (strides, dilations and padding as the forward
 * convolution's). ConvTranspose ran one small product per image, slower on 2 threads than on 1:
 * W3's step 8 % faster so, LeNet's (50 filters into 20 channels) 9 %.
 */
function inputGradientByCol2Im(context: KernelContext, info: backend_util.Conv2DInfo): string {
  const { recorder } = context;
  const { batchSize, inChannels, outChannels, filterHeight, filterWidth, outHeight, outWidth } = info;
  const filter = transpose(recorder, context.inputs.filter!, context.inputInfos.filter!.shape, [2, 0, 1, 3]);
  const columnsOfFilter = recorder.emit('Reshape', [
    filter,
    recorder.int64Constant([inChannels * filterHeight * filterWidth, outChannels]),
  ]);
  const dy = recorder.emit('Reshape', [
    transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, NHWC_TO_NCHW),
    recorder.int64Constant([batchSize, outChannels, outHeight * outWidth]),
  ]);
  const dx = recorder.emit(
    'Col2Im',
    [
      recorder.emit('MatMul', [columnsOfFilter, dy]),
      recorder.int64Constant([info.inHeight, info.inWidth]),
      recorder.int64Constant([filterHeight, filterWidth]),
    ],
    {
      strides: { ints: [info.strideHeight, info.strideWidth] },
      dilations: { ints: [info.dilationHeight, info.dilationWidth] },
      pads: { ints: padsOf(info) },
    },
  );
  return transpose(recorder, dx, nchwOf(context.outputs[0]!.shape), NCHW_TO_NHWC);
}

/**
 * The gradient of a convolution with respect to its filter, as one product of the input's patches
 * with dy: `dW[kh, kw, c, m] = sum_{n,i,j} x[n, i s + kh - pad, j s + kw - pad, c] dy[n, i, j, m]`.
 * With the input laid out `[C H W, N]`, the patches are one Gather of whole rows (N values each),
 * `[kH kW C H' W', N]`, and their product with dy as `[H' W' N, M]` is dW in tfjs's own layout.
 * onnxruntime's Conv in the form it would take (channels as the batch, dy as a kernel the size of
 * the image) ran at about 1 GFLOP/s, and 25 strided Slices with a Concat took 2.5 of a small
 * CNN's 10 ms step where the Gather takes 0.4.
 */
export const conv2DBackpropFilter: KernelMapping = (context) => {
  requireNhwc(context);
  const { recorder } = context;
  const filterShape = context.attrs.filterShape as number[];
  const info = convInfo(context, context.inputInfos.x!.shape, filterShape);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new UnsupportedKernelError(
      'Conv2DBackpropFilter',
      `dilations ${info.dilationHeight}x${info.dilationWidth} (the native engine handles 1x1 only)`,
    );
  }
  if (usesRowForm(info)) return rowConv2DBackpropFilter(context, info);
  if (info.inChannels === 1) return groupedConv2DBackpropFilter(context, info);
  const [batch, , , channels] = context.inputInfos.x!.shape as [number, number, number, number];
  const { outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const [top, left, bottom, right] = padsOf(info) as [number, number, number, number];
  let input = transpose(recorder, context.inputs.x!, context.inputInfos.x!.shape, [3, 1, 2, 0]);
  if (top + left + bottom + right > 0) {
    input = recorder.emit('Pad', [input, recorder.int64Constant([0, top, left, 0, 0, bottom, right, 0])]);
  }
  const paddedHeight = info.inHeight + top + bottom;
  const paddedWidth = info.inWidth + left + right;
  // The row of the [C H W, N] table that each (kh, kw, c, i, j) reads.
  const rows = new Int32Array(filterHeight * filterWidth * channels * outHeight * outWidth);
  let next = 0;
  for (let kh = 0; kh < filterHeight; kh++)
    for (let kw = 0; kw < filterWidth; kw++)
      for (let channel = 0; channel < channels; channel++)
        for (let i = 0; i < outHeight; i++)
          for (let j = 0; j < outWidth; j++)
            rows[next++] = (channel * paddedHeight + kh + i * strideHeight) * paddedWidth + kw + j * strideWidth;
  const table = recorder.emit('Reshape', [input, recorder.int64Constant([channels * paddedHeight * paddedWidth, batch])]);
  const patches = recorder.emit('Gather', [table, recorder.constant('int32', [rows.length], rows)], { axis: { int: 0 } });
  const positions = outHeight * outWidth * batch;
  const stacked = recorder.emit('Reshape', [patches, recorder.int64Constant([filterHeight * filterWidth * channels, positions])]);
  const dy = recorder.emit('Reshape', [
    transpose(recorder, context.inputs.dy!, context.inputInfos.dy!.shape, [1, 2, 0, 3]),
    recorder.int64Constant([positions, outChannels]),
  ]);
  return [recorder.emit('Reshape', [recorder.emit('MatMul', [stacked, dy]), recorder.int64Constant(filterShape)])];
};
export const batchMatMul: KernelMapping = (context) => {
  const { recorder } = context;
  const { transposeA, transposeB } = context.attrs as { transposeA: boolean; transposeB: boolean };
  const a = context.inputInfos.a!;
  const b = context.inputInfos.b!;
  if (a.shape.length === 2 && b.shape.length === 2) {
    return [
      recorder.emit('Gemm', [context.inputs.a!, context.inputs.b!], {
        transA: { int: transposeA ? 1 : 0 },
        transB: { int: transposeB ? 1 : 0 },
      }),
    ];
  }
  const swap = (rank: number) => {
    const perm = Array.from({ length: rank }, (_, axis) => axis);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    return perm;
  };
  const left = transposeA ? transpose(recorder, context.inputs.a!, a.shape, swap(a.shape.length)) : context.inputs.a!;
  const right = transposeB ? transpose(recorder, context.inputs.b!, b.shape, swap(b.shape.length)) : context.inputs.b!;
  return [recorder.emit('MatMul', [left, right])];
};
