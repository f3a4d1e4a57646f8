import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  inputTransform,
  transformForModel,
  augmentImage,
  batchIndices,
  IMAGENET_NORMALIZATION,
  makeBatch,
  openMedMNIST,
  prefetchBatches,
  readNpy,
  resizeBilinearPIL,
  seededRandom,
  type DatasetSplit,
} from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';
import { pneumoniaBytes } from './helpers.js';

const reference = (name: string) => readNpy(new Uint8Array(readFileSync(sharedPath('fixtures', 'reference', name))));
const indices = JSON.parse(readFileSync(sharedPath('fixtures', 'reference', 'metrics-reference.json'), 'utf8')).source_indices as number[];
const train = (): DatasetSplit => openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false }).splits.train;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe("the notebook's transform against torchvision", () => {
  it('the source images are the shared train images at the recorded indices', () => {
    const source = reference('transform-source.npy');
    const split = train();
    const mine = new Uint8Array(4 * 784);
    indices.forEach((index, k) => mine.set(split.images.read(index), k * 784));
    expect(Buffer.from(mine).equals(Buffer.from(source.data as Uint8Array))).toBe(true);
  });

  for (const size of [224, 64, 28]) {
    it(`Resize(${size}) + Grayscale(3) + ToTensor + Normalize(ImageNet) matches to 1e-6 (NCHW)`, () => {
      const expected = reference(`transform-imagenet-${size}.npy`);
      const batch = makeBatch(train(), indices, { size, channels: 3, normalization: IMAGENET_NORMALIZATION, layout: 'NCHW' });
      expect(batch.shape).toEqual(expected.shape);
      expect(maxAbsDiff(batch.images, expected.data as Float32Array)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('NHWC holds the same values, transposed', () => {
    const nchw = makeBatch(train(), indices, { size: 64, channels: 3, normalization: IMAGENET_NORMALIZATION, layout: 'NCHW' });
    const nhwc = makeBatch(train(), indices, { size: 64, channels: 3, normalization: IMAGENET_NORMALIZATION });
    expect(nhwc.shape).toEqual([4, 64, 64, 3]);
    for (const [n, c, y, x] of [[0, 0, 0, 0], [1, 2, 10, 63], [3, 1, 40, 5]] as const) {
      expect(nhwc.images[((n * 64 + y) * 64 + x) * 3 + c]).toBe(nchw.images[((n * 3 + c) * 64 + y) * 64 + x]);
    }
    expect(Array.from(nhwc.labels)).toEqual(indices.map((i) => train().labels[i]));
  });

  it('resizing a constant image keeps it constant; identity size copies', () => {
    const flat = new Uint8Array(28 * 28).fill(77);
    expect(new Set(resizeBilinearPIL(flat, 28, 28, 1, 97, 97))).toEqual(new Set([77]));
    expect(new Set(resizeBilinearPIL(flat, 28, 28, 1, 13, 13))).toEqual(new Set([77]));
  });
});

describe('seeded augmentation', () => {
  const image = Float32Array.from({ length: 16 * 16 }, (_, i) => (i % 16) / 15);

  it('flip mirrors exactly; no options is the identity', () => {
    const flipped = augmentImage(image, 16, 1, { hflip: 1 }, seededRandom(1));
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) expect(flipped[y * 16 + x]).toBeCloseTo(image[y * 16 + 15 - x]!, 6);
    expect(augmentImage(image, 16, 1, {}, seededRandom(1))).toEqual(image);
  });

  it('the same seed gives the same result, another seed another', () => {
    const aug = { rotate: 10, cropScale: [0.8, 1] as const, translate: 0.1, brightness: 0.1, contrast: 0.1 };
    const a = augmentImage(image, 16, 1, aug, seededRandom(7));
    expect(augmentImage(image, 16, 1, aug, seededRandom(7))).toEqual(a);
    expect(augmentImage(image, 16, 1, aug, seededRandom(8))).not.toEqual(a);
    for (const v of a) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('edge fill replicates the border where zero fill leaves black wedges', () => {
    const grey = new Float32Array(16 * 16).fill(0.6);
    const warp = { rotate: 45, translate: 0.2 };
    const zero = augmentImage(grey, 16, 1, warp, seededRandom(3));
    const edge = augmentImage(grey, 16, 1, { ...warp, fill: 'edge' }, seededRandom(3));
    expect(Math.min(...zero)).toBeLessThan(0.1);
    for (const v of edge) expect(v).toBeCloseTo(0.6, 6);
    // A ramp: inside the image both fills agree; outside, edge repeats the nearest column.
    const ramp = Float32Array.from({ length: 16 * 16 }, (_, i) => (i % 16) / 15);
    const shifted = augmentImage(ramp, 16, 1, { translate: 0.25, fill: 'edge' }, seededRandom(5));
    const plain = augmentImage(ramp, 16, 1, { translate: 0.25 }, seededRandom(5));
    const agree = [...shifted].filter((v, i) => plain[i]! > 0 && Math.abs(v - plain[i]!) < 1e-6).length;
    expect(agree).toBeGreaterThan(100);
    for (const v of shifted) expect(v >= 0 && v <= 1).toBe(true);
    expect([...shifted].filter((v) => v === 0 || v === 1).length).toBeGreaterThan(0);
  });

  it('a batch with augmentation needs a random source', () => {
    expect(() => makeBatch(train(), [0], { augmentation: { hflip: 0.5 } })).toThrow(/augmentation needs a seeded random source/);
  });
});

describe('batching', () => {
  it('covers every index once per epoch, seeded, with dropLast', () => {
    const a = batchIndices(10, { batchSize: 3, seed: 42 });
    expect(a.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect([...a.flatMap((b) => [...b])].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchIndices(10, { batchSize: 3, seed: 42 })).toEqual(a);
    expect(batchIndices(10, { batchSize: 3, seed: 42, epoch: 1 })).not.toEqual(a);
    expect(batchIndices(10, { batchSize: 3, seed: 42, dropLast: true })).toHaveLength(3);
    expect(batchIndices(4, { batchSize: 2, shuffle: false }).map((b) => [...b])).toEqual([[0, 1], [2, 3]]);
    expect(() => batchIndices(4, { batchSize: 0 })).toThrow(/positive integer/);
  });

  it('prefetch yields every batch in order and prepares the next one ahead', async () => {
    const made: number[] = [];
    const seen: number[] = [];
    for await (const b of prefetchBatches(batchIndices(6, { batchSize: 2, shuffle: false }), (_, i) => (made.push(i), i))) {
      seen.push(b);
      expect(made.length).toBeGreaterThanOrEqual(Math.min(b + 2, 3));
    }
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe('model input pipelines', () => {
  it('grey images go in as one channel in [0, 1], colour images as RGB with ImageNet normalisation', () => {
    expect(inputTransform(1, 28)).toEqual({ size: 28, channels: 1 });
    expect(inputTransform(3, 64)).toEqual({ size: 64, channels: 3, normalization: IMAGENET_NORMALIZATION });
  });

  it('derives the transform from a saved model', () => {
    const n = IMAGENET_NORMALIZATION;
    expect(transformForModel({ input: 'grey', inputSize: 28, normalization: n })).toEqual({ size: 28, channels: 1 });
    expect(transformForModel({ input: 'rgb', inputSize: 64, normalization: n })).toEqual({ size: 64, channels: 3, normalization: n });
    expect(transformForModel({ input: 'single', inputSize: 32, normalization: { mean: [0.5], std: [0.5] } })).toEqual({ size: 32, channels: 1, normalization: { mean: [0.5], std: [0.5] } });
  });
});
