// @sdae/datasets/tensors: batches as tfjs tensors (needs the peer @tensorflow/tfjs-core).
export { batchToTensors } from './batch-tensors';
export type { BatchTensors, BatchTensorOptions, ImageLayout } from './batch-tensors';
