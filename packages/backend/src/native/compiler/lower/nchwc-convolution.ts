// Convolutions in onnxruntime's blocked channel layout (NCHWc): its CPU provider's fastest Conv
// kernels, which its graph optimizer only gives convolutions of constant filters. A training step's
// filters are inputs, so the step graph reorders them itself and writes the blocked Conv.
import type { backend_util } from '@tensorflow/tfjs-core';
import type { GraphRecorder } from '../graph-builder';
import { NCHWC_DOMAIN } from '../ir';

/**
 * Whether a convolution of `inChannels` into `outChannels` takes the blocked form with blocks of
 * `block` channels: several input channels (one input channel is the pooled pass's, see
 * ../fold-conv-pool.ts), fewer than a block or whole blocks of them, whole blocks of filters.
 */
export function usesBlockedForm(info: backend_util.Conv2DInfo, block: number | undefined): block is number {
  const { inChannels, outChannels, dilationHeight, dilationWidth } = info;
  if (block === undefined || dilationHeight !== 1 || dilationWidth !== 1) return false;
  return inChannels > 1 && (inChannels < block || inChannels % block === 0) && outChannels % block === 0;
}

/**
 * `filters` `[M, C, kH, kW]` (OIHW) in the order the blocked Conv reads them: `[M/b, C, kH, kW, b]`
 * for fewer input channels than a block (the input stays NCHW), `[M/b, C/b, kH, kW, b, b]` (input
 * channel, then filter, inside the blocks) for whole blocks; written back as `[M, C, kH, kW]`.
 */
export function blockedFilters(recorder: GraphRecorder, filters: string, shape: readonly number[], block: number): string {
  const [outChannels, inChannels, height, width] = shape as [number, number, number, number];
  const blocked = inChannels < block;
  const split = blocked
    ? [outChannels / block, block, inChannels, height, width]
    : [outChannels / block, block, inChannels / block, block, height, width];
  const perm = blocked ? [0, 2, 3, 4, 1] : [0, 2, 4, 5, 3, 1];
  const moved = recorder.emit('Transpose', [recorder.emit('Reshape', [filters, recorder.int64Constant(split)])], { perm: { ints: perm } });
  return recorder.emit('Reshape', [moved, recorder.int64Constant(shape)]);
}

/**
 * The blocked convolution of `x` (NCHW) by `filters` (OIHW), returned in NCHW: the input in blocks
 * where it has whole blocks of channels (ReorderInput), the Conv, and ReorderOutput back to NCHW.
 */
export function blockedConv(
  recorder: GraphRecorder,
  x: string,
  filters: string,
  filterShape: readonly number[],
  block: number,
  attributes: { strides: number[]; pads: number[] },
): string {
  const [outChannels, inChannels] = filterShape as [number, number];
  const input = inChannels < block ? x : recorder.emit('ReorderInput', [x], undefined, NCHWC_DOMAIN);
  const y = recorder.emit(
    'Conv',
    [input, blockedFilters(recorder, filters, filterShape, block)],
    {
      strides: { ints: attributes.strides },
      pads: { ints: attributes.pads },
    },
    NCHWC_DOMAIN,
  );
  return recorder.emit('ReorderOutput', [y], { channels: { int: outChannels } }, NCHWC_DOMAIN);
}
