import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch, type WasmBackendInternals } from './heap.js';
import { layerKernelsOrThrow } from './layers-module.js';

/** BatchNorm's training forward: inputs `{ x (NHWC), gamma, beta }`, attribute `epsilon`; outputs `[y, mean, variance (biased), invStd]`. */
export const BATCH_NORM_TRAIN_KERNEL = 'MedxferBatchNormTrain';
/** Its backward: inputs `{ dy, x, mean, invStd, gamma }`; outputs `[dx, dGamma, dBeta]`. */
export const BATCH_NORM_GRAD_KERNEL = 'MedxferBatchNormGrad';

const channelsOf = (x: tf.TensorInfo) => x.shape[x.shape.length - 1]!;
const rowsOf = (x: tf.TensorInfo) => tf.util.sizeFromShape(x.shape) / channelsOf(x);

function checkInputs(kernel: string, x: tf.TensorInfo, perChannel: readonly tf.TensorInfo[], same: readonly tf.TensorInfo[] = []): number {
  const c = channelsOf(x);
  const bad = [x, ...same, ...perChannel].find((t) => t.dtype !== 'float32');
  if (bad) throw new Error(`${kernel}: float32 inputs only, got ${bad.dtype}`);
  if (c % 4 !== 0) throw new Error(`${kernel}: the channel count must be a multiple of 4, got ${c}`);
  if (perChannel.some((t) => t.shape.length !== 1 || t.shape[0] !== c)) throw new Error(`${kernel}: per-channel inputs must be [${c}], got ${perChannel.map((t) => `[${t.shape}]`).join(', ')}`);
  if (same.some((t) => t.shape.join() !== x.shape.join())) throw new Error(`${kernel}: dy and x must have one shape, got [${same[0]!.shape}] and [${x.shape}]`);
  return c;
}

/** 3·c float64 of scratch for the reductions (as 6·c float32). */
const SCRATCH_PER_CHANNEL = 6;

function batchNormTrain({ inputs, backend: b, attrs }: { inputs: Record<'x' | 'gamma' | 'beta', tf.TensorInfo>; backend: unknown; attrs: { epsilon: number } }): tf.TensorInfo[] {
  const backend = b as WasmBackendInternals;
  const { x, gamma, beta } = inputs;
  const c = checkInputs(BATCH_NORM_TRAIN_KERNEL, x, [gamma, beta]);
  const kernels = layerKernelsOrThrow(BATCH_NORM_TRAIN_KERNEL, backend);
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  const invStd = backend.makeOutput([c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  withScratch(backend, (scratch) => kernels.bnMoments(at(x), rowsOf(x), c, at(mean), at(variance), at(invStd), attrs.epsilon, at(scratch([SCRATCH_PER_CHANNEL * c]))));
  kernels.bnApply(at(x), at(y), rowsOf(x), c, at(mean), at(invStd), at(gamma), at(beta));
  return [y, mean, variance, invStd];
}

function batchNormGrad({ inputs, backend: b }: { inputs: Record<'dy' | 'x' | 'mean' | 'invStd' | 'gamma', tf.TensorInfo>; backend: unknown }): tf.TensorInfo[] {
  const backend = b as WasmBackendInternals;
  const { dy, x, mean, invStd, gamma } = inputs;
  const c = checkInputs(BATCH_NORM_GRAD_KERNEL, x, [mean, invStd, gamma], [dy]);
  const kernels = layerKernelsOrThrow(BATCH_NORM_GRAD_KERNEL, backend);
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dGamma = backend.makeOutput([c], 'float32');
  const dBeta = backend.makeOutput([c], 'float32');
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  withScratch(backend, (scratch) => kernels.bnGrad(at(x), at(dy), rowsOf(x), c, at(mean), at(invStd), at(gamma), at(dx), at(dGamma), at(dBeta), at(scratch([SCRATCH_PER_CHANNEL * c]))));
  return [dx, dGamma, dBeta];
}

export const batchNormKernels = [
  { kernelName: BATCH_NORM_TRAIN_KERNEL, kernelFunc: batchNormTrain as unknown as tf.KernelFunc },
  { kernelName: BATCH_NORM_GRAD_KERNEL, kernelFunc: batchNormGrad as unknown as tf.KernelFunc },
];
