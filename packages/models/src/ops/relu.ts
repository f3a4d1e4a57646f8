import * as tf from '@tensorflow/tfjs-core';
import { medxferKernelsActive } from '../wasm/install.js';
import { RELU_GRAD_KERNEL } from '../wasm/relu-grad-kernel.js';

/**
 * ReLU. On tfjs-wasm its gradient is one pass (MedxferReluGrad: dy where the output is positive, as torch's
 * threshold_backward) instead of tfjs's step, cast and multiply; elsewhere tfjs's own.
 */
export function relu<T extends tf.Tensor>(x: T): T {
  if (x.dtype !== 'float32' || !medxferKernelsActive()) return tf.relu(x);
  const run = tf.customGrad((xi, save) => {
    const y = tf.relu(xi as tf.Tensor);
    (save as tf.GradSaveFunc)([y]);
    return { value: y, gradFunc: (dy, saved) => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y: saved[0]! }, {}) as tf.Tensor };
  });
  return run(x) as T;
}
