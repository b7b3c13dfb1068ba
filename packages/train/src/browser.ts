// The browser entry of @sdae/train: every loop, optimiser, metric and preset; no Node built-ins.
export { DEFAULT_LEARNING_RATE, Optimizer, OPTIMIZER_NAMES, resolveOptimizerOptions } from './optim/optimizers';
export type { OptimizerName, OptimizerOptions, OptimizerConfig, OptimizerState } from './optim/optimizers';
export {
  LEARNING_RATE_SCHEDULE_KINDS,
  formatLearningRateSchedule,
  parseLearningRateSchedule,
  resolveLearningRateSchedule,
  scheduledLearningRate,
} from './optim/learning-rate-schedule';
export type { LearningRateSchedule, LearningRateScheduleKind } from './optim/learning-rate-schedule';
export { EarlyStopping } from './loops/early-stopping';
export type { EarlyStoppingOptions, EarlyStoppingState } from './loops/early-stopping';
export { errorRate, accuracy, confusionMatrix, evaluate } from './metrics';
export type { Evaluation, EvaluationOptions, EvaluateOptions } from './metrics';
export { formatEpochLog, runWithHooks } from './events';
export type { EpochLog, SetEvaluation, StopReason, TrainingResult, TrainingEvent, TrainingHooks } from './events';
export { DivergenceError } from './errors';
export type { CheckpointOptions, CommonTrainingOptions } from './loops/loop-options';
export { ENGINE_NAMES, DEVICE_NAMES } from './engine/engine-options';
export type { EngineName, DeviceName, EngineReport } from './engine/engine-options';
export { encodeCheckpoint, decodeCheckpoint, restoreCheckpoint, settingsDifferences } from './checkpoint/checkpoint';
export type { Checkpoint, CheckpointSettings, LoopState, ResumeExpectations, SettingValue } from './checkpoint/checkpoint';
export { trainAutoencoder, autoencoderTraining } from './loops/train-autoencoder';
export type { TrainAutoencoderOptions } from './loops/train-autoencoder';
export { pretrainStack, pretrainingTraining } from './loops/pretrain-stack';
export type { PretrainStackOptions } from './loops/pretrain-stack';
export { fitClassifier, classifierTraining } from './loops/fit-classifier';
export type { FitClassifierOptions, ClassifierData } from './loops/fit-classifier';
export { trainSampled, sampledTraining } from './loops/train-sampled';
export type { TrainSampledOptions } from './loops/train-sampled';
export { GRADIENT_REDUCTIONS } from './engine/step-engine';
export type { GradientReduction } from './engine/step-engine';
export { TUTORIAL_DA, TUTORIAL_SDA, DEEPLEARNTOOLBOX_SAE, NOTEBOOK_CNN, NOTEBOOK_CNN_SUMMED, LENET_CNN, CNN_PRESETS } from './presets';
export type {
  DenoisingAutoencoderPreset,
  StackedDenoisingAutoencoderPreset,
  ReluCnnTrainingPreset,
  CnnTraining,
  SampledCnnTraining,
  EpochCnnTraining,
} from './presets';
