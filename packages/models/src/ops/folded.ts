import * as tf from '@tensorflow/tfjs-core';
import { BN_EPSILON, type BatchNormParams } from './batchnorm.js';
import { singlePositionOperands } from './conv2d.js';

/** BatchNorm with running statistics as y = x·scale + shift, per channel. */
export function foldedBatchNorm(p: BatchNormParams): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const scale = tf.div(p.gamma, tf.sqrt(tf.add(p.runningVar, BN_EPSILON))) as tf.Tensor1D;
  return { scale, shift: tf.sub(p.beta, tf.mul(p.runningMean, scale)) as tf.Tensor1D };
}

/**
 * Eval-mode convolution → BatchNorm (running statistics) → optional ReLU as one fused kernel: the BatchNorm
 * folded into the filter (W·scale per output channel) and a bias (shift), the ReLU fused into the
 * convolution (XNNPACK on wasm), or into the GEMM when every output is a single position. The same
 * function up to float rounding. For inference: tfjs's fused kernels have no gradient on every backend.
 */
export function convBatchNormFolded(x: tf.Tensor4D, filter: tf.Tensor4D, bn: BatchNormParams, spec: { stride: number; pad: number }, relu: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const { scale, shift } = foldedBatchNorm(bn);
    const folded = tf.mul(filter, scale) as tf.Tensor4D;
    const activation = relu ? 'relu' : 'linear';
    const gemm = singlePositionOperands(x, folded, spec);
    if (gemm) return tf.reshape(tf.fused.matMul({ a: gemm.columns, b: gemm.taps, bias: shift, activation }), [x.shape[0], 1, 1, filter.shape[3]]);
    return tf.fused.conv2d({ x, filter: folded, strides: spec.stride, pad: spec.pad, bias: shift, activation });
  });
}
