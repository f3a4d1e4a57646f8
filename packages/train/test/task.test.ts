import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { datasetInfo, imagesInMemory, type DatasetSplit } from '@medxfer/data';
import {
  checkProbabilities, correctOf, explainedClass, lossOptionsFor, NonFiniteOutputError, outputActivation, predictionOf, probabilitiesOf,
  probabilityLoss, targetsOf, targetTensor, taskOf,
} from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';

const split = (flag: string, labels: number[], labelWidth = 1): DatasetSplit => ({
  info: datasetInfo(flag), split: 'train', size: 1, count: labels.length / labelWidth, imageShape: [1, 1], images: imagesInMemory(new Uint8Array(labels.length / labelWidth), 1), labels: Uint8Array.from(labels), labelWidth,
});

describe('the task model', () => {
  beforeAll(() => useBackend('cpu'));

  it('knows each MedMNIST task and its activation', () => {
    expect(['pneumoniamnist', 'bloodmnist', 'retinamnist', 'chestmnist'].map((f) => taskOf(datasetInfo(f)))).toEqual(['binary-class', 'multi-class', 'ordinal-regression', 'multi-label']);
    expect(outputActivation('multi-label')).toBe('sigmoid');
    expect(outputActivation('ordinal-regression')).toBe('softmax');
    const p = tf.tidy(() => Array.from(probabilitiesOf('multi-label', tf.tensor2d([[0, 2]])).dataSync()));
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  it('batch targets: class indices, or 0/1 rows for multi-label', () => {
    const single = targetsOf(split('bloodmnist', [3, 1, 7]), [2, 0]);
    expect(single).toEqual({ data: Int32Array.from([7, 3]), shape: [2] });
    const chest = split('chestmnist', Array.from({ length: 28 }, (_, k) => (k % 3 === 0 ? 1 : 0)), 14);
    const multi = targetsOf(chest, [1]);
    expect(multi.shape).toEqual([1, 14]);
    expect(Array.from(multi.data)).toEqual(Array.from(chest.labels.subarray(14, 28)));
  });

  it('counts correct decisions: argmax for single-label, labels right / labels for multi-label', async () => {
    const correct = async (logits: number[][], targets: Parameters<typeof targetTensor>[0], kind: 'cross-entropy' | 'binary-cross-entropy' = targets.shape.length === 2 ? 'binary-cross-entropy' : 'cross-entropy') => {
      const [l, t] = [tf.tensor2d(logits), targetTensor(targets)];
      try {
        return await correctOf(l, t, kind);
      } finally {
        tf.dispose([l, t]);
      }
    };
    const before = tf.memory().numTensors;
    expect(await correct([[2, 1], [0, 3], [5, 1]], { data: Int32Array.from([0, 0, 0]), shape: [3] })).toBe(2);
    // Row 1: both labels right; row 2: one of two (logit 0 is p = 0.5, not > 0.5).
    expect(await correct([[3, -1], [0, 2]], { data: Float32Array.from([1, 0, 1, 1]), shape: [2, 2] })).toBe(1.5);
    // Mixed targets: soft class rows count their largest entry; mixed labels count as 1 above 0.5.
    expect(await correct([[2, 1], [0, 3]], { data: Float32Array.from([0.7, 0.3, 0.6, 0.4]), shape: [2, 2] }, 'cross-entropy')).toBe(1);
    expect(await correct([[3, -1], [0, 2]], { data: Float32Array.from([0.8, 0.6, 0.3, 0.7]), shape: [2, 2] })).toBe(1.5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predictions: the top class, or every finding above 0.5; Grad-CAM explains the top one', () => {
    expect(predictionOf('multi-class', [0.2, 0.5, 0.3])).toEqual({ classes: [1], score: 0.5 });
    expect(predictionOf('multi-label', [0.7, 0.5, 0.9]).classes).toEqual([0, 2]);
    expect(predictionOf('multi-label', [0.1, 0.2]).classes).toEqual([]);
    expect(explainedClass('multi-label', [0.7, 0.5, 0.9])).toBe(2);
    expect(explainedClass('binary-class', [0.4, 0.6])).toBe(1);
  });

  it('the validation loss of probabilities, per task', () => {
    expect(probabilityLoss('multi-class', Float32Array.from([0.5, 0.25, 0.25, 0.1, 0.8, 0.1]), Uint8Array.from([0, 1]), 3)).toBeCloseTo(-(Math.log(0.5) + Math.log(0.8)) / 2, 6);
    expect(probabilityLoss('multi-label', Float32Array.from([0.9, 0.2]), Uint8Array.from([1, 0]), 2)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 6);
  });

  it('loss options from a plan: class weights for single-label, pos_weight for multi-label', () => {
    const blood = split('bloodmnist', [0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 7]);
    const balanced = lossOptionsFor({ classWeights: 'balanced', labelSmoothing: 0.1 }, blood);
    expect(balanced).toMatchObject({ kind: 'cross-entropy', labelSmoothing: 0.1 });
    expect(balanced.kind === 'cross-entropy' && balanced.classWeights![0]).toBeCloseTo(12 / (8 * 3), 12);
    expect(() => lossOptionsFor({ posWeight: [1] }, blood)).toThrow(/classWeights/);
    expect(lossOptionsFor(undefined, split('chestmnist', new Array(28).fill(0), 14))).toEqual({ kind: 'binary-cross-entropy' });
  });

  it('refuses probabilities that cannot be right, as an error and never a display', () => {
    expect(() => checkProbabilities('binary-class', [0, 0], 2)).toThrow(NonFiniteOutputError);
    expect(() => checkProbabilities('multi-class', [Number.NaN, 1], 2)).toThrow(/probability NaN/);
    expect(() => checkProbabilities('multi-label', [0.2, 0.9, 0.9], 3)).not.toThrow();
  });
});
