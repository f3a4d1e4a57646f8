import * as tf from '@tensorflow/tfjs-core';
import './register-gradients.js';

/** A 2D convolution as torchvision uses it: NHWC input, HWIO filter, symmetric zero padding, no bias. */
export interface Conv2dSpec {
  readonly stride: number;
  readonly pad: number;
  /** Whether the input needs a gradient (false for the first layer: saves a whole backward conv). */
  readonly inputGrad: boolean;
}

/**
 * The filter gradient as one GEMM over im2col columns: dW[kh,kw,ci,co] = Σ x[n, oh·s+kh−p, ow·s+kw−p, ci] · dy[n,oh,ow,co].
 * Built from ops every backend has (tfjs-wasm lacks a Conv2DBackpropFilter kernel; tfjs-cpu's is very slow).
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, ci, co] = filterShape as [number, number, number, number];
    const [n, oh, ow] = dy.shape;
    const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(tf.stridedSlice(padded, [0, i, j, 0], [n, i + stride * (oh - 1) + 1, j + stride * (ow - 1) + 1, ci], [1, stride, stride, 1]) as tf.Tensor4D);
      }
    }
    const columns = tf.reshape(taps.length === 1 ? taps[0]! : tf.concat(taps, 3), [n * oh * ow, kh * kw * ci]);
    // [co, M] × [M, K] then a small transpose: transposing dy (M×co) costs less than the columns (M×K),
    // and matMul's transposeA path is several times slower than an explicit transpose.
    const gradT = tf.matMul(tf.transpose(tf.reshape(dy, [n * oh * ow, co])), columns);
    return tf.reshape(tf.transpose(gradT), [kh, kw, ci, co]);
  });
}

/** The input gradient: a transposed convolution, or for stride 1 a plain convolution with the flipped filter. */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    if (stride === 1 && kh === kw && pad <= kh - 1) {
      // dx = conv(dy, rot180(W) with in/out swapped), padding k−1−p: the forward kernel is the fast one.
      const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
      return tf.conv2d(dy, flipped, 1, kh - 1 - pad);
    }
    return tf.conv2dTranspose(dy, filter, inputShape as [number, number, number, number], stride, pad);
  });
}

/** Convolution with an explicit, backend-independent backward pass. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, spec: Conv2dSpec): tf.Tensor4D {
  const run = tf.customGrad((input, weights, save) => {
    const xi = input as tf.Tensor4D;
    const wi = weights as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, spec.stride, spec.pad),
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const dw = conv2dFilterGrad(xs, dy4, ws.shape, spec.stride, spec.pad);
        const dx = spec.inputGrad ? conv2dInputGrad(dy4, ws, xs.shape, spec.stride, spec.pad) : tf.zerosLike(xs);
        return [dx, dw];
      },
    };
  });
  return run(x, filter) as tf.Tensor4D;
}
