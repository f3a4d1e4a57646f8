import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendInternals } from './heap.js';
import { layerKernelsOrThrow } from './layers-module.js';

/** ReLU's gradient in one pass: inputs `{ dy, y }` (y the ReLU's output), output dy where y > 0, else 0. */
export const RELU_GRAD_KERNEL = 'MedxferReluGrad';

function reluGrad({ inputs, backend: b }: { inputs: Record<'dy' | 'y', tf.TensorInfo>; backend: unknown }): tf.TensorInfo {
  const backend = b as WasmBackendInternals;
  const { dy, y } = inputs;
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.shape.join() !== y.shape.join()) {
    throw new Error(`${RELU_GRAD_KERNEL}: dy and y must be float32 tensors of one shape, got ${dy.dtype}[${dy.shape}] and ${y.dtype}[${y.shape}]`);
  }
  const kernels = layerKernelsOrThrow(RELU_GRAD_KERNEL, backend);
  const dx = backend.makeOutput([...y.shape], 'float32');
  kernels.reluGrad(heapOffset(backend, y), heapOffset(backend, dy), heapOffset(backend, dx), tf.util.sizeFromShape(y.shape));
  return dx;
}

export const reluGradKernel = { kernelName: RELU_GRAD_KERNEL, kernelFunc: reluGrad as unknown as tf.KernelFunc };
