import { describe, expect, it } from 'vitest';
import { binaryConfusion, binaryMetrics, metricsFromConfusion } from '@medxfer/metrics';

// At score > 0.5: tp = 2 (0.9, 0.6), fn = 2 (0.5, 0.3), fp = 1 (0.7), tn = 3 (0.2, 0.5, 0.1).
const labels = [1, 1, 1, 0, 0, 0, 0, 1];
const scores = [0.9, 0.6, 0.5, 0.7, 0.2, 0.5, 0.1, 0.3];

describe('threshold metrics by hand', () => {
  it('confusion at score > 0.5 (MedMNIST: 0.5 itself is negative)', () => {
    expect(binaryConfusion(labels, scores)).toEqual({ tn: 3, fp: 1, fn: 2, tp: 2 });
  });

  it("comparison '>=' counts scores equal to the threshold as positive", () => {
    expect(binaryConfusion(labels, scores, { comparison: '>=' })).toEqual({ tn: 2, fp: 2, fn: 1, tp: 3 });
    expect(binaryConfusion(labels, scores, { threshold: 0.65 })).toEqual({ tn: 3, fp: 1, fn: 3, tp: 1 });
  });

  it('every metric from tn=3 fp=1 fn=2 tp=2', () => {
    const m = binaryMetrics(labels, scores);
    expect(m.accuracy).toBe(5 / 8);
    expect(m.sensitivity).toBe(2 / 4);
    expect(m.specificity).toBe(3 / 4);
    expect(m.balancedAccuracy).toBe(0.625);
    expect(m.precision).toBe(2 / 3);
    expect(m.npv).toBe(3 / 5);
    expect(m.f1).toBeCloseTo(4 / 7, 15); // 2·2 / (2·2 + 1 + 2)
    expect(m.mcc).toBeCloseTo(4 / Math.sqrt(240), 15); // (2·3 − 1·2) / √(3·4·4·5)
    // p_o = 5/8, p_e = (3·4 + 5·4) / 64 = 1/2 → (5/8 − 1/2) / (1/2) = 1/4
    expect(m.cohensKappa).toBeCloseTo(0.25, 15);
    expect(metricsFromConfusion({ tn: 3, fp: 1, fn: 2, tp: 2 })).toEqual(m);
  });

  it('perfect and inverted predictions', () => {
    const perfect = binaryMetrics([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8]);
    expect([perfect.accuracy, perfect.mcc, perfect.cohensKappa, perfect.f1]).toEqual([1, 1, 1, 1]);
    const inverted = binaryMetrics([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2]);
    expect(inverted.accuracy).toBe(0);
    expect(inverted.mcc).toBe(-1);
    expect(inverted.cohensKappa).toBe(-1);
  });

  it('undefined ratios are NaN, defined ones are not', () => {
    // No positive labels: sensitivity, balanced accuracy, MCC undefined; no positive predictions: precision.
    const m = binaryMetrics([0, 0, 0], [0.1, 0.2, 0.3]);
    expect(m.confusion).toEqual({ tn: 3, fp: 0, fn: 0, tp: 0 });
    expect(m.accuracy).toBe(1);
    expect(m.specificity).toBe(1);
    expect(m.npv).toBe(1);
    expect(m.sensitivity).toBeNaN();
    expect(m.balancedAccuracy).toBeNaN();
    expect(m.precision).toBeNaN();
    expect(m.f1).toBeNaN();
    expect(m.mcc).toBeNaN();
    expect(m.cohensKappa).toBeNaN(); // chance agreement is 1
    // Positives present but never predicted: precision NaN, F1 defined (0).
    const none = binaryMetrics([1, 0, 1], [0.1, 0.2, 0.3]);
    expect(none.precision).toBeNaN();
    expect(none.f1).toBe(0);
    expect(none.sensitivity).toBe(0);
    expect(none.mcc).toBeNaN();
  });
});
