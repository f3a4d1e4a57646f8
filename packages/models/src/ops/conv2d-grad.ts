// The backward formulations of conv2d from tfjs's fast forward ops (slices, concat, matMul, conv2d), for
// backends without medxfer's convolution kernels; conv2d.ts chooses between them and the backprop kernels.
import * as tf from '@tensorflow/tfjs-core';


// Every formulation here computes the same sums of products as the direct convolution (terms that only
// read zero padding are dropped: they are exact zeros), so results differ from it by float32 rounding only.
// On tfjs-wasm with medxfer's kernels (src/wasm) they run only for channel counts that are not multiples
// of 8; otherwise conv2d uses tfjs's backprop kernels (backpropKernels), which those replace. They serve the
// other backends and wasm without SIMD; their choices follow what is fast on tfjs-wasm's own kernels
// (XNNPACK convolution and matMul; plain-JS concat and slice; slow Reverse, Transpose and
// Conv2DBackpropInput; matMul's transposeA/transposeB paths are slow).

/** Per-tap strided slices of the padded input, each `[n, oh, ow, ci]`, taps in row-major (kh, kw) order. */
function tapSlices(x: tf.Tensor4D, kh: number, kw: number, oh: number, ow: number, stride: number, pad: number): tf.Tensor4D[] {
  const [n, , , ci] = x.shape;
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(
        stride === 1
          ? tf.slice(padded, [0, i, j, 0], [n, oh, ow, ci])
          : (tf.stridedSlice(padded, [0, i, j, 0], [n, i + stride * (oh - 1) + 1, j + stride * (ow - 1) + 1, ci], [1, stride, stride, 1]) as tf.Tensor4D),
      );
    }
  }
  return taps;
}

/**
 * The filter gradient dW[kh,kw,ci,co] = Σ x[n, oh·s+kh−p, ow·s+kw−p, ci] · dy[n,oh,ow,co], built from ops every
 * backend has (tfjs-wasm lacks Conv2DBackpropFilter; tfjs-cpu's is very slow).
 *
 * Default: itself a forward convolution, with the batch as the contraction channel: x as [ci, H, W, n] ("images"
 * of n channels), dy as [oh, ow, n, co] (a "filter"), dilated by the stride; the output [ci, kh, kw, co] is dW
 * transposed. Only x, dy and dW are moved (no im2col copy), and the GEMM runs in XNNPACK's convolution.
 * On tfjs-cpu (a naive loop convolution) an im2col + one matMul is used instead.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (tf.getBackend() === 'cpu') return conv2dFilterGradIm2col(x, dy, filterShape, stride, pad);
    const [kh, kw, ci, co] = filterShape as [number, number, number, number];
    const [n, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    if (ci === 1) {
      // One input channel (the grey stem): the channel-major layout is a free reshape, and the taps stacked
      // on axis 0 are the transposed im2col columns [kh·kw, M]; one matMul, no transposes.
      const planes = tf.reshape(x, [1, n, h, w]);
      const padded = pad > 0 ? tf.pad(planes, [[0, 0], [0, 0], [pad, pad], [pad, pad]]) : planes;
      const taps: tf.Tensor[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          taps.push(tf.stridedSlice(padded, [0, 0, i, j], [1, n, i + stride * (oh - 1) + 1, j + stride * (ow - 1) + 1], [1, 1, stride, stride]));
        }
      }
      const columnsT = tf.reshape(taps.length === 1 ? taps[0]! : tf.concat(taps, 0), [kh * kw, n * oh * ow]);
      return tf.reshape(tf.matMul(columnsT, tf.reshape(dy, [n * oh * ow, co])), [kh, kw, 1, co]);
    }
    // Rows read: −pad … stride·(oh−1)+kh−1−pad; the bottom/right padding is what lies past the input
    // (negative: the last input rows are never read and are cut).
    const bottom = kh + stride * (oh - 1) - h - pad;
    const right = kw + stride * (ow - 1) - w - pad;
    let images = tf.transpose(x, [3, 1, 2, 0]);
    if (bottom < 0 || right < 0) images = tf.slice(images, [0, 0, 0, 0], [ci, h + Math.min(bottom, 0), w + Math.min(right, 0), n]);
    const kernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const out = tf.conv2d(images as tf.Tensor4D, kernel, 1, [[0, 0], [pad, Math.max(bottom, 0)], [pad, Math.max(right, 0)], [0, 0]], 'NHWC', stride);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

/** The filter gradient as im2col (per-tap slices + concat) and one GEMM (for tfjs-cpu). */
function conv2dFilterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  const [kh, kw, ci, co] = filterShape as [number, number, number, number];
  const [n, oh, ow] = dy.shape;
  const taps = tapSlices(x, kh, kw, oh, ow, stride, pad);
  const columns = tf.reshape(taps.length === 1 ? taps[0]! : tf.concat(taps, 3), [n * oh * ow, kh * kw * ci]);
  // [co, M] × [M, K] then a small transpose: transposing dy (M×co) costs less than the columns (M×K),
  // and matMul's transposeA path is several times slower than an explicit transpose.
  const gradT = tf.matMul(tf.transpose(tf.reshape(dy, [n * oh * ow, co])), columns);
  return tf.reshape(tf.transpose(gradT), [kh, kw, ci, co]);
}

