export * from './index.js';
export { createGradientWorkers, type GradientWorkers, type GradientWorkersOptions } from './node/parallel.js';
