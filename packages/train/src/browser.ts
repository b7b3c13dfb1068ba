// The browser entry of @sdae/train: every loop, optimiser, metric and preset; no Node built-ins.
export { Optimizer, OPTIMIZER_NAMES, resolveOptimizerOptions } from './optimizers';
export type { OptimizerName, OptimizerOptions, OptimizerConfig, OptimizerState } from './optimizers';
export {
  LEARNING_RATE_SCHEDULE_KINDS,
  formatLearningRateSchedule,
  parseLearningRateSchedule,
  resolveLearningRateSchedule,
  scheduledLearningRate,
} from './learning-rate-schedule';
export type { LearningRateSchedule, LearningRateScheduleKind } from './learning-rate-schedule';
export { EarlyStopping } from './early-stopping';
export type { EarlyStoppingOptions, EarlyStoppingState } from './early-stopping';
export { errorRate, accuracy, confusionMatrix, evaluate } from './metrics';
export type { Evaluation, EvaluationOptions } from './metrics';
export { formatEpochLog, runWithHooks } from './events';
export type { EpochLog, SetEvaluation, StopReason, TrainingResult, TrainingEvent, TrainingHooks } from './events';
export { DivergenceError } from './errors';
export type { CheckpointOptions, CommonTrainingOptions } from './loop-options';
export { ENGINE_NAMES, DEVICE_NAMES } from './engine-options';
export type { EngineName, DeviceName, EngineReport } from './engine-options';
export { encodeCheckpoint, decodeCheckpoint, restoreCheckpoint, settingsDifferences } from './checkpoint';
export type { Checkpoint, CheckpointSettings, LoopState, ResumeExpectations, SettingValue } from './checkpoint';
export { trainAutoencoder, autoencoderTraining } from './train-autoencoder';
export type { TrainAutoencoderOptions } from './train-autoencoder';
export { pretrainStack, pretrainingTraining } from './pretrain-stack';
export type { PretrainStackOptions } from './pretrain-stack';
export { fitClassifier, classifierTraining } from './fit-classifier';
export type { FitClassifierOptions, ClassifierData } from './fit-classifier';
export { trainSampled, sampledTraining } from './train-sampled';
export type { TrainSampledOptions } from './train-sampled';
export { GRADIENT_REDUCTIONS } from './step-engine';
export type { GradientReduction } from './step-engine';
export { TUTORIAL_DA, TUTORIAL_SDA, DEEPLEARNTOOLBOX_SAE, NOTEBOOK_CNN, NOTEBOOK_CNN_SUMMED, LENET_CNN, CNN_PRESETS } from './presets';
export type {
  DenoisingAutoencoderPreset,
  StackedDenoisingAutoencoderPreset,
  ReluCnnTrainingPreset,
  CnnTraining,
  SampledCnnTraining,
  EpochCnnTraining,
} from './presets';
