import { describe, expect, it } from 'vitest';
import { brierScore, DEFAULT_LOG_LOSS_EPS, expectedCalibrationError, logLoss, reliabilityDiagram } from '@medxfer/metrics';

describe('Brier score and log loss by hand', () => {
  it('Brier = mean squared error of the probability', () => {
    // (0.2² + 0.4² + 0.7² + 0²) / 4 = 0.69 / 4
    expect(brierScore([1, 0, 1, 0], [0.8, 0.4, 0.3, 0])).toBeCloseTo(0.1725, 15);
    expect(brierScore([1, 0], [1, 0])).toBe(0);
    expect(brierScore([1, 0], [0, 1])).toBe(1);
  });

  it('log loss clips at eps (default 1e-7): a confident miss costs −ln(eps)', () => {
    expect(DEFAULT_LOG_LOSS_EPS).toBe(1e-7);
    const labels = [1, 0, 1];
    const scores = [0.8, 0.4, 0];
    expect(logLoss(labels, scores)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6) + Math.log(1e-7)) / 3, 12);
    expect(logLoss(labels, scores, { eps: 1e-15 })).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6) + Math.log(1e-15)) / 3, 9);
    // Without extreme scores, eps does not matter.
    expect(logLoss([1, 0], [0.8, 0.4], { eps: 1e-15 })).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 15);
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(-Math.log(1 - 1e-7), 15);
  });
});

describe('ECE and reliability diagram', () => {
  it('bins by numpy.digitize on linspace(0, 1, 11)[1:-1]: edge k is k·0.1 in floating point', () => {
    // 0.1 == 1·0.1 → bin 1; 0.3 < 3·0.1 = 0.30000000000000004 → bin 2; 0.6 < 0.6000000000000001 → bin 5;
    // 0.7 < 0.7000000000000001 → bin 6; 0.8 == 8·0.1 → bin 8; 1 → last bin.
    const bins = reliabilityDiagram([0, 0, 0, 0, 0, 0, 0], [0, 0.1, 0.3, 0.6, 0.7, 0.8, 1]);
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.count)).toEqual([1, 1, 1, 0, 0, 1, 1, 0, 1, 1]);
    expect(bins[3]!.lower).toBe(0.30000000000000004);
    expect(bins[9]!.upper).toBe(1);
    expect(bins[3]!.meanScore).toBeNaN();
    expect(bins[3]!.fractionPositive).toBeNaN();
  });

  it('ECE = Σ (n_k / n) |mean label − mean score|', () => {
    // bin 0: {0.05 → 0} gap 0.05; bin 1: {0.15 → 0} gap 0.15; bin 2: {0.3 → 1, 0.3 → 0} gap |0.5 − 0.3|;
    // bin 9: {0.95 → 1, 1 → 1} gap 0.025. (0.05 + 0.15 + 2·0.2 + 2·0.025) / 6 = 0.65 / 6
    const labels = [0, 0, 1, 0, 1, 1];
    const scores = [0.05, 0.15, 0.3, 0.3, 0.95, 1];
    expect(expectedCalibrationError(labels, scores)).toBeCloseTo(0.65 / 6, 15);
    const bins = reliabilityDiagram(labels, scores);
    expect(bins[2]).toMatchObject({ count: 2, fractionPositive: 0.5, meanScore: 0.3 });
    expect(bins[2]!.gap).toBeCloseTo(0.2, 15);
    // Two bins over [0, 1): edges 0, 0.5, 1: {0.05, 0.15, 0.3, 0.3} and {0.95, 1}.
    // |1/4 − 0.2| · 4/6 + |1 − 0.975| · 2/6
    expect(expectedCalibrationError(labels, scores, { bins: 2 })).toBeCloseTo((0.05 * 4) / 6 + (0.025 * 2) / 6, 15);
  });

  it('a perfectly calibrated bin contributes nothing', () => {
    expect(expectedCalibrationError([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0);
  });
});
