import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_NORMALIZATION, makeBatch, openMedMNIST, type DatasetSplit } from '@medxfer/data';
import { ResNet18, conv2d, greyStemConv, loadStateDict, readCheckpoint, stateDict, type ForwardOptions } from '@medxfer/models';
import { sharedPath } from '../../../test-support/paths.js';
import { useBackend } from '../../../test-support/backend.js';
import { readBytes, torchFixture } from './helpers.js';

// The grey stem folds the notebook's Grayscale(3) + Normalize(ImageNet) into conv1. On real chest
// X-rays (PneumoniaMNIST), `input: 'grey'` given g in [0, 1] must equal the 3-channel model given
// x_c = (g − mean_c)/std_c, with the same weights, in eval and in train-BN mode, and so must the
// gradients w.r.t. conv1.weight.
//
// About the end-to-end gradients: the two stems compute the same function with different float32
// rounding (~1e-7 relative), and the network's gradient is only piecewise smooth (ReLU, max-pool
// argmax). Where a ReLU pre-activation or a max-pool near-tie lies within that rounding, the two
// models take different branches and their gradients differ by O(1) for that unit — a property of the
// network, not of the fold. With test images 0–7 this happens twice: at 28 px in train-BN mode a layer4
// output unit is exactly 0 in one model and 2.4e-6 in the other (conv1.weight gradients then differ by
// 9.6e-2 of their max; the 3-channel model alone differs by as much between the cpu and wasm backends),
// and at 64 px in eval mode a ReLU inside block layer4.0 flips (2.9e-3; layer4.0.conv2's gradient still
// agrees to 1e-6, layer4.0.conv1's does not). Which batches meet such a kink depends on the rounding of
// the convolution kernels: with medxfer's wasm kernels images 500–507 meet one at 64 px when they
// multiply then add and 516–523 when they fuse multiply-adds (relaxed SIMD). Hence two gradient checks:
// the stem's own backward with a shared upstream gradient, to 1e-4 (exact up to rounding, any images),
// and the whole network on images 500–507 to 2e-2 of the gradient's scale: there kinks moved it by
// 1e-3–1e-2 in the batches tried (9.6e-2 on images 0–7, above), a wrong fold (channel, normalisation, bias
// term) moves it by O(1).

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};
const range = (start: number, n = 8) => Array.from({ length: n }, (_, i) => start + i);

const MODES: [string, ForwardOptions][] = [
  ['eval', {}],
  ['train-BN (batch statistics)', { bn: 'train', updateStats: false }],
];

