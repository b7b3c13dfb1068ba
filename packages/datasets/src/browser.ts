// The browser entry of @sdae/datasets: parsing, splits, batches and loading with fetch; no Node built-ins.
export { SdaeError, InvalidArgumentError, DatasetFormatError, assert } from './errors';
export type { DatasetFormatErrorDetails } from './errors';
export { describeValue, requirePositiveInteger, requireNonNegativeInteger, requireNumber, requireBoolean, resolveChoice } from './validate';
export type { NumberRange } from './validate';
export { parseIdx, encodeIdx, isGzip } from './idx';
export type { IdxArray, ParseIdxOptions } from './idx';
export { imageSetFromBytes, sliceImageSet, oneHot, classCounts, meanPixel } from './image-set';
export type { ImageSet, RawImageRange } from './image-set';
export { MNIST_FILE_NAMES, MNIST_SPLIT_NAMES, mnistFromBytes } from './mnist';
export type { Mnist, MnistFiles, MnistFileRole, MnistSplitName, MnistSplitOptions, MnistSources } from './mnist';
export { loadMnistFromUrls, mnistUrls } from './load-mnist-url';
export type { LoadMnistFromUrlsOptions, MnistDownloadProgress } from './load-mnist-url';
export { Random, deriveSeed } from './random';
export { batchCount, epochOrder, gatherBatch, epochBatches, sampledBatches } from './batches';
export type { Batch, BatchOrder, PartialBatchPolicy, EpochBatchOptions, SampledBatchOptions } from './batches';
export { barsAndStripes } from './synthetic';
export type { BarsAndStripesOptions } from './synthetic';
