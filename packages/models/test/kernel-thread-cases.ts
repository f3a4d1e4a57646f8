// The convolutions the kernel-thread parity tests run: in the test process (relaxed SIMD on, as the CLI runs)
// and in a child Node without the flag (kernel-threads-simd.ts: the SIMD-only builds, on the built package).
import * as tf from '@tensorflow/tfjs-core';
import { conv2d } from '@medxfer/models';

const input = (shape: [number, number, number, number], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;

/**
 * Output, input gradient and filter gradient of a convolution (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter),
 * a fused one (FusedConv2D), and MedxferFusedConv2DAdd with a residual and ReLU, and with a position bias alone.
 */
export function convolve(n: number, side: number, ci: number, co: number, k: number, stride: number, pad: number): number[][] {
  return tf.tidy(() => {
    const x = input([n, side, side, ci], 1);
    const w = input([k, k, ci, co], 2);
    const bias = tf.randomNormal([co], 0, 1, 'float32', 3) as tf.Tensor1D;
    const fused = tf.fused.conv2d({ x, filter: w, strides: stride, pad, bias, activation: 'relu' });
    const [, oh, ow] = fused.shape;
    const addAttrs = (activation: string) => ({ strides: stride, pad, activation }) as unknown as tf.NamedAttrMap;
    const residual = tf.engine().runKernel('MedxferFusedConv2DAdd', { x, filter: w, bias, addend: input([n, oh, ow, co], 4) }, addAttrs('relu')) as tf.Tensor;
    const positionBias = tf.engine().runKernel('MedxferFusedConv2DAdd', { x, filter: w, addend: input([1, oh, ow, co], 5) }, addAttrs('linear')) as tf.Tensor;
    const dx = tf.grad((t) => tf.sum(tf.square(conv2d(t as tf.Tensor4D, w, { stride, pad, inputGrad: true }))))(x);
    const dw = tf.grad((f) => tf.sum(tf.square(conv2d(x, f as tf.Tensor4D, { stride, pad, inputGrad: false }))))(w);
    return [conv2d(x, w, { stride, pad, inputGrad: false }), fused, residual, positionBias, dx, dw].map((t) => Array.from(t.dataSync()));
  });
}

/** [name, map side, in channels, out channels, kernel, stride, padding]: each path of the kernels. */
export const THREAD_CASES: [string, number, number, number, number, number, number][] = [
  ['3×3 stride 1 (Winograd)', 8, 16, 16, 3, 1, 1],
  ['3×3 stride 2 (direct)', 9, 16, 24, 3, 2, 1],
  ['1×1 stride 2 (direct)', 8, 16, 32, 1, 2, 0],
  ['3×3 on a 2×2 map (map2Conv forward and dx, direct filter gradient)', 2, 16, 16, 3, 1, 1],
  ['7×7 stride 2 stem on 1 channel (filter gradient along rows)', 12, 1, 24, 7, 2, 3],
];
