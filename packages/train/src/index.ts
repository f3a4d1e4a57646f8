// @medxfer/train — two-phase transfer learning for TensorFlow.js.
export * from './errors.js';
export { Optimizer, type OptimizerState, type ParamSettings } from './optim/optimizer.js';
export { Adam, Sgd, type AdamOptions, type SgdOptions } from './optim/adam.js';
export { crossEntropy, type CrossEntropyOptions } from './loss.js';