/** Spatially flipped tensor (rot180 of axes 1 and 2). */
const flipSpatial = (t: tf.Tensor4D) => tf.reverse(t, [1, 2]);

/**
 * Correlation of `dy` (NHWC) with the rot180, in/out-swapped filter — the transposed convolution at stride 1 —
 * with explicit padding. Flips whichever is smaller: the filter, or the data (flip(conv(flip(dy), Wᵀ)) with
 * mirrored padding), since a flip on tfjs-wasm costs far more per element than a transpose.
 */
function correlateFlipped(dy: tf.Tensor4D, filter: tf.Tensor4D, pads: [[number, number], [number, number]]): tf.Tensor4D {
  const [kh, kw, ci] = filter.shape;
  const [n, h, w] = dy.shape;
  const outH = h + pads[0][0] + pads[0][1] - kh + 1;
  const outW = w + pads[1][0] + pads[1][1] - kw + 1;
  const swapped = tf.transpose(filter, [0, 1, 3, 2]);
  const flipFilterCost = filter.size;
  const flipDataCost = dy.size + n * outH * outW * ci;
  if (flipFilterCost <= flipDataCost) {
    return tf.conv2d(dy, tf.reverse(swapped, [0, 1]) as tf.Tensor4D, 1, [[0, 0], pads[0], pads[1], [0, 0]]);
  }
  const mirrored: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pads[0][1], pads[0][0]], [pads[1][1], pads[1][0]], [0, 0]];
  return flipSpatial(tf.conv2d(flipSpatial(dy), swapped as tf.Tensor4D, 1, mirrored));
}

/** Inserts stride−1 zeros after every row and column of `t` (NHWC): [n, h·s, w·s, c]. */
function zeroInsert(t: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  const zerosR = tf.zeros([n, h, stride - 1, w, c]);
  const rows = tf.reshape(tf.concat([tf.reshape(t, [n, h, 1, w, c]), zerosR], 2), [n, h * stride, w, c]);
  const zerosC = tf.zeros([n, h * stride, w, stride - 1, c]);
  return tf.reshape(tf.concat([tf.reshape(rows, [n, h * stride, w, 1, c]), zerosC], 3), [n, h * stride, w * stride, c]);
}

/** The input gradient (a transposed convolution) from fast forward kernels. */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: readonly number[], stride: number, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const [, oh, ow] = dy.shape;
    const [, h, w] = inputShape as [number, number, number, number];
    if (stride === 1) return correlateFlipped(dy, filter, [[kh - 1 - pad, kh - 1 - pad], [kw - 1 - pad, kw - 1 - pad]]);
    // dx = correlate(dilate(dy), rot180(W)ᵀ): dy's rows and columns spread `stride` apart, padded so the
    // valid correlation has the input's size. zeroInsert's trailing zeros count as part of the bottom/right pad.
    const top = kh - 1 - pad;
    const left = kw - 1 - pad;
    const bottom = h - (oh - 1) * stride - 1 + pad - (stride - 1);
    const right = w - (ow - 1) * stride - 1 + pad - (stride - 1);
    let dilated = zeroInsert(dy, stride);
    let b = bottom;
    let r = right;
    if (b < 0 || r < 0) {
      dilated = tf.slice(dilated, [0, 0, 0, 0], [-1, dilated.shape[1] + Math.min(b, 0), dilated.shape[2] + Math.min(r, 0), -1]);
      b = Math.max(b, 0);
      r = Math.max(r, 0);
    }
    if (top < 0 || left < 0) throw new Error(`conv2dInputGrad: unsupported padding ${pad} for kernel ${kh}×${kw}`);
    return correlateFlipped(dilated, filter, [[top, b], [left, r]]);
  });
}

