// 2D convolution kernels applied to volumes, as ACS convolutions (Yang et al., "Reinforcing 2D
// Representations for 3D Medical Images", 2021) or 2.5D ones: each is a few 2D convolutions over
// reshaped tensors, so medxfer's 2D kernels (and their explicit gradients) serve volumes too.
import * as tf from '@tensorflow/tfjs-core';
import { medxferKernelsActive } from '../wasm/install.js';
import { conv2d, type Conv2dSpec } from './conv2d.js';

/**
 * How a model convolves volumes `[N, D, H, W, C]`.
 * `acs`: its 2D kernels' output channels split into three groups lying in the axial (H×W), coronal (D×W) and
 * sagittal (D×H) planes. `2.5d`: every 2D kernel in the axial plane (each depth slice convolved on its own).
 * `3d`: true 3D kernels `k×k×k` (their own weights; a 2D checkpoint initialises them inflated, as I3D does).
 */
export type VolumeConvolution = 'acs' | '2.5d' | '3d';
export const VOLUME_CONVOLUTIONS: readonly VolumeConvolution[] = ['acs', '2.5d', '3d'];

/** ACSConv's split of `outChannels` into axial, coronal and sagittal groups: thirds, the remainder to the first. */
export function acsSplit(outChannels: number): [number, number, number] {
  const third = Math.floor(outChannels / 3);
  const rest = outChannels % 3;
  return [third + (rest > 0 ? 1 : 0), third + (rest > 1 ? 1 : 0), third];
}

/**
 * The permutation that brings a plane's two kernel axes to positions 2 and 3 of `[N, D, H, W, C]`, the axis
 * across the plane to position 1 (it is only subsampled: the kernel is 1 wide along it).
 */
const PLANE_ORDER = {
  axial: [0, 1, 2, 3, 4],
  coronal: [0, 2, 1, 3, 4],
  sagittal: [0, 3, 1, 2, 4],
} as const;
type Plane = keyof typeof PLANE_ORDER;

/** Every `stride`-th entry of axis 1, from the first (slice + reshape: both have gradients on every backend). */
function subsample(x: tf.Tensor5D, stride: number): tf.Tensor5D {
  if (stride === 1) return x;
  const [n, s, a, b, c] = x.shape;
  const kept = Math.ceil(s / stride);
  const padded = kept * stride === s ? x : tf.pad(x, [[0, 0], [0, kept * stride - s], [0, 0], [0, 0], [0, 0]]);
  const grouped = tf.reshape(padded, [n, kept, stride, a * b * c]);
  return tf.reshape(tf.slice(grouped, [0, 0, 0, 0], [n, kept, 1, a * b * c]), [n, kept, a, b, c]);
}

/** A 2D filter `[k, k, Cin, Co]` convolved in one plane of the volume `x`; output `[N, D', H', W', Co]`. */
function planeConv(x: tf.Tensor5D, filter: tf.Tensor4D, plane: Plane, spec: Conv2dSpec): tf.Tensor5D {
  const order = PLANE_ORDER[plane];
  const moved = plane === 'axial' ? x : (tf.transpose(x, [...order]) as tf.Tensor5D);
  const slices = subsample(moved, spec.stride);
  const [n, s, a, b, c] = slices.shape;
  const y = conv2d(tf.reshape(slices, [n * s, a, b, c]), filter, spec);
  const [, ya, yb, co] = y.shape;
  const volume = tf.reshape(y, [n, s, ya, yb, co]) as tf.Tensor5D;
  if (plane === 'axial') return volume;
  // Back to [N, D, H, W, C]: the inverse permutation.
  const inverse = order.map((_, i) => order.indexOf(i as never));
  return tf.transpose(volume, inverse) as tf.Tensor5D;
}

/**
 * A 2D filter `[k, k, Cin, Cout]` (HWIO) applied to the volume `x` `[N, D, H, W, Cin]` as an ACS or 2.5D
 * convolution with the same stride and zero padding along all three axes, as ACSConv defines them for odd
 * kernels padded by k // 2 (every ResNet convolution): a plane's kernel is 1 wide across it, so that axis is
 * only subsampled by the stride. Output `[N, D', H', W', Cout]`.
 */
