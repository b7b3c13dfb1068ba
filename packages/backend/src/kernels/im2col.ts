import type { backend_util } from '@tensorflow/tfjs-core';

/** The geometry of a 2-D convolution, as tfjs computes it. */
export type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Copies every receptive field of `x` (NHWC) into one row of `columns`: row
 * `(b, outRow, outColumn)` holds the `filterHeight x filterWidth x inChannels` input values the
 * filter sees there, zeros where it overlaps padding. Then `columns` (rows x depth) times the
 * filter (depth x outChannels) is the convolution, and `columns^T dy` its filter gradient.
 * With `transposed`, writes `columns^T` (depth x rows) instead.
 *
 * Writes every element of `columns` (which may hold garbage, e.g. fresh wasm heap memory).
 */
export function im2col(x: ArrayLike<number>, info: Conv2DInfo, columns: Float32Array | Float64Array, transposed = false): void {
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
  } = info;
  const { top, left } = info.padInfo;
  const rows = batchSize * outHeight * outWidth;
  const depth = filterHeight * filterWidth * inChannels;
  if (transposed) {
    // One row of columns^T per filter tap: contiguous writes, and for one input channel
    // contiguous reads along each output row.
    let k = 0;
    for (let filterRow = 0; filterRow < filterHeight; filterRow++) {
      for (let filterColumn = 0; filterColumn < filterWidth; filterColumn++) {
        for (let channel = 0; channel < inChannels; channel++, k++) {
          let target = k * rows;
          for (let batch = 0; batch < batchSize; batch++) {
            for (let outRow = 0; outRow < outHeight; outRow++) {
              const inRow = outRow * strideHeight - top + filterRow * dilationHeight;
              const rowInside = inRow >= 0 && inRow < inHeight;
              const rowStart = (batch * inHeight + inRow) * inWidth;
              for (let outColumn = 0; outColumn < outWidth; outColumn++, target++) {
                const inColumn = outColumn * strideWidth - left + filterColumn * dilationWidth;
                columns[target] = rowInside && inColumn >= 0 && inColumn < inWidth ? x[(rowStart + inColumn) * inChannels + channel]! : 0;
              }
            }
          }
        }
      }
    }
    return;
  }
  let row = 0;
  for (let batch = 0; batch < batchSize; batch++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      for (let outColumn = 0; outColumn < outWidth; outColumn++, row++) {
        let k = row * depth;
        for (let filterRow = 0; filterRow < filterHeight; filterRow++) {
          const inRow = outRow * strideHeight - top + filterRow * dilationHeight;
          for (let filterColumn = 0; filterColumn < filterWidth; filterColumn++) {
            const inColumn = outColumn * strideWidth - left + filterColumn * dilationWidth;
            const inside = inRow >= 0 && inRow < inHeight && inColumn >= 0 && inColumn < inWidth;
            const source = ((batch * inHeight + inRow) * inWidth + inColumn) * inChannels;
            for (let channel = 0; channel < inChannels; channel++, k++) columns[k] = inside ? x[source + channel]! : 0;
          }
        }
      }
    }
  }
}
