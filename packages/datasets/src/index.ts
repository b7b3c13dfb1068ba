// The Node entry of @sdae/datasets: everything in the browser entry, plus loading from disk.
export * from './browser';
export { loadMnist, mnistDataDirectory } from './load-mnist-node';
export type { LoadMnistOptions } from './load-mnist-node';
export { openRegularFile, readRegularFile, formatBytes } from './regular-file';
export type { RegularFile, RegularFileOptions, FileErrorFactory } from './regular-file';
