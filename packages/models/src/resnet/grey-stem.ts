import * as tf from '@tensorflow/tfjs-core';
import { channelStats, type Normalization } from '@medxfer/data';
import { conv2d } from '../ops/conv2d.js';
import { fusedConvAdd } from '../ops/fused-conv-add.js';
import { relu } from '../ops/relu.js';

const STEM = { stride: 2, pad: 3, inputGrad: false } as const;

/**
 * conv1 on grey input with the notebook's grey→RGB and per-channel normalisation folded in, exactly.
 * With x_c = (g − m_c)/s_c:  Σ_c W_c ∗ x_c = (Σ_c W_c/s_c) ∗ g − (Σ_c W_c·m_c/s_c) ∗ 𝟙,
 * where 𝟙 is 1 inside the image and 0 in the zero padding (the 3-channel path pads after normalising),
 * so the second term is a position-dependent bias, computed by convolving the all-ones image.
 * Both folded kernels are derived from the 3-channel weight on each call, so training updates it.
 */
export function greyStemConv(grey: tf.Tensor4D, weight: tf.Tensor4D, norm: Normalization): tf.Tensor4D {
  const { kernel, bias } = greyStemOperands(weight, norm, grey.shape[1], grey.shape[2]);
  return tf.sub(conv2d(grey, kernel, STEM), bias);
}

/**
 * The grey stem's two operands for `h × w` images: the 1-channel kernel `[7, 7, 1, 64]` and the
 * position-dependent bias `[1, oh, ow, 64]` it subtracts (see {@link greyStemConv}). Inference computes them
 * once per weight and image size. Intermediates are the caller's to tidy.
 */
export function greyStemOperands(weight: tf.Tensor4D, norm: Normalization, h: number, w: number): { kernel: tf.Tensor4D; bias: tf.Tensor4D } {
  const scale = tf.tensor4d([0, 1, 2].map((c) => 1 / channelStats(norm, c).std), [1, 1, 3, 1]);
  const shift = tf.tensor4d([0, 1, 2].map((c) => channelStats(norm, c).mean / channelStats(norm, c).std), [1, 1, 3, 1]);
  const kernel = tf.sum(tf.mul(weight, scale), 2, true) as tf.Tensor4D;
  const biasKernel = tf.sum(tf.mul(weight, shift), 2, true) as tf.Tensor4D;
  return { kernel, bias: conv2d(tf.ones([1, h, w, 1]), biasKernel, STEM) };
}

/**
 * conv1 on grey input by precomputed operands, then ReLU: `relu(kernel ∗ g + bias)` (bias already negated and
 * shifted as needed) — one kernel where medxfer's wasm kernels run it, else a convolution, an add and a ReLU.
 */
export function greyStemApplyRelu(grey: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  return fusedConvAdd(grey, kernel, bias, STEM, { relu: true }) ?? relu(tf.add(conv2d(grey, kernel, STEM), bias));
}
