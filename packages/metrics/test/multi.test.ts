import { describe, expect, it } from 'vitest';
import {
  argmax,
  evaluate,
  macroOvrAuc,
  multiclassAccuracy,
  multiclassConfusionMatrix,
  multilabelMeanAccuracy,
  multilabelMeanAuc,
  oneVsRestAuc,
  perLabelAccuracy,
  perLabelAuc,
} from '@medxfer/metrics';

describe('multi-class by hand', () => {
  const labels = [0, 1, 2, 2];
  const probs = [
    [0.7, 0.2, 0.1],
    [0.3, 0.3, 0.4],
    [0.1, 0.1, 0.8],
    [0.5, 0.5, 0],
  ];

  it('argmax takes the first of tied maxima', () => {
    expect(Array.from(argmax(probs))).toEqual([0, 2, 2, 0]);
  });

  it('accuracy and confusion matrix (rows true, columns predicted)', () => {
    expect(multiclassAccuracy(labels, probs)).toBe(0.5);
    expect(multiclassConfusionMatrix(labels, probs)).toEqual([
      [1, 0, 0],
      [0, 0, 1],
      [1, 0, 1],
    ]);
  });

  it('one-vs-rest AUC per class and its macro mean (MedMNIST)', () => {
    // class 0: positive 0.7 beats 0.3, 0.1, 0.5 → 1. class 1: positive 0.3 beats 0.2, 0.1, loses to 0.5 → 2/3.
    // class 2: positives 0.8, 0 vs negatives 0.1, 0.4 → 2 of 4 → 1/2.
    const aucs = oneVsRestAuc(labels, probs);
    expect(aucs).toHaveLength(3);
    [1, 2 / 3, 0.5].forEach((v, i) => expect(aucs[i]).toBeCloseTo(v, 15));
    expect(macroOvrAuc(labels, probs)).toBeCloseTo(13 / 18, 15);
  });

  it('a class absent from the labels makes its AUC, and the mean, NaN', () => {
    const aucs = oneVsRestAuc([0, 0, 1, 1], [
      [0.8, 0.1, 0.1],
      [0.6, 0.3, 0.1],
      [0.2, 0.7, 0.1],
      [0.3, 0.5, 0.2],
    ]);
    expect(aucs.slice(0, 2)).toEqual([1, 1]);
    expect(aucs[2]).toBeNaN();
    expect(evaluate('multi-class', [0, 0, 1, 1], { data: [0.8, 0.1, 0.1, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.3, 0.5, 0.2], columns: 3 }).auc).toBeNaN();
  });
});

describe('multi-label by hand', () => {
  const labels = [
    [1, 0],
    [0, 1],
    [1, 1],
    [0, 0],
  ];
  const scores = [
    [0.9, 0.2],
    [0.4, 0.6],
    [0.6, 0.5],
    [0.5, 0.7],
  ];

  it('per-label AUC and mean', () => {
    // label 0: positives 0.9, 0.6 beat negatives 0.4, 0.5 → 1. label 1: positives 0.6, 0.5 each beat 0.2, lose to 0.7 → 1/2.
    expect(perLabelAuc(labels, scores)).toEqual([1, 0.5]);
    expect(multilabelMeanAuc(labels, scores)).toBe(0.75);
  });

  it('per-label accuracy at score > threshold and mean', () => {
    // > 0.5: label 0 predicted [1,0,1,0] → 4/4; label 1 predicted [0,1,0,1] → 2/4 (0.5 is negative).
    expect(perLabelAccuracy(labels, scores)).toEqual([1, 0.5]);
    expect(multilabelMeanAccuracy(labels, scores)).toBe(0.75);
    // > 0.65: label 0 [1,0,0,0] → 3/4; label 1 [0,0,0,1] → 1/4.
    expect(perLabelAccuracy(labels, scores, 0.65)).toEqual([0.75, 0.25]);
    expect(evaluate('multi-label', labels, scores, { threshold: 0.65 }).acc).toBe(0.5);
  });

  it('a label with one class only has NaN AUC', () => {
    const aucs = perLabelAuc([[1, 0], [1, 1]], [[0.2, 0.1], [0.9, 0.8]]);
    expect(aucs[0]).toBeNaN();
    expect(aucs[1]).toBe(1);
  });
});
