import * as tf from '@tensorflow/tfjs-core';
import { FUSED_CONV_ADD_KERNEL, fusedConvAddFits, type FusedConvAddAttrs } from '../wasm/conv-kernels.js';
import { medxferKernelsActive } from '../wasm/install.js';

/**
 * relu?(x ⊛ filter + bias + addend) as one kernel where medxfer's wasm kernels run it (MedxferFusedConv2DAdd:
 * the bits of the fused convolution, add and ReLU done one after another), else undefined — the caller then
 * runs its own ops. `addend` is a residual shaped as the output or a position-dependent bias [1, oh, ow, co].
 * Inference only: it has no gradient.
 */
export function fusedConvAdd(
  x: tf.Tensor4D, filter: tf.Tensor4D, addend: tf.Tensor4D, spec: { stride: number; pad: number }, epilogue: { bias?: tf.Tensor1D; relu: boolean },
): tf.Tensor4D | undefined {
  if (!medxferKernelsActive()) return undefined;
  const attrs: FusedConvAddAttrs = { strides: spec.stride, pad: spec.pad, activation: epilogue.relu ? 'relu' : 'linear' };
  if (!fusedConvAddFits(x, filter, addend, epilogue.bias, attrs)) return undefined;
  const inputs = { x, filter, addend, ...(epilogue.bias ? { bias: epilogue.bias } : {}) };
  return tf.engine().runKernel(FUSED_CONV_ADD_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
