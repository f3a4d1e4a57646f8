import * as tf from '@tensorflow/tfjs-core';
import { activeWasmBackend, type HeapModuleBuild } from './heap.js';
import { guardWasmHeap } from './heap-guard.js';
import { batchNormKernels } from './batchnorm-kernels.js';
import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel, fusedConv2dKernel, fusedConvAddKernel, setWinograd, sweepFusedPanels } from './conv-kernels.js';
import { LAYOUT_KERNELS, layoutKernel } from './layout-kernels.js';
import { activeKernelThreads } from './kernel-threads.js';
import { layerKernelsBuild, layerKernelsFor } from './layers-module.js';
import { maxPoolGradKernel } from './max-pool-grad-kernel.js';
import { reluGradKernel } from './relu-grad-kernel.js';

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
 * Identity without a copy: the output shares the input's data (reference-counted, as tfjs-cpu's and
 * tfjs-wasm's own Reshape do; tensor data is never written in place). tfjs clones every tensor a custom
 * gradient saves, which tfjs-wasm's Identity copies.
 */
function identityKernel(replaced: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return replaced(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * Registers medxfer's WebAssembly SIMD kernels on tfjs's wasm backend, once, and says whether the active
 * backend runs them (false on other backends, or without WebAssembly SIMD):
 * - `Slice`, `StridedSlice`, `Transpose`, `Reverse` and `MaxPoolGrad` replace tfjs-wasm's own (several to
 *   tens of times faster; bit-identical results; unsupported cases still go to tfjs's), for every model on
 *   the backend, tf.layers ones included; `Identity` shares its input's data instead of copying it;
 * - `Conv2D`, `FusedConv2D` (bias, ReLU) and `Conv2DBackpropInput` replace tfjs-wasm's with direct
 *   convolutions that skip padding and need no weight packing, and `Conv2DBackpropFilter`, which tfjs-wasm
 *   lacks, is added: tf.layers convolutional models can train on wasm;
 * - `MedxferBatchNormTrain` and `MedxferBatchNormGrad`, which medxfer's BatchNorm uses in training,
 *   `MedxferReluGrad` (ReLU's gradient in one pass) and `MedxferFusedConv2DAdd` (a convolution with its
 *   bias, a residual or position-dependent bias and ReLU in one pass: folded inference's block ends and grey stem).
 *
 * 3×3 stride-1 convolutions on maps of 4×4 and up run as Winograd convolutions — F(4×4, 3×3) forward and for
 * the input gradient, F(2×2, 3×3) for the filter gradient: 1.5–2.7× and 1.05–2.1× faster, results within
 * ≈ 1e-5 of the largest output of direct convolution's; on 2×2 maps forward and for the input gradient a
 * minimal algorithm of the padded map (9 multiplications per channel pair instead of 16: 1.7–1.9×, the same
 * bound); `{ winograd: false }` turns them off (every convolution direct: XNNPACK's bits forward),
 * `{ winograd: true }` back on.
 *
 * It also guards the heap ({@link guardWasmHeap}): a failed allocation is an error, never a write at offset 0.
 *
 * A global, explicit step: call it once after `tf.setBackend('wasm')` (the CLI, the web app's worker, the
 * gradient worker threads and the bench do). Until then medxfer's ops run on tfjs's own kernels (slower;
 * training uses its gradient formulations where tfjs-wasm has no kernel). {@link medxferKernelsActive} asks
 * without installing anything.
 */
export function useMedxferKernels(options: { winograd?: boolean } = {}): boolean {
  if (options.winograd !== undefined) setWinograd(options.winograd);
  const backend = activeWasmBackend();
  if (!backend) return false;
  guardWasmHeap(backend);
  if (!layerKernelsFor(backend)) return false;
  if (installedOn.has(backend)) return true;
  for (const name of Object.keys(LAYOUT_KERNELS) as (keyof typeof LAYOUT_KERNELS)[]) replaceKernel(name, (replaced) => layoutKernel(name, replaced));
  replaceKernel('MaxPoolGrad', maxPoolGradKernel);
  replaceKernel('Identity', identityKernel);
  replaceKernel('Conv2D', conv2dKernel);
  replaceKernel('FusedConv2D', fusedConv2dKernel);
  replaceKernel('Conv2DBackpropInput', conv2dBackpropInputKernel);
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) replaceKernel('Conv2DBackpropFilter', conv2dBackpropFilterKernel);
  else {
    const kernelFunc = conv2dBackpropFilterKernel();
    ours.add(kernelFunc);
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc });
  }
  for (const { kernelName, kernelFunc } of [...batchNormKernels, reluGradKernel, fusedConvAddKernel]) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  installedOn.add(backend);
  return true;
}

/** @deprecated The former name of {@link useMedxferKernels}. */
export const installWasmKernels = useMedxferKernels;

/** Whether medxfer's kernels are installed on the active backend (a query: it installs nothing). */
export function medxferKernelsActive(): boolean {
  const backend = activeWasmBackend();
  return !!backend && installedOn.has(backend);
}

/**
 * Which build of medxfer's wasm kernels the active backend runs: `relaxed-simd` (fused multiply-adds in the
 * convolutions: Chrome ≥ 114, Node ≥ 22, Deno; Node 20 with --experimental-wasm-relaxed-simd) or `simd`;
 * undefined when the backend is not tfjs-wasm or cannot run them.
 */
export function wasmKernelsBuild(): HeapModuleBuild | undefined {
  const backend = activeWasmBackend();
  return backend ? layerKernelsBuild(backend) : undefined;
}

/**
 * Frees what medxfer's wasm kernels keep for filters that have since been disposed (FusedConv2D's packed
 * panels, and the kernel threads' copies; otherwise freed at the next FusedConv2D call). `ResNet18.dispose` and `releaseFoldedWeights` call it.
 */
export function releaseWasmKernelCaches(): void {
  const backend = activeWasmBackend();
  if (!backend) return;
  sweepFusedPanels(backend);
  activeKernelThreads()?.sweep(backend);
}
