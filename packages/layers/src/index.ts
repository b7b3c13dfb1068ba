// The Node entry of @sdae/layers: everything in the browser entry, plus saving to and loading from a directory
// (exportLayersModel and importLayersModel here also take directories).
export * from './browser';
export { saveModel, loadModel, recoverModelDirectory, MODEL_FILES } from './save-load-node';
export { exportLayersModel, importLayersModel, layersModelDirectory } from './layers-model-node';
export { readBundleBytes } from './bundle';
export { exportOnnx } from './onnx/onnx-export-node';
export type { ExportedOnnxModel } from './onnx/onnx-export-node';