export function volumeConv(x: tf.Tensor5D, filter: tf.Tensor4D, spec: Conv2dSpec, mode: 'acs' | '2.5d'): tf.Tensor5D {
  const [kh, kw, ci, co] = filter.shape;
  if (kh !== kw || kh % 2 !== 1 || spec.pad !== (kh - 1) / 2) throw new RangeError(`volume convolutions take odd square kernels padded by k // 2, got ${kh}×${kw} padded by ${spec.pad}`);
  if (mode === '2.5d') return planeConv(x, filter, 'axial', spec);
  const groups = acsSplit(co);
  const planes: Plane[] = ['axial', 'coronal', 'sagittal'];
  const outputs: tf.Tensor5D[] = [];
  let start = 0;
  // medxfer's wasm kernels (and their fast backward passes) take multiples of 8 output channels: a group of
  // 21 or 22 is padded with zero filters to 24 and its output cut back, 10× faster to train than tfjs's own.
  const lanes = medxferKernelsActive() ? 8 : 1;
  groups.forEach((count, g) => {
    if (count > 0) {
      const padded = Math.ceil(count / lanes) * lanes;
      const group = tf.slice(filter, [0, 0, 0, start], [kh, kw, ci, count]);
      const y = planeConv(x, padded === count ? group : tf.pad(group, [[0, 0], [0, 0], [0, 0], [0, padded - count]]), planes[g]!, spec);
      outputs.push(padded === count ? y : firstChannels(y, count));
    }
    start += count;
  });
  return outputs.length === 1 ? outputs[0]! : concatChannels(outputs);
}

// Channel slices and concatenations as 2D [voxels, channels] ops: tfjs-wasm slices (and splits, Concat's
// gradient) 5D tensors on a generic path ~30× slower than 2D.
function firstChannels(x: tf.Tensor5D, count: number): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape;
  return tf.reshape(tf.slice(tf.reshape(x, [n * d * h * w, c]), [0, 0], [-1, count]), [n, d, h, w, count]);
}

function concatChannels(parts: readonly tf.Tensor5D[]): tf.Tensor5D {
  const [n, d, h, w] = parts[0]!.shape;
  const widths = parts.map((p) => p.shape[4]);
  const flat = parts.map((p) => tf.reshape(p, [n * d * h * w, p.shape[4]]));
  // Concat's own gradient splits with SplitV, itself slow on tfjs-wasm: slice the gradient instead.
  const concat = tf.customGrad((...inputs) => ({
    value: tf.concat(inputs.slice(0, -1) as tf.Tensor[], 1),
    gradFunc: (dy) => {
      let offset = 0;
      return widths.map((width) => tf.slice(dy as tf.Tensor2D, [0, (offset += width) - width], [-1, width]));
    },
  }));
  const joined = concat(...flat);
  return tf.reshape(joined, [n, d, h, w, joined.shape[1]!]);
}

/**
 * A true 3D convolution of `x` `[N, D, H, W, Cin]` with `filter` `[kd, kh, kw, Cin, Cout]` (DHWIO), the same stride
 * and zero padding along every axis (PyTorch's `conv3d`): the sum over the kd depth taps of a 2D convolution of
 * the depth slices that tap reads — medxfer's 2D kernels again, where tfjs-wasm has no Conv3D. Depth slicing and
 * padding run on `[N, D, H·W·C]` views (tfjs-wasm's 5D slices take a slow generic path).
 */
export function conv3d(x: tf.Tensor5D, filter: tf.Tensor5D, spec: Conv2dSpec): tf.Tensor5D {
  const [kd, kh, kw, ci, co] = filter.shape;
  const [n, d, h, w, c] = x.shape;
  const { stride, pad } = spec;
  const outD = Math.floor((d + 2 * pad - kd) / stride) + 1;
  const flat = tf.reshape(x, [n, d, h * w * c]);
  const padded = pad > 0 ? tf.pad(flat, [[0, 0], [pad, pad], [0, 0]]) : flat;
  let sum: tf.Tensor4D | undefined;
  for (let t = 0; t < kd; t++) {
    // Tap t reads padded depths t, t + stride, …: a span from t, subsampled.
    const span = tf.reshape(tf.slice(padded, [0, t, 0], [n, (outD - 1) * stride + 1, h * w * c]), [n, (outD - 1) * stride + 1, h, w, c]) as tf.Tensor5D;
    const slices = subsample(span, stride);
    const tap = tf.reshape(tf.slice(tf.reshape(filter, [kd, kh * kw * ci * co]), [t, 0], [1, -1]), [kh, kw, ci, co]) as tf.Tensor4D;
    const y = conv2d(tf.reshape(slices, [n * outD, h, w, c]), tap, spec);
    sum = sum ? (tf.add(sum, y) as tf.Tensor4D) : y;
  }
  const [, oh, ow] = sum!.shape;
  return tf.reshape(sum!, [n, outD, oh, ow, co]) as tf.Tensor5D;
}
