import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '@medxfer/data';
import { crossEntropy } from '@medxfer/train';
import { betaSample, drawCutMix, drawMix, mixImages, mixTargets, ownShare } from '../src/mixup.js';
import { useBackend } from '../../../test-support/backend.js';

const ce = (logits: number[][], targets: tf.Tensor, options: Parameters<typeof crossEntropy>[2] = {}) =>
  tf.tidy(() => crossEntropy(tf.tensor2d(logits), targets as tf.Tensor1D, options).dataSync()[0]!);

describe('mixup', () => {
  beforeAll(() => useBackend('cpu'));

  it('Beta(α, α) draws have the right mean and variance, 1/(4(2α + 1))', () => {
    for (const alpha of [0.2, 1, 3]) {
      const random = seededRandom(alpha * 100);
      const draws = Array.from({ length: 40000 }, () => betaSample(alpha, random));
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
      expect(variance / (1 / (4 * (2 * alpha + 1)))).toBeGreaterThan(0.96);
      expect(variance / (1 / (4 * (2 * alpha + 1)))).toBeLessThan(1.04);
      expect(draws.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('mixes images and targets with the same partners and λ ∈ [0.5, 1]', () => {
    const mix = drawMix(3, 0.4, seededRandom(2));
    expect(mix.lambda).toBeGreaterThanOrEqual(0.5);
    expect([...mix.partners].sort()).toEqual([0, 1, 2]);
    const images = Float32Array.from([1, 2, 10, 20, 100, 200]);
    const mixed = mixImages(images.slice(), [3, 1, 2, 1], mix);
    const y = Int32Array.from([0, 1, 1]);
    const soft = mixTargets({ data: y, shape: [3] }, 2, mix);
    expect(soft.shape).toEqual([3, 2]);
    for (let i = 0; i < 3; i++) {
      const p = mix.partners[i]!;
      for (let k = 0; k < 2; k++) expect(mixed[i * 2 + k]).toBeCloseTo(mix.lambda * images[i * 2 + k]! + (1 - mix.lambda) * images[p * 2 + k]!, 4);
      for (let c = 0; c < 2; c++) expect(soft.data[i * 2 + c]).toBeCloseTo(mix.lambda * (y[i] === c ? 1 : 0) + (1 - mix.lambda) * (y[p] === c ? 1 : 0), 6);
    }
    const multi = mixTargets({ data: Float32Array.from([1, 0, 0, 1, 1, 1]), shape: [3, 2] }, 2, mix);
    expect(multi.data[0]).toBeCloseTo(mix.lambda * 1 + (1 - mix.lambda) * [1, 0, 1][mix.partners[0]!]!, 6);
  });

  it('CutMix pastes one box of the partner into each image and mixes the targets by the pixel shares', () => {
    const [n, h, w, c] = [4, 10, 12, 2];
    const images = Float32Array.from({ length: n * h * w * c }, (_, k) => k);
    let seen = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const mix = drawCutMix(n, 1, seededRandom(seed));
      expect([...mix.partners].sort()).toEqual([0, 1, 2, 3]);
      const mixed = mixImages(images.slice(), [n, h, w, c], mix);
      // The box, read off an image paired with another; every image gets its partner's pixels there, whole.
      const probe = [...mix.partners].findIndex((p, i) => p !== i);
      if (probe < 0) continue;
      seen++;
      let fromPartner = 0;
      const rows = new Set<number>(), cols = new Set<number>();
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const at = (i: number) => ((i * h + y) * w + x) * c;
        const pasted = mixed[at(probe)] !== images[at(probe)];
        for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) {
          expect(mixed[at(i) + k]).toBe(images[(pasted ? at(mix.partners[i]!) : at(i)) + k]);
        }
        if (pasted) {
          fromPartner++;
          rows.add(y);
          cols.add(x);
        }
      }
      expect(fromPartner).toBe(rows.size * cols.size);
      const share = ownShare(mix, h, w);
      expect(share).toBeCloseTo(1 - fromPartner / (h * w), 10);
      const soft = mixTargets({ data: Int32Array.from([0, 1, 1, 0]), shape: [n] }, 2, mix, share);
      const p = mix.partners[probe]!;
      const own = probe === 0 || probe === 3 ? 1 : 0, other = p === 0 || p === 3 ? 1 : 0;
      expect(soft.data[probe * 2]).toBeCloseTo(share * own + (1 - share) * other, 6);
    }
    expect(seen).toBeGreaterThan(10);
  });

  it('cross-entropy on soft targets is λ·ℓ(a) + (1 − λ)·ℓ(b), label smoothing included; one-hot rows give the hard result', () => {
    const logits = [[2, -1, 0.5], [0.3, 0.2, -2]];
    const [a, b, lambda] = [[0, 1], [2, 1], 0.7];
    for (const labelSmoothing of [0, 0.1]) {
      const expected = lambda * ce(logits, tf.tensor1d(a, 'int32'), { labelSmoothing }) + (1 - lambda) * ce(logits, tf.tensor1d(b, 'int32'), { labelSmoothing });
      // row 0 mixes class 0 (λ) with class 2; row 1 is class 1 in both.
      const mixedTargets = tf.tensor2d([[lambda, 0, 1 - lambda], [0, 1, 0]]);
      expect(ce(logits, mixedTargets, { labelSmoothing })).toBeCloseTo(expected, 5);
    }
    const w = { classWeights: [1, 2, 0.5], labelSmoothing: 0.1 };
    expect(ce(logits, tf.tensor2d([[1, 0, 0], [0, 1, 0]]), w)).toBeCloseTo(ce(logits, tf.tensor1d([0, 1], 'int32'), w), 6);
  });
});
