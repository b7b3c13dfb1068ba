// The Node entry of @sdae/train: everything in the browser entry, plus checkpoint files.
export * from './browser';
export { fileCheckpoint, namingPath, readCheckpointFile, removeWriteLeftovers, writeFileAtomic } from './checkpoint/checkpoint-file';
