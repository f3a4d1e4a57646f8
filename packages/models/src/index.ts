// @medxfer/models — torchvision-exact ResNet18 for TensorFlow.js and a safe PyTorch checkpoint importer.
export * from './errors.js';
export { BLOCKS, FEATURES, PARAM_GROUPS, STAGES, groupOf, type ParamGroup, type StageName } from './resnet/architecture.js';
export { ResNet18, type BatchNormMode, type ForwardOptions, type ModelTensor, type ResNet18Options, type StateTensor } from './resnet/model.js';
export { acsSplit, conv3d, VOLUME_CONVOLUTIONS, volumeConv, type VolumeConvolution } from './ops/volume-conv.js';
export { greyStemConv } from './resnet/grey-stem.js';
export { batchNorm, BN_EPSILON, BN_MOMENTUM, type BatchNormParams } from './ops/batchnorm.js';
export { relu } from './ops/relu.js';
export { installWasmKernels, medxferKernelsActive, releaseWasmKernelCaches, useMedxferKernels, wasmKernelsBuild } from './wasm/install.js';
export { activeKernelThreads, setKernelThreads, type KernelThreads } from './wasm/kernel-threads.js';
export { guardWasmHeap, wasmHeapUsage, WASM_HEAP_LIMIT, WasmOutOfMemoryError, type WasmHeapUsage } from './wasm/heap-guard.js';
export { imagesThatFit, resnet18StepBytes, WASM_STEP_BUDGET, type StepMemoryOptions } from './resnet/memory.js';
// For kernels that run on tfjs-wasm's heap (as @medxfer/train's fused optimiser kernels do).
export { conv2d, conv2dFilterGrad, conv2dInputGrad, type Conv2dSpec } from './ops/conv2d.js';
export { initFromCheckpoint, loadStateDict, stateDict, torchvisionStateDict, type InitReport, type LoadStateOptions, type LoadStateReport, type TorchTensor } from './weights/state-dict.js';
export * from './checkpoint/index.js';
export { camLayerFor, gradCam, jetColour, normaliseMinMax, overlayHeatmap, stageMapSize, upsampleHeatmap, type GradCamOptions, type GradCamResult } from './explain/grad-cam.js';
export { midSlice, midSliceOverlays, type VolumePlane } from './explain/volume-cam.js';
export {
  MODEL_JSON,
  MODELS_VERSION,
  WEIGHTS_BIN,
  ModelFileNotFoundError,
  WeightsChecksumError,
  WeightsSizeError,
  describeModel,
  expectedWeights,
  fileStoreHandler,
  loadModel,
  modelFromArtifacts,
  modelToArtifacts,
  saveModel,
  type FileStoreHandlerOptions,
  type LoadedModel,
  type LoadModelOptions,
  type MedxferTopology,
  type NamedIOHandler,
  type SavedModel,
  type SaveMetadata,
} from './io/artifacts.js';
export { MODEL_FORMAT, MODEL_FORMAT_VERSION, ModelFileError, ModelFormatError, validateMetadata, type ModelInput, type ModelMetadata } from './io/metadata.js';
export { IMAGENET_RESNET18, WeightsUnavailableError, hashPrefixOf, loadImagenetResNet18Weights, type ImagenetWeights, type ImagenetWeightsOptions } from './weights/imagenet.js';
