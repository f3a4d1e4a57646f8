import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch, batchIndices } from '@medxfer/data';
import { ResNet18 } from '@medxfer/models';
import { recomputeBatchNormStats } from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';
import { sampleOf, pneumonia } from './helpers.js';

describe('recomputeBatchNormStats (wasm, real PneumoniaMNIST images)', () => {
  beforeAll(() => useBackend('wasm'));

  it("sets bn1's running stats to the average of the chunks' mean and unbiased variance of conv1's output (computed here in float64)", () => {
    const split = sampleOf(pneumonia().splits.train, 40);
    const transform = { size: 28, channels: 1 as const };
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 2 });
    // Reference: conv1's output per chunk (16, 16, 8 images), by hand.
    const sumMean = new Float64Array(64);
    const sumVar = new Float64Array(64);
    let chunks = 0;
    for (const indices of batchIndices(split.count, { batchSize: 16, seed: 5, epoch: 0 })) {
      const batch = makeBatch(split, indices, transform);
      const capture = new Map<string, tf.Tensor>();
      tf.tidy(() => void model.features(tf.tensor4d(batch.images, [...batch.shape] as [number, number, number, number]), { capture }));
      const conv1 = capture.get('conv1')!;
      const values = conv1.dataSync();
      const count = values.length / 64;
      for (let c = 0; c < 64; c++) {
        let s = 0;
        for (let i = c; i < values.length; i += 64) s += values[i]!;
        const mean = s / count;
        let ss = 0;
        for (let i = c; i < values.length; i += 64) ss += (values[i]! - mean) ** 2;
        sumMean[c]! += mean;
        sumVar[c]! += ss / (count - 1);
      }
      tf.dispose([...capture.values()]);
      chunks++;
    }
    expect(chunks).toBe(3);
    recomputeBatchNormStats(model, split, transform, 16, 5);
    const mean = model.buffers.get('bn1.running_mean')!.dataSync();
    const variance = model.buffers.get('bn1.running_var')!.dataSync();
    for (let c = 0; c < 64; c++) {
      expect(mean[c]!).toBeCloseTo(sumMean[c]! / 3, 5);
      expect(Math.abs(variance[c]! - sumVar[c]! / 3) / (sumVar[c]! / 3)).toBeLessThan(1e-4);
    }
    expect(model.batchesTracked.get('bn1')).toBe(3);
    model.dispose();
  });
});
