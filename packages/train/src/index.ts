// The Node entry of @sdae/train: everything in the browser entry, plus checkpoint files.
export * from './browser';
export { fileCheckpoint, readCheckpointFile, writeFileAtomic } from './checkpoint-file';
