import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.js';
import { medxferKernelsActive } from '../wasm/install.js';
import { outSizeOf, type Conv2dSpec } from './conv-geometry.js';
import { conv2dFilterGrad, conv2dInputGrad } from './conv2d-grad.js';
import { conv2dSinglePosition } from './conv2d-single-position.js';

export { conv2dFilterGrad, conv2dInputGrad, type Conv2dSpec };

/**
 * The filter and input gradients through tfjs's own Conv2DBackpropFilter and Conv2DBackpropInput kernels:
 * on tfjs-wasm medxfer's kernels (src/wasm) provide them as direct convolutions.
 */
function backpropKernels(xs: tf.Tensor4D, dy: tf.Tensor4D, ws: tf.Tensor4D, spec: Conv2dSpec): { dw: tf.Tensor4D; dx?: tf.Tensor4D } {
  const attrs = { strides: spec.stride, pad: spec.pad, dataFormat: 'NHWC' };
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: ws.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  if (!spec.inputGrad) return { dw };
  return { dw, dx: tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws }, { ...attrs, inputShape: xs.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D };
}

/** Convolution with an explicit, backend-independent backward pass. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, spec: Conv2dSpec): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [kh, kw, ci, co] = filter.shape;
  const viaKernels = co % 8 === 0 && (!spec.inputGrad || ci % 8 === 0) && medxferKernelsActive();
  if (!viaKernels && outSizeOf(h, kh, spec.stride, spec.pad) === 1 && outSizeOf(w, kw, spec.stride, spec.pad) === 1 && spec.pad < kh && spec.pad < kw) {
    return conv2dSinglePosition(x, filter, spec);
  }
  const run = tf.customGrad((input, weights, save) => {
    const xi = input as tf.Tensor4D;
    const wi = weights as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, spec.stride, spec.pad),
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const { dw, dx } = viaKernels
          ? backpropKernels(xs, dy4, ws, spec)
          : { dw: conv2dFilterGrad(xs, dy4, ws.shape, spec.stride, spec.pad), dx: spec.inputGrad ? conv2dInputGrad(dy4, ws, xs.shape, spec.stride, spec.pad) : undefined };
        return [dx ?? tf.zerosLike(xs), dw];
      },
    };
  });
  return run(x, filter) as tf.Tensor4D;
}
