// The browser entry of @sdae/layers: every model, serialisation to and from bytes; no Node built-ins.
import './register';

export { ACTIVATION_NAMES, resolveActivation } from './activations';
export type { Activation, ActivationName } from './activations';
export { CORRUPTION_KINDS, corruptTensor, maskValues } from './corruption';
export type { CorruptionKind } from './corruption';
export { uniformBound } from './initializers';
export { MAX_WEIGHT_VALUES, requireDenseLayersFit } from './dense';
export { Model, isBiasVariable } from './model';
export type { ModelClassName, ModelConfig, WeightValue, WeightValues, LossAndGradients, ExternalWeights } from './model';
export { Classifier, CLASSIFIER_OUTPUTS, resolveClassifierOutput } from './classifier';
export type { InputLayout, ClassifierOutput } from './classifier';
export { DenoisingAutoencoder, RECONSTRUCTION_LOSSES, resolveDenoisingAutoencoderOptions } from './denoising-autoencoder';
export type { DenoisingAutoencoderOptions, DenoisingAutoencoderConfig, ReconstructionLoss } from './denoising-autoencoder';
export {
  StackedDenoisingAutoencoder,
  SDA_INITIALIZATIONS,
  resolveStackedDenoisingAutoencoderOptions,
} from './stacked-denoising-autoencoder';
export type {
  StackedDenoisingAutoencoderOptions,
  StackedDenoisingAutoencoderConfig,
  SdaInitialization,
} from './stacked-denoising-autoencoder';
export { ReluCnn } from './relu-cnn';
export { RELU_CNN_PRESETS, CONVOLUTION_PADDINGS, CONVOLUTION_BIASES, resolveReluCnnOptions } from './relu-cnn-options';
export type {
  ReluCnnOptions,
  ReluCnnConfig,
  ReluCnnPreset,
  ConvolutionOptions,
  ConvolutionConfig,
  ConvolutionPadding,
  ConvolutionBias,
} from './relu-cnn-options';
export { LogisticRegression, resolveLogisticRegressionOptions } from './logistic-regression';
export type { LogisticRegressionOptions, LogisticRegressionConfig } from './logistic-regression';
export { Mlp, resolveMlpOptions } from './mlp';
export type { MlpOptions, MlpConfig } from './mlp';
export { filterRows, readFilterRows } from './filter-rows';
export { initializeFrom } from './transfer';
export type { InitializeFromOptions, InitializeFromReport } from './transfer';
export { encodeBundle, decodeBundle, packTensors, unpackTensors } from './bundle';
export type { TensorBundle, BundleTensor, ManifestEntry } from './bundle';
export { modelToBytes, readModelBytes, modelFromBytes, modelToBundle, modelFromBundle, modelFromConfig } from './model-io';
export type { AnyModel } from './model-io';
export { ModelFormatError } from './errors';
export { exportLayersModel, importLayersModel } from './layers-model-io';
export type { LayersModelLocation, ExportedLayersModel } from './layers-model-io';
export { layersModelArtifacts, modelFromLayersArtifacts } from './layers-format';
export type { LayersModelPart, LayersModelArtifacts } from './layers-format';
export { modelToOnnx, onnxSignature, inferenceOf } from './onnx/onnx-export';
export type { OnnxExportOptions, OnnxSignature, OnnxTensorDescription } from './onnx/onnx-export';
export { formatSummary, formatCount } from './summary/model-summary';
export type { ModelSummary, SummaryRow, SummaryLayer, SummaryOptions } from './summary/model-summary';
export { layersModelCounts } from './summary/export-count';
export type { LayersModelCount, LayersModelCounts } from './summary/export-count';