describe('grey input equals grey→RGB + ImageNet normalisation (PneumoniaMNIST, wasm)', () => {
  let split: DatasetSplit;
  let rgb: ResNet18;
  let grey: ResNet18;

  beforeAll(async () => {
    await useBackend('wasm');
    split = openMedMNIST(readBytes(sharedPath('data', 'pneumoniamnist.npz')), { flag: 'pneumoniamnist', verify: false }).splits.test;
    // Non-trivial weights and BN statistics: PyTorch's seed-0 ResNet18 body, a fresh 2-class head.
    rgb = new ResNet18({ numClasses: 2, seed: 3 });
    expect(loadStateDict(rgb, readCheckpoint(readBytes(torchFixture('resnet18-random-seed0.pth')))).headDropped).toBe(true);
    grey = new ResNet18({ input: 'grey', numClasses: 2 });
    loadStateDict(grey, stateDict(rgb));
    expect(grey.params.get('conv1.weight')!.shape).toEqual([7, 7, 3, 64]);
  });

  /** The same images as grey [0, 1] (1 channel) and as normalised RGB (3 channels), PIL-exact resize. */
  const batches = (size: number, indices: number[]) => {
    const g = makeBatch(split, indices, { size, channels: 1 });
    const x = makeBatch(split, indices, { size, channels: 3, normalization: IMAGENET_NORMALIZATION });
    expect(Math.min(...g.images)).toBeGreaterThanOrEqual(0);
    expect(maxAbs(g.images)).toBeLessThanOrEqual(1);
    return { g: tf.tensor4d(g.images, g.shape as [number, number, number, number]), x: tf.tensor4d(x.images, x.shape as [number, number, number, number]) };
  };

  const conv1Grad = (model: ResNet18, input: tf.Tensor4D, options: ForwardOptions) =>
    tf.tidy(() => {
      const w = model.params.get('conv1.weight')!;
      const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(input, options)) as tf.Scalar, [w]);
      value.dispose();
      return grads[w.name]!.dataSync();
    });

  for (const size of [28, 64]) {
    for (const [mode, options] of MODES) {
      it(`${size} px, ${mode}: logits within 1e-4 (images 0–7), BatchNorm folded or not`, () => {
        const { g, x } = batches(size, range(0));
        const ours = tf.tidy(() => grey.apply(g, options).dataSync());
        const ref = tf.tidy(() => rgb.apply(x, options).dataSync());
        expect(maxAbsDiff(ours, ref)).toBeLessThanOrEqual(1e-4);
        expect(maxAbs(ref)).toBeGreaterThan(0.01);
        // Folding changes only frozen BatchNorms (in train mode there is nothing to fold).
        const folded = tf.tidy(() => grey.apply(g, { ...options, foldBatchNorm: true }).dataSync());
        expect(maxAbsDiff(folded, ref)).toBeLessThanOrEqual(1e-4);
        tf.dispose([g, x]);
      });

      it(`${size} px, ${mode}: logits within 1e-4 and conv1.weight gradients through the network within 2e-2 relative (images 500–507)`, () => {
        const { g, x } = batches(size, range(500));
        const ours = tf.tidy(() => grey.apply(g, options).dataSync());
        const ref = tf.tidy(() => rgb.apply(x, options).dataSync());
        expect(maxAbsDiff(ours, ref)).toBeLessThanOrEqual(1e-4);
        const a = conv1Grad(grey, g, options);
        const b = conv1Grad(rgb, x, options);
        const scale = maxAbs(b);
        expect(scale).toBeGreaterThan(0);
        expect(maxAbsDiff(a, b) / scale).toBeLessThanOrEqual(2e-2);
        tf.dispose([g, x]);
      });
    }

    it(`${size} px: the stem's output and its gradient w.r.t. conv1.weight for a shared upstream gradient (images 0–7)`, () => {
      const { g, x } = batches(size, range(0));
      const w = rgb.params.get('conv1.weight')!;
      const w4 = w as tf.Tensor as tf.Tensor4D;
      const out = Math.floor((size + 6 - 7) / 2) + 1;
      const dy = tf.randomNormal([8, out, out, 64], 0, 1, 'float32', 7);
      const greyStem = () => greyStemConv(g, w4, IMAGENET_NORMALIZATION);
      const rgbStem = () => conv2d(x, w4, { stride: 2, pad: 3, inputGrad: false });
      const outputs = tf.tidy(() => [greyStem().dataSync(), rgbStem().dataSync()]);
      expect(maxAbsDiff(outputs[0]!, outputs[1]!) / maxAbs(outputs[1]!)).toBeLessThanOrEqual(1e-5);
      const vjp = (stem: () => tf.Tensor4D) =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(stem(), dy)) as tf.Scalar, [w]);
          value.dispose();
          return grads[w.name]!.dataSync();
        });
      const a = vjp(greyStem);
      const b = vjp(rgbStem);
      expect(maxAbsDiff(a, b) / maxAbs(b)).toBeLessThanOrEqual(1e-4);
      tf.dispose([g, x, dy]);
    });
  }

  it("train-BN with stats updates moves both models' running stats alike", () => {
    const { g, x } = batches(28, range(0));
    const a = new ResNet18({ input: 'grey', numClasses: 2 });
    const b = new ResNet18({ numClasses: 2 });
    loadStateDict(a, stateDict(rgb));
    loadStateDict(b, stateDict(rgb));
    tf.tidy(() => void a.apply(g, { bn: 'train' }));
    tf.tidy(() => void b.apply(x, { bn: 'train' }));
    for (const [name, v] of b.buffers) {
      const ref = v.dataSync();
      expect(maxAbsDiff(a.buffers.get(name)!.dataSync(), ref) / Math.max(maxAbs(ref), 1), name).toBeLessThanOrEqual(1e-5);
    }
    expect(a.batchesTracked.get('bn1')).toBe(b.batchesTracked.get('bn1'));
    tf.dispose([g, x]);
    a.dispose();
    b.dispose();
  });
});
