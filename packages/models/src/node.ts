// @medxfer/models/node — file-system helpers for Node.js.
export * from './index.js';
export { dirHandler, loadModelFromDir, saveModelToDir, torchHubCheckpointsDir, torchHubStore } from './node/files.js';
export { enableRelaxedSimd } from './node/relaxed-simd.js';
export { startKernelThreads, useKernelThreads, type KernelThreadsOptions } from './node/kernel-threads.js';
