import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.js';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL } from '../wasm/batchnorm-kernels.js';
import { medxferKernelsActive } from '../wasm/install.js';

/** PyTorch's BatchNorm2d defaults: eps 1e-5, momentum 0.1 (new = 0.9·old + 0.1·batch). */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface BatchNormParams {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
}

function updateRunningStats(p: BatchNormParams, mean: tf.Tensor1D, variance: tf.Tensor1D, count: number, momentum: number): void {
  tf.tidy(() => {
    const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
    p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - momentum), tf.mul(mean, momentum)));
    p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
  });
}

/**
 * BatchNorm over NHWC. `train`: normalise with the batch mean and biased variance, and (when
 * `updateStats`) move the running stats by `momentum` (torch's default 0.1) with the unbiased variance, as torch does.
 * `frozen`: normalise with the running stats and change nothing.
 * The training form has a closed-form backward pass (tfjs's generic one tiles and re-reduces).
 */
export function batchNorm(x: tf.Tensor4D, p: BatchNormParams, mode: 'train' | 'frozen', updateStats: boolean, momentum = BN_MOMENTUM): tf.Tensor4D {
  if (mode === 'frozen') return tf.batchNorm(x, p.runningMean, p.runningVar, p.beta, p.gamma, BN_EPSILON) as tf.Tensor4D;
  const [n, h, w, c] = x.shape;
  const count = n * h * w;
  if (c % 4 === 0 && medxferKernelsActive()) return batchNormTrainWasm(x, p, updateStats, momentum, count);
  const run = tf.customGrad((xi, gamma, beta, save) => {
    const x4 = xi as tf.Tensor4D;
    const { mean, variance } = tf.moments(x4, [0, 1, 2]);
    if (updateStats) updateRunningStats(p, mean as tf.Tensor1D, variance as tf.Tensor1D, count, momentum);
    const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(tf.sub(x4, mean), invStd);
    (save as tf.GradSaveFunc)([xhat, invStd, gamma as tf.Tensor]);
    return {
      value: tf.add(tf.mul(xhat, gamma as tf.Tensor), beta as tf.Tensor),
      gradFunc: (dy, saved) => {
        const [xh, inv, g] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const dBeta = tf.sum(dy as tf.Tensor, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy as tf.Tensor, xh), [0, 1, 2]);
        const dx = tf.mul(tf.mul(g, inv), tf.sub(tf.sub(dy as tf.Tensor, tf.div(dBeta, count)), tf.mul(xh, tf.div(dGamma, count))));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return run(x, p.gamma, p.beta) as tf.Tensor4D;
}

/** The training form on tfjs-wasm: one fused kernel each way (wasm/layers.ts), the same function up to float rounding. */
function batchNormTrainWasm(x: tf.Tensor4D, p: BatchNormParams, updateStats: boolean, momentum: number, count: number): tf.Tensor4D {
  const run = tf.customGrad((xi, gamma, beta, save) => {
    const [y, mean, variance, invStd] = tf.engine().runKernel(BATCH_NORM_TRAIN_KERNEL, { x: xi as tf.Tensor, gamma: gamma as tf.Tensor, beta: beta as tf.Tensor }, { epsilon: BN_EPSILON }) as tf.Tensor[];
    if (updateStats) updateRunningStats(p, mean as tf.Tensor1D, variance as tf.Tensor1D, count, momentum);
    (save as tf.GradSaveFunc)([xi as tf.Tensor, mean!, invStd!, gamma as tf.Tensor]);
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [xs, m, inv, g] = saved;
        return tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy: dy as tf.Tensor, x: xs!, mean: m!, invStd: inv!, gamma: g! }, {}) as tf.Tensor[];
      },
    };
  });
  return run(x, p.gamma, p.beta) as tf.Tensor4D;
}
