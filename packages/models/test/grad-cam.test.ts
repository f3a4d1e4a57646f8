import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '../src/resnet/model.js';
import { InputShapeError, ModelError } from '../src/errors.js';
import { camLayerFor, gradCam, jetColour, normaliseMinMax, overlayHeatmap, stageMapSize, upsampleHeatmap } from '../src/explain/grad-cam.js';
import { useBackend } from '../../../test-support/backend.js';

const SIZE = 128; // layer4: 4×4

/** A deterministic, structured grey image in [0, 1]. */
function image(seed: number): tf.Tensor4D {
  const data = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const blob = Math.exp(-((x - 40) ** 2 + (y - 90) ** 2) / 300);
      data[y * SIZE + x] = 0.5 + 0.3 * Math.sin((x * (seed + 1)) / 9 + y / 13) * Math.cos(y / 7) + 0.4 * blob;
    }
  }
  return tf.tensor4d(data, [1, SIZE, SIZE, 1]);
}

describe('gradCam on wasm', () => {
  let model: ResNet18;
  let x: tf.Tensor4D;
  let k = -1;
  let reference: Float32Array;
  let layer4: { height: number; width: number };

  beforeAll(async () => {
    await useBackend('wasm');
    model = new ResNet18({ numClasses: 2, input: 'single', seed: 3 });
    x = image(1);
    // layer4 features, and the channel with the most spatial structure after ReLU.
    const trunk = tf.tidy(() => model.trunk(x));
    const [, h, w, c] = trunk.shape as [number, number, number, number];
    layer4 = { height: h, width: w };
    const a = trunk.dataSync();
    trunk.dispose();
    let bestRange = 0;
    for (let ch = 0; ch < c; ch++) {
      let min = Infinity;
      let max = -Infinity;
      for (let p = 0; p < h * w; p++) {
        min = Math.min(min, a[p * c + ch]!);
        max = Math.max(max, a[p * c + ch]!);
      }
      if (min >= 0 && max - min > bestRange) {
        bestRange = max - min;
        k = ch;
      }
    }
    expect(k).toBeGreaterThanOrEqual(0);
    const ak = Float32Array.from({ length: h * w }, (_, p) => Math.max(a[p * c + k]!, 0));
    reference = normaliseMinMax(ak);
    // fc: class 1's score = mean over space of channel k (one-hot column k), class 0's score = 0.
    const weight = new Float32Array(512 * 2);
    weight[k * 2 + 1] = 1;
    model.params.get('fc.weight')!.assign(tf.tensor2d(weight, [512, 2]));
    model.params.get('fc.bias')!.assign(tf.zeros([2]));
  });

  afterAll(() => {
    x?.dispose();
    model?.dispose();
  });

  it('with the class score = mean of channel k, the map is normalised ReLU(A_k) (1e-5)', async () => {
    const before = tf.memory().numTensors;
    const result = await gradCam(model, x, 1, { layer: 'layer4' });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.layer).toBe('layer4');
    expect(result.height).toBe(SIZE / 32);
    expect(result.width).toBe(SIZE / 32);
    expect(result.height).toBe(layer4.height);
    expect(result.classIndex).toBe(1);
    expect(result.heatmap.length).toBe(result.height * result.width);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(result.heatmap[i]! - reference[i]!));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...result.heatmap)).toBeCloseTo(1, 6);
    expect(Math.min(...result.heatmap)).toBeCloseTo(0, 6);
  });

  it('returns softmax probabilities and defaults to the predicted class, without leaks', async () => {
    const before = tf.memory().numTensors;
    const result = await gradCam(model, x);
    expect(tf.memory().numTensors).toBe(before);
    const logits = model.predict(x);
    const l = logits.dataSync();
    logits.dispose();
    const p1 = 1 / (1 + Math.exp(l[0]! - l[1]!));
    expect(result.probabilities.length).toBe(2);
    expect(result.probabilities[1]).toBeCloseTo(p1, 5);
    expect(result.probabilities[0]! + result.probabilities[1]!).toBeCloseTo(1, 5);
    // logit 1 = mean(A_k) > 0 = logit 0, so the predicted class is 1.
    expect(result.classIndex).toBe(l[1]! > l[0]! ? 1 : 0);
    expect(result.classIndex).toBe(1);
    // A multi-label head: a sigmoid per output, not a softmax across them.
    const perLabel = await gradCam(model, x, 0, { activation: 'sigmoid' });
    l.forEach((v, k) => expect(perLabel.probabilities[k]).toBeCloseTo(1 / (1 + Math.exp(-v)), 5));
  });

  it('chooses the deepest stage with a map of at least 7×7 by default, and runs the rest of the network from it', async () => {
    expect([28, 64, 128, 224].map((size) => camLayerFor(size))).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect([28, 64, 224].map((size) => stageMapSize(size, 'layer4'))).toEqual([1, 2, 7]);
    expect(stageMapSize(28, 'layer1')).toBe(7);
    const auto = await gradCam(model, x, 1);
    expect([auto.layer, auto.height, auto.width]).toEqual(['layer3', 8, 8]);
    expect(auto.heatmap.some((v) => v > 0 && v < 1), 'an 8×8 map with structure').toBe(true);
    // layerOutput then continueFrom is the whole trunk.
    for (const layer of ['layer1', 'layer2', 'layer3'] as const) {
      const [split, whole] = tf.tidy(() => [model.continueFrom(model.layerOutput(x, layer), layer).dataSync(), model.trunk(x).dataSync()]);
      expect(Array.from(split!)).toEqual(Array.from(whole!));
    }
  });

  it('class 0 (all-zero weights) gives a flat map of zeros', async () => {
    const result = await gradCam(model, x, 0);
    expect(result.classIndex).toBe(0);
    expect(Array.from(result.heatmap).every((v) => v === 0)).toBe(true);
  });

  it('does not move BatchNorm running stats', async () => {
    const mean = model.buffers.get('layer4.1.bn2.running_mean')!.dataSync().slice();
    await gradCam(model, x, 1);
    expect(Array.from(model.buffers.get('layer4.1.bn2.running_mean')!.dataSync())).toEqual(Array.from(mean));
  });

  it('rejects a class index out of range with a clear error', async () => {
    const before = tf.memory().numTensors;
    for (const bad of [2, -1, 0.5, Number.NaN]) {
      await expect(gradCam(model, x, bad)).rejects.toThrow(ModelError);
    }
    await expect(gradCam(model, x, 2)).rejects.toThrow(/classIndex must be an integer in \[0, 1\] for this 2-class model, got 2/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a batch of more than one image, and wrong channels', async () => {
    const two = tf.zeros([2, SIZE, SIZE, 1]) as tf.Tensor4D;
    const rgb = tf.zeros([1, SIZE, SIZE, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    await expect(gradCam(model, two)).rejects.toThrow(InputShapeError);
    await expect(gradCam(model, two)).rejects.toThrow(/one image at a time.*\[2, 128, 128, 1\]/);
    await expect(gradCam(model, rgb)).rejects.toThrow(InputShapeError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([two, rgb]);
  });
});

describe('upsampleHeatmap', () => {
  it('is the identity at the same size', () => {
    const m = Float32Array.from([0, 0.25, 0.5, 1]);
    expect(Array.from(upsampleHeatmap(m, 2, 2, 2, 2))).toEqual(Array.from(m));
  });

  it('interpolates bilinearly with half-pixel centres and clamps at the edges', () => {
    // 1×2 → 1×4: output centres at input coordinates −0.25, 0.25, 0.75, 1.25.
    const out = upsampleHeatmap([0, 1], 1, 2, 1, 4);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
    // 2×2 → 4×4: the inner 2×2 is the bilinear blend at (0.25, 0.25)…
    const big = upsampleHeatmap([0, 1, 2, 3], 2, 2, 4, 4);
    expect(big.length).toBe(16);
    expect(big[0]).toBe(0);
    expect(big[15]).toBe(3);
    expect(big[1 * 4 + 1]).toBeCloseTo(0.25 * 1 + 0.25 * 2, 6); // x 0.25, y 0.25
    expect(big[2 * 4 + 2]).toBeCloseTo(0.75 * 1 + 0.75 * 2, 6);
  });

  it('checks sizes', () => {
    expect(() => upsampleHeatmap([0, 1, 2], 2, 2, 4, 4)).toThrow(InputShapeError);
    expect(() => upsampleHeatmap([0], 1, 1, 0, 4)).toThrow(InputShapeError);
  });
});

describe('overlayHeatmap', () => {
  it('returns RGBA of the image size, alpha-blended with the jet colour map', () => {
    // 2×1 grey image: pixel 0 = 100 with heat 0.5 (jet: 0.5, 1, 0.5); pixel 1 = 200 with heat 1 (jet: 0.5, 0, 0).
    const out = overlayHeatmap(Uint8Array.from([100, 200]), 2, 1, 1, [0.5, 1], 0.45);
    expect(out.length).toBe(2 * 1 * 4);
    expect(Array.from(jetColour(0.5))).toEqual([0.5, 1, 0.5]);
    // round(0.55·100 + 0.45·255·c)
    expect(Array.from(out.slice(0, 4))).toEqual([Math.round(55 + 57.375), Math.round(55 + 114.75), Math.round(55 + 57.375), 255]);
    expect(Array.from(out.slice(0, 4))).toEqual([112, 170, 112, 255]);
    // round(0.55·200 + 0.45·255·(0.5, 0, 0)) = (167, 110, 110)
    expect(Array.from(out.slice(4, 8))).toEqual([167, 110, 110, 255]);
  });

  it('takes RGB and RGBA images and alpha 0/1', () => {
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
    expect(Array.from(overlayHeatmap(rgb, 1, 2, 3, [0, 0], 0))).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
    // heat 0 → jet (0, 0, 0.5): full alpha gives the colour alone.
    expect(Array.from(overlayHeatmap(rgb, 1, 2, 3, [0, 0], 1).slice(0, 4))).toEqual([0, 0, 128, 255]);
    const rgba = Uint8Array.from([10, 20, 30, 7]);
    expect(Array.from(overlayHeatmap(rgba, 1, 1, 4, [0], 0))).toEqual([10, 20, 30, 255]);
    expect(overlayHeatmap(new Uint8Array(6 * 5), 6, 5, 1, new Float32Array(30)).length).toBe(6 * 5 * 4);
  });

  it('checks sizes', () => {
    expect(() => overlayHeatmap(new Uint8Array(4), 2, 2, 1, [0, 0, 0])).toThrow(InputShapeError);
    expect(() => overlayHeatmap(new Uint8Array(4), 2, 2, 3, [0, 0, 0, 0])).toThrow(InputShapeError);
    expect(() => overlayHeatmap(new Uint8Array(8), 2, 2, 2, [0, 0, 0, 0])).toThrow(InputShapeError);
  });
});
