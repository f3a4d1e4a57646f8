// @medxfer/train — two-phase transfer learning for TensorFlow.js.
export * from './errors.js';
export { Optimizer, type OptimizerState, type ParamSettings } from './optim/optimizer.js';
export { Adam, Sgd, type AdamOptions, type SgdOptions } from './optim/adam.js';
export { binaryCrossEntropyWithLogits, crossEntropy, type BinaryCrossEntropyOptions, type CrossEntropyOptions } from './loss.js';
export { lrFactor, type Schedule } from './schedule.js';
export { planFromJson } from './plan-json.js';
export { groupLr, validatePlan, type LossSpec, type OptimizerSpec, type Phase, type Plan } from './plan.js';
export { PRESETS, discriminativeLrs, fineTunePlan, medmnistV2Plan, notebookPlan, presetPlan, scratchPlan, type FineTuneOptions, type MedmnistV2Options, type NotebookOptions, type PresetName, type ScratchOptions } from './presets.js';
export type { BatchGradientRequest, BatchGradients, ParallelGradients, PredictRequest } from './parallel.js';
export { train, validationMetrics, type TrainerOptions, type TrainingResult } from './trainer.js';
export { checkpointEachEpoch, earlyStopping, type BatchProgress, type Callback, type TrainerControl } from './callbacks.js';
export type { EpochRecord } from './history.js';
export { WeightAverage } from './ema.js';
export { recomputeBatchNormStats } from './bn-stats.js';
export { decodeTrainingState, encodeTrainingState, restoreModel, snapshotModel, type CheckpointDigest, type TrainingState } from './state.js';
export { featuresOfSplit, PREDICT_BATCH_SIZE, predictSplit, type PredictOptions, type TestTimeAugmentation } from './predict.js';
export { readAndDispose, readVariables } from './read.js';
export { inputTensor } from './input.js';
export { autoBackendsFor, BACKENDS, backendInfo, backendsFor, type BackendInfo } from './backends.js';
export { findLearningRate, type LrFinderOptions, type LrFinderResult } from './lr-finder.js';
export {
  checkProbabilities, correctOf, explainedClass, meanNll, lossOf, lossOptionsFor, MULTI_LABEL_THRESHOLD, outputActivation, predictionOf, probabilitiesOf, probabilityLoss,
  sliceTargets, targetsOf, targetTensor, taskKind, taskOf, type LossOptions, type Prediction, type Targets, type TaskKind,
} from './task.js';
export { addGradients, addStep, batchGradients, chunkGradients, type StepResult, type StepSpec } from './step.js';
export { predictionsCsv, scoreProbabilities, scoreSplit, worstErrors, type ScoreOptions, type SplitScore, type WorstError } from './evaluation.js';
