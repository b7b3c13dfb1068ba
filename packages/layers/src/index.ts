// The Node entry of @sdae/layers: everything in the browser entry, plus saving to and loading from a directory.
export * from './browser';
export { saveModel, loadModel, recoverModelDirectory, MODEL_FILES } from './save-load-node';
