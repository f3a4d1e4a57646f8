import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2d } from '@medxfer/models';
import { useBackend } from '../../../test-support/backend.js';

// The explicit conv backward (ops/conv2d.ts) against tfjs-cpu's own conv2d gradients, on the shapes
// ResNet18 meets at 28–224 px plus odd sizes: every formulation (im2col layouts, single-position GEMM,
// flipped data or filter, zero insertion for stride 2) must agree to float32 rounding.
type Shape4 = [number, number, number, number];
const CASES: [Shape4, Shape4, number, number][] = [
  // [x shape NHWC, filter HWIO, stride, pad]
  [[2, 9, 9, 1], [7, 7, 1, 4], 2, 3],
  [[2, 7, 7, 8], [3, 3, 8, 8], 1, 1],
  [[2, 7, 7, 8], [3, 3, 8, 16], 2, 1],
  [[2, 7, 7, 8], [1, 1, 8, 16], 2, 0],
  [[2, 8, 8, 8], [3, 3, 8, 16], 2, 1],
  [[2, 8, 8, 8], [1, 1, 8, 16], 2, 0],
  [[3, 2, 2, 16], [3, 3, 16, 16], 1, 1],
  [[3, 2, 2, 16], [3, 3, 16, 32], 2, 1],
  [[3, 2, 2, 16], [1, 1, 16, 32], 2, 0],
  [[3, 1, 1, 32], [3, 3, 32, 32], 1, 1],
  [[3, 3, 3, 4], [3, 3, 4, 8], 2, 1],
  [[2, 4, 4, 64], [3, 3, 64, 4], 1, 1],
];

function maxRel(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / Math.max(scale, 1e-12);
}

describe('conv2d backward formulations', () => {
  beforeAll(() => useBackend('cpu'));
  for (const [xs, ws, stride, pad] of CASES) {
    it(`x ${xs} w ${ws} stride ${stride} pad ${pad}`, async () => {
      const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal(ws, 0, 1, 'float32', 2) as tf.Tensor4D;
      const oh = Math.floor((xs[1]! + 2 * pad - ws[0]!) / stride) + 1;
      const probe = tf.randomNormal([xs[0]!, oh, oh, ws[3]!], 0, 1, 'float32', 3);
      const loss = (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), probe)));
      const ref = loss((a, b) => tf.conv2d(a, b, stride, pad))([x, w]);
      const refY = tf.conv2d(x, w, stride, pad);
      for (const backend of ['cpu', 'wasm'] as const) {
        await useBackend(backend);
        const ours = loss((a, b) => conv2d(a, b, { stride, pad, inputGrad: true }))([x, w]);
        const y = conv2d(x, w, { stride, pad, inputGrad: true });
        expect(y.shape).toEqual(refY.shape);
        expect(maxRel(y.dataSync() as Float32Array, refY.dataSync() as Float32Array), `${backend} y`).toBeLessThan(1e-5);
        expect(maxRel(ours[0]!.dataSync() as Float32Array, ref[0]!.dataSync() as Float32Array), `${backend} dx`).toBeLessThan(1e-5);
        expect(maxRel(ours[1]!.dataSync() as Float32Array, ref[1]!.dataSync() as Float32Array), `${backend} dw`).toBeLessThan(1e-5);
        tf.dispose([...ours, y]);
      }
      await useBackend('cpu');
      tf.dispose([x, w, probe, refY, ...ref]);
    });
  }
});
