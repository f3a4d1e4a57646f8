import { describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION, makeBatch, openMedMNIST, imageAt, isGrey, rasterToInput, toGrey } from '@medxfer/data';
import { pneumoniaBytes } from './helpers.js';

describe('decoded images as model input', () => {
  it("grey by PIL's convert('L') fixed point (hand-computed pixels)", () => {
    // (299·R + 587·G + 114·B)/1000: white → 255, pure red → 76.245 → 76, (10, 200, 30) → (2990 + 117400 + 3420)/1000 = 123.81 → 124
    const img = { width: 3, height: 1, channels: 4 as const, pixels: Uint8Array.from([255, 255, 255, 255, 255, 0, 0, 255, 10, 200, 30, 255]) };
    expect(Array.from(toGrey(img))).toEqual([255, 76, 124]);
    expect(isGrey(img)).toBe(false);
  });

  it('a dataset image as RGBA gives exactly the batch the training pipeline makes', () => {
    const { test } = openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false }).splits;
    const grey = imageAt(test, 7);
    const rgba = new Uint8Array(28 * 28 * 4);
    grey.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
    for (const transform of [{ size: 64, channels: 1 as const }, { size: 64, channels: 3 as const, normalization: IMAGENET_NORMALIZATION }]) {
      const fromImage = rasterToInput({ width: 28, height: 28, channels: 4, pixels: rgba }, transform);
      const fromBatch = makeBatch(test, [7], transform);
      expect(fromImage.shape).toEqual(fromBatch.shape);
      expect(fromImage.data).toEqual(fromBatch.images);
    }
  });
});
