import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { augmentVolume, IMAGENET_NORMALIZATION, imageAt, makeBatch, montage, openMedMNIST, resizeVolume, seededRandom, VOLUME_AUGMENTATION, volumeSlices } from '@medxfer/data';
import { syntheticMedMNIST } from '../../../test-support/synthetic-medmnist.js';

// python3-torch 1.13's F.interpolate(trilinear, align_corners=False), from scripts/fixtures/make-volume-fixtures.py.
const resizeCases = JSON.parse(readFileSync(fileURLToPath(new URL('fixtures/volume-resize.json', import.meta.url)), 'utf8')).cases as {
  shape: [number, number, number];
  size: number;
  volume: number[];
  resized: number[];
}[];

const organ = () => openMedMNIST(syntheticMedMNIST('organmnist3d', { counts: { train: 22, val: 11, test: 11 } }), { flag: 'organmnist3d', verify: false });

describe('volumes', () => {
  it('resizeVolume is PyTorch\'s trilinear interpolation (align_corners=False) within 1e-6, up and down', () => {
    for (const c of resizeCases) {
      const ours = resizeVolume(Uint8Array.from(c.volume), c.shape, c.size);
      expect(ours.length).toBe(c.size ** 3);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - c.resized[i]!));
      expect(worst, `${c.shape.join('×')} → ${c.size}³`).toBeLessThan(1e-6);
    }
  });

  it('the synthetic OrganMNIST3D has the official keys, shapes and 11 classes, and opens as 3D', () => {
    const data = organ();
    expect(data.info.dimensions).toBe(3);
    expect(data.splits.train.imageShape).toEqual([28, 28, 28]);
    expect(data.splits.train.count).toBe(22);
    expect(new Set(data.splits.train.labels)).toEqual(new Set(Array.from({ length: 11 }, (_, i) => i)));
  });

  it.each(['organmnist3d', 'nodulemnist3d', 'adrenalmnist3d', 'fracturemnist3d', 'vesselmnist3d', 'synapsemnist3d'])('%s: a synthetic file with the official shapes opens, batches and montages at 28³ and 64³', (flag) => {
    for (const size of [28, 64]) {
      const data = openMedMNIST(syntheticMedMNIST(flag, { size, counts: { train: 4, val: 2, test: 2 } }), { flag, size, verify: false });
      expect([data.info.dimensions, data.splits.train.imageShape]).toEqual([3, [size, size, size]]);
      expect(makeBatch(data.splits.train, [0, 3], { size: 28 }).shape).toEqual([2, 28, 28, 28, 1]);
      expect(montage(data.splits.val, { length: 2 }).width).toBe(size * size);
    }
  });

  it('makeBatch gives NDHWC (or NCDHW) volumes, resized, repeated to 3 channels and normalised as asked', () => {
    const { train } = organ().splits;
    const grey = makeBatch(train, [3, 4]);
    expect(grey.shape).toEqual([2, 28, 28, 28, 1]);
    const raw = imageAt(train, 4);
    for (const p of [0, 1234, 21951]) expect(grey.images[28 ** 3 + p]).toBeCloseTo(raw[p]! / 255, 6);
    const rgb = makeBatch(train, [4], { size: 32, channels: 3, normalization: IMAGENET_NORMALIZATION });
    expect(rgb.shape).toEqual([1, 32, 32, 32, 3]);
    const resized = resizeVolume(raw, [28, 28, 28], 32);
    for (const p of [0, 777, 32 ** 3 - 1]) {
      for (let c = 0; c < 3; c++) expect(rgb.images[p * 3 + c]).toBeCloseTo((resized[p]! - IMAGENET_NORMALIZATION.mean[c]!) / IMAGENET_NORMALIZATION.std[c]!, 5);
    }
    const ncdhw = makeBatch(train, [4], { size: 32, channels: 3, normalization: IMAGENET_NORMALIZATION, layout: 'NCHW' });
    expect(ncdhw.shape).toEqual([1, 3, 32, 32, 32]);
    expect(ncdhw.images[2 * 32 ** 3 + 777]).toBe(rgb.images[777 * 3 + 2]);
    expect(Array.from(grey.labels)).toEqual([train.labels[3], train.labels[4]]);
  });

  it('augmentVolume: no-op when off, a left–right flip is exact, the rest is seeded and keeps values in range', () => {
    const size = 8;
    const src = Float32Array.from({ length: size ** 3 }, (_, i) => (i % 7) / 7);
    expect(augmentVolume(src, size, {}, seededRandom(1))).toEqual(src);
    const flipped = augmentVolume(src, size, { hflip: 1 }, seededRandom(1));
    for (const [z, y, x] of [[0, 0, 0], [3, 5, 2], [7, 7, 6]] as const) expect(flipped[(z * size + y) * size + x]).toBeCloseTo(src[(z * size + y) * size + (size - 1 - x)]!, 6);
    const a = augmentVolume(src, size, VOLUME_AUGMENTATION, seededRandom(5));
    expect(augmentVolume(src, size, VOLUME_AUGMENTATION, seededRandom(5))).toEqual(a);
    expect(a).not.toEqual(augmentVolume(src, size, VOLUME_AUGMENTATION, seededRandom(6)));
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true);
    const grey = new Float32Array(size ** 3).fill(0.4);
    const shift = { rotate: 30, translate: 0.25 };
    expect(Math.min(...augmentVolume(grey, size, shift, seededRandom(2)))).toBeLessThan(0.1);
    for (const v of augmentVolume(grey, size, { ...shift, fill: 'edge' }, seededRandom(2))) expect(v).toBeCloseTo(0.4, 6);
  });

  it('a 3D montage has one row per volume of its depth slices; volumeSlices lays one volume out as a grid', () => {
    const { test } = organ().splits;
    const grid = montage(test, { length: 3, indices: [1, 2] });
    expect([grid.width, grid.height, grid.channels]).toEqual([28 * 28, 56, 1]);
    const slice = (z: number, row: number) => Array.from({ length: 28 }, (_, y) => Array.from(grid.pixels.subarray((row * 28 + y) * 784 + z * 28, (row * 28 + y) * 784 + z * 28 + 28))).flat();
    expect(slice(5, 1)).toEqual(Array.from(imageAt(test, 2).subarray(5 * 784, 6 * 784)));
    expect(() => montage(test, { length: 1, indices: [1, 2] })).toThrow(/2 volumes do not fit 1 rows/);
    const sheet = volumeSlices(imageAt(test, 1), [28, 28, 28]);
    expect([sheet.width, sheet.height]).toEqual([6 * 28, 5 * 28]);
    // Slice 7 is row 1, column 1 of the 6-column grid.
    const first = Array.from({ length: 28 }, (_, y) => Array.from(sheet.pixels.subarray((28 + y) * 168 + 28, (28 + y) * 168 + 56))).flat();
    expect(first).toEqual(Array.from(imageAt(test, 1).subarray(7 * 784, 8 * 784)));
  });
});
