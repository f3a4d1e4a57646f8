// Convolutions whose every output has a single position (deep layers on small images): one GEMM of the
// input window with the filter taps that see real input, forward and backward.
import * as tf from '@tensorflow/tfjs-core';
import { liveTaps, outSizeOf, type Conv2dSpec } from './conv-geometry.js';

/** The input columns `[N, live taps · C]` of a convolution whose every output has a single position, or undefined if it has several. */
export function singlePositionColumns(x: tf.Tensor4D, filterShape: readonly number[], spec: Pick<Conv2dSpec, 'stride' | 'pad'>): tf.Tensor2D | undefined {
  const [n, h, w, ci] = x.shape;
  const [kh, kw] = filterShape as [number, number];
  if (!(outSizeOf(h, kh, spec.stride, spec.pad) === 1 && outSizeOf(w, kw, spec.stride, spec.pad) === 1 && spec.pad < kh && spec.pad < kw)) return undefined;
  const { ni, nj, r0, c0 } = singlePositionTaps(h, w, kh, kw, spec);
  const window = ni === h && nj === w ? x : tf.slice(x, [0, r0, c0, 0], [n, ni, nj, ci]);
  return tf.reshape(window, [n, ni * nj * ci]);
}

/** The GEMM operands (input columns, live filter taps) of a convolution whose every output has a single position, or undefined if it has several. */
export function singlePositionOperands(x: tf.Tensor4D, filter: tf.Tensor4D, spec: Pick<Conv2dSpec, 'stride' | 'pad'>): { columns: tf.Tensor2D; taps: tf.Tensor2D } | undefined {
  const columns = singlePositionColumns(x, filter.shape, spec);
  if (!columns) return undefined;
  const [, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const { ti, ni, tj, nj } = singlePositionTaps(h, w, kh, kw, spec);
  const k = ni * nj * ci;
  // stridedSlice, not slice: tfjs-wasm's Slice copies its whole input to JS first (readSync); StridedSlice runs in wasm.
  const taps = ni === kh && nj === kw ? tf.reshape(filter, [k, co]) : tf.reshape(tf.stridedSlice(filter, [ti, tj, 0, 0], [ti + ni, tj + nj, ci, co], [1, 1, 1, 1]), [k, co]);
  return { columns, taps: taps as tf.Tensor2D };
}

/** The taps of the filter that see real input when the output is a single position: rows ti…ti+ni−1 reading input rows r0…, columns alike. */
function singlePositionTaps(h: number, w: number, kh: number, kw: number, spec: Pick<Conv2dSpec, 'stride' | 'pad'>) {
  const [ti, ni] = liveTaps(kh, spec.stride, spec.pad, h, 1);
  const [tj, nj] = liveTaps(kw, spec.stride, spec.pad, w, 1);
  // Tap t reads input row t − pad.
  return { ti, ni, tj, nj, r0: ti - spec.pad, c0: tj - spec.pad };
}

/**
 * A convolution whose every output has a single position (deep layers on small images): a GEMM of the input
 * window it reads (the taps that see real input) with those taps of the filter. Forward and backward are matMuls.
 */
export function conv2dSinglePosition(x: tf.Tensor4D, filter: tf.Tensor4D, spec: Conv2dSpec): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const { ti, ni, tj, nj, r0, c0 } = singlePositionTaps(h, w, kh, kw, spec);
  const run = tf.customGrad((input, weights, save) => {
    const xi = input as tf.Tensor4D;
    const { columns, taps } = singlePositionOperands(xi, weights as tf.Tensor4D, spec)!;
    (save as tf.GradSaveFunc)([columns, taps]);
    return {
      value: tf.reshape(tf.matMul(columns, taps), [n, 1, 1, co]),
      gradFunc: (dy, saved) => {
        const [cols, tapW] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dy2 = tf.reshape(dy, [n, co]);
        // dW (live taps) = colsᵀ·dy: n is the batch, so transposing the columns [n, k] is cheap.
        const dwLive = tf.reshape(tf.matMul(tf.transpose(cols), dy2), [ni, nj, xi.shape[3], co]);
        const dw = ni === kh && nj === kw ? dwLive : tf.pad(dwLive, [[ti, kh - ti - ni], [tj, kw - tj - nj], [0, 0], [0, 0]]);
        let dx: tf.Tensor = tf.zerosLike(xi);
        if (spec.inputGrad) {
          const dWindow = tf.reshape(tf.matMul(dy2, tf.transpose(tapW)), [n, ni, nj, xi.shape[3]]);
          dx = ni === h && nj === w ? dWindow : tf.pad(dWindow, [[0, 0], [r0, h - r0 - ni], [c0, w - c0 - nj], [0, 0]]);
        }
        return [dx, dw];
      },
    };
  });
  return run(x, filter) as tf.Tensor4D;
}

