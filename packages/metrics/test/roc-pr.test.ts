import { describe, expect, it } from 'vitest';
import { averagePrecision, precisionRecallCurve, rocAuc, rocCurve, trapezoidArea } from '@medxfer/metrics';
import { lcg, pairwiseAuc } from './helpers.js';

// Example with ties: positives score 0.9, 0.6, 0.3; negatives 0.9, 0.3, 0.1.
const labels = [1, 0, 1, 0, 1, 0];
const scores = [0.9, 0.9, 0.6, 0.3, 0.3, 0.1];

describe('ROC curve and AUC by hand', () => {
  it('AUC with tied scores counts each tie as one half', () => {
    // Pairs (pos, neg): 0.9 vs {0.9 tie, 0.3 win, 0.1 win} = 2.5; 0.6 vs {lose, win, win} = 2;
    // 0.3 vs {lose, 0.3 tie, 0.1 win} = 1.5. Total 6 of 9 pairs.
    expect(rocAuc(labels, scores)).toBeCloseTo(6 / 9, 15);
  });

  it('curve: tied scores form one point; first threshold is max + 1', () => {
    // Thresholds 0.9 (tp 1, fp 1), 0.6 (2, 1), 0.3 (3, 2), 0.1 (3, 3); none collinear.
    const roc = rocCurve(labels, scores);
    expect(roc.thresholds).toEqual([1.9, 0.9, 0.6, 0.3, 0.1]);
    expect(roc.fpr).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 1]);
    expect(roc.tpr).toEqual([0, 1 / 3, 2 / 3, 1, 1]);
    // Trapezoids: 1/3·(0+1/3)/2 + 0 + 1/3·(2/3+1)/2 + 1/3·(1+1)/2 = 1/18 + 5/18 + 6/18.
    expect(trapezoidArea(roc.fpr, roc.tpr)).toBeCloseTo(12 / 18, 15);
    expect(rocCurve(labels, scores, { firstThreshold: 'infinity' }).thresholds[0]).toBe(Infinity);
  });

  it('drops collinear points like drop_intermediate=True, keeps them with dropIntermediate false', () => {
    // Full curve (fp, tp): (0,1) at 0.8, (0,2) at 0.7, (1,2) at 0.3, (2,2) at 0.2: the 0.3 point lies
    // on the line from (0,2) to (2,2) and is dropped.
    const l = [1, 1, 0, 0];
    const s = [0.8, 0.7, 0.3, 0.2];
    expect(rocCurve(l, s)).toEqual({ fpr: [0, 0, 0, 1], tpr: [0, 0.5, 1, 1], thresholds: [1.8, 0.8, 0.7, 0.2] });
    expect(rocCurve(l, s, { dropIntermediate: false })).toEqual({
      fpr: [0, 0, 0, 0.5, 1],
      tpr: [0, 0.5, 1, 1, 1],
      thresholds: [1.8, 0.8, 0.7, 0.3, 0.2],
    });
    expect(rocAuc(l, s)).toBe(1);
  });

  it('order of samples and of tied samples does not matter', () => {
    const perm = [5, 3, 1, 0, 4, 2];
    expect(rocCurve(perm.map((i) => labels[i]!), perm.map((i) => scores[i]!))).toEqual(rocCurve(labels, scores));
  });

  it('AUC equals the pairwise definition on random data with many ties', () => {
    const rnd = lcg(42);
    for (let trial = 0; trial < 20; trial++) {
      const n = 20 + Math.floor(rnd() * 200);
      const l = Array.from({ length: n }, () => (rnd() < 0.3 ? 1 : 0));
      l[0] = 1;
      l[1] = 0;
      const s = l.map((y) => Math.round((rnd() + 0.3 * y) * 10) / 10);
      expect(Math.abs(rocAuc(l, s) - pairwiseAuc(l, s))).toBeLessThan(1e-12);
    }
  });

  it('is invariant to a monotone transform of the scores (logits work as well as probabilities)', () => {
    const logits = scores.map((p) => Math.log(p / (1 - p)));
    expect(rocAuc(labels, logits)).toBeCloseTo(rocAuc(labels, scores), 15);
  });

  it('one class only: AUC is NaN, the missing rate is NaN along the curve', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.5])).toBeNaN();
    const roc = rocCurve([1, 1, 1], [0.2, 0.5, 0.9]);
    expect(roc.fpr.every(Number.isNaN)).toBe(true);
    // (fp, tp) = (0,1), (0,2), (0,3): the middle point is collinear and dropped.
    expect(roc.tpr).toEqual([0, 1 / 3, 1]);
  });

  it('perfect and reversed rankings give 1 and 0', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([1, 0], [0.5, 0.5])).toBe(0.5);
  });
});

describe('precision-recall curve and average precision by hand', () => {
  it('curve as sklearn: reversed, with the (precision 1, recall 0) end point', () => {
    // From high to low threshold: 0.9 → P 1/2 R 1/3; 0.6 → P 2/3 R 2/3; 0.3 → P 3/5 R 1; 0.1 → P 1/2 R 1.
    const pr = precisionRecallCurve(labels, scores);
    expect(pr.thresholds).toEqual([0.1, 0.3, 0.6, 0.9]);
    expect(pr.precision).toEqual([1 / 2, 3 / 5, 2 / 3, 1 / 2, 1]);
    expect(pr.recall).toEqual([1, 1, 2 / 3, 1 / 3, 0]);
  });

  it('AP = Σ (R_k − R_{k−1}) P_k, no interpolation', () => {
    // 1/3·1/2 + 1/3·2/3 + 1/3·3/5 + 0·1/2 = 53/90
    expect(averagePrecision(labels, scores)).toBeCloseTo(53 / 90, 15);
  });

  it('AP equals the mean over positives of the precision at their score, on random data with ties', () => {
    const rnd = lcg(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 10 + Math.floor(rnd() * 150);
      const l = Array.from({ length: n }, () => (rnd() < 0.4 ? 1 : 0));
      l[0] = 1;
      const s = l.map((y) => Math.round((rnd() + 0.4 * y) * 20) / 20);
      let sum = 0;
      let positives = 0;
      for (let i = 0; i < n; i++) {
        if (l[i] !== 1) continue;
        positives++;
        let tp = 0;
        let all = 0;
        for (let j = 0; j < n; j++) {
          if (s[j]! >= s[i]!) {
            all++;
            tp += l[j]!;
          }
        }
        sum += tp / all;
      }
      expect(Math.abs(averagePrecision(l, s) - sum / positives)).toBeLessThan(1e-12);
    }
  });

  it('degenerate: no positives → NaN; no negatives → 1', () => {
    expect(averagePrecision([0, 0, 0], [0.1, 0.5, 0.9])).toBeNaN();
    expect(averagePrecision([1, 1], [0.1, 0.9])).toBe(1);
    expect(precisionRecallCurve([0, 0], [0.1, 0.9]).recall.slice(0, -1).every(Number.isNaN)).toBe(true);
  });
});
