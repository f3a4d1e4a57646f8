import * as tf from '@tensorflow/tfjs-core';
import { activeWasmBackend } from './heap.js';
import { batchNormKernels } from './batchnorm-kernels.js';
import { LAYOUT_KERNELS, layoutKernel } from './layout-kernels.js';
import { layerKernelsFor } from './layers-module.js';
import { maxPoolGradKernel } from './max-pool-grad-kernel.js';

const ours = new WeakSet<tf.KernelFunc>();
const installedOn = new WeakSet<object>();

/** Replaces tfjs-wasm's registration of `kernelName` with `make(replaced)`, keeping its setup and dispose functions. */
function replaceKernel(kernelName: string, make: (replaced: tf.KernelFunc) => tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (!current || ours.has(current.kernelFunc)) return;
  const kernelFunc = make(current.kernelFunc);
  ours.add(kernelFunc);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...current, kernelFunc });
}

/**
 * Registers medxfer's WebAssembly SIMD kernels on tfjs's wasm backend, once, and says whether the active
 * backend runs them (false on other backends, or without WebAssembly SIMD):
 * - `Slice`, `StridedSlice`, `Transpose`, `Reverse` and `MaxPoolGrad` replace tfjs-wasm's own (several to
 *   tens of times faster; bit-identical results; unsupported cases still go to tfjs's), for every model on
 *   the backend, tf.layers ones included;
 * - `MedxferBatchNormTrain` and `MedxferBatchNormGrad`, which medxfer's BatchNorm uses in training.
 * medxfer's layers call it themselves; call it to speed up other tfjs code on the wasm backend.
 */
export function installWasmKernels(): boolean {
  const backend = activeWasmBackend();
  if (!backend || !layerKernelsFor(backend)) return false;
  if (installedOn.has(backend)) return true;
  for (const name of Object.keys(LAYOUT_KERNELS) as (keyof typeof LAYOUT_KERNELS)[]) replaceKernel(name, (replaced) => layoutKernel(name, replaced));
  replaceKernel('MaxPoolGrad', maxPoolGradKernel);
  for (const { kernelName, kernelFunc } of batchNormKernels) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  installedOn.add(backend);
  return true;
}
