// The browser entry of @sdae/datasets: parsing, splits, batches and loading with fetch; no Node built-ins.
export { DatasetFormatError } from './errors';
export type { DatasetFormatErrorDetails } from './errors';
export { parseIdx, encodeIdx, isGzip } from './idx';
export type { IdxArray, ParseIdxOptions } from './idx';
export { imageSetFromBytes, sliceImageSet, oneHot, classCounts, meanPixel } from './image-set';
export type { ImageSet, RawImageRange } from './image-set';
export { pixelBytesOf, pixelChecksum } from './pixel-sources';
export { MNIST_FILE_NAMES, MNIST_SPLIT_NAMES, mnistFromBytes } from './mnist';
export type { Mnist, MnistFiles, MnistFileRole, MnistSplitName, MnistSplitOptions, MnistSources } from './mnist';
export { loadMnistFromUrls, mnistUrls } from './load-mnist-url';
export type { LoadMnistFromUrlsOptions, MnistDownloadProgress } from './load-mnist-url';
export { batchCount, epochOrder, gatherBatch, epochBatches, sampledBatches } from './batches';
export type { Batch, BatchOrder, PartialBatchPolicy, EpochBatchOptions, SampledBatchOptions } from './batches';
export { barsAndStripes } from './synthetic';
export { mnistInput, digitInput } from './digit-input';
export type { MnistInputOptions, RgbaPixels, DigitInput } from './digit-input';
export type { BarsAndStripesOptions } from './synthetic';
// The names below moved to @sdae/core; they stay here, deprecated, for one minor version.
export {
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  SdaeError,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  InvalidArgumentError,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  assert,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  describeValue,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  requirePositiveInteger,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  requireNonNegativeInteger,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  requireNumber,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  requireBoolean,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  resolveChoice,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  Random,
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  deriveSeed,
} from './deprecated';
export type {
  /** @deprecated Import from @sdae/core; this re-export goes in the next minor version. */
  NumberRange,
} from './deprecated';
