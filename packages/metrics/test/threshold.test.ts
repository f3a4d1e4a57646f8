import { describe, expect, it } from 'vitest';
import { binaryMetrics, thresholdForSensitivity, youdenThreshold } from '@medxfer/metrics';

// Full ROC curve: thresholds 1.9, 0.9, 0.6, 0.3, 0.1 with tpr 0, 1/3, 2/3, 1, 1 and fpr 0, 1/3, 1/3, 2/3, 1.
const labels = [1, 0, 1, 0, 1, 0];
const scores = [0.9, 0.9, 0.6, 0.3, 0.3, 0.1];

describe('operating points by hand', () => {
  it("Youden's J: J = 0, 0, 1/3, 1/3, 0: of the exact tie at 0.6 and 0.3 the higher threshold wins", () => {
    expect(youdenThreshold(labels, scores)).toEqual({ threshold: 0.6, sensitivity: 2 / 3, specificity: 2 / 3 });
  });

  it("the threshold reproduces its rates with comparison '>='", () => {
    const y = youdenThreshold(labels, scores);
    const m = binaryMetrics(labels, scores, { threshold: y.threshold, comparison: '>=' });
    expect(m.sensitivity).toBe(y.sensitivity);
    expect(m.specificity).toBe(y.specificity);
  });

  it('threshold for a target sensitivity: highest threshold that reaches it', () => {
    expect(thresholdForSensitivity(labels, scores, 1)).toEqual({ threshold: 0.3, sensitivity: 1, specificity: 1 / 3 });
    expect(thresholdForSensitivity(labels, scores, 0.5)).toEqual({ threshold: 0.6, sensitivity: 2 / 3, specificity: 2 / 3 });
    expect(thresholdForSensitivity(labels, scores, 1 / 3)).toEqual({ threshold: 0.9, sensitivity: 1 / 3, specificity: 2 / 3 });
    expect(thresholdForSensitivity(labels, scores, 0)).toEqual({ threshold: 1.9, sensitivity: 0, specificity: 1 });
  });

  it('one class only: NaN operating point', () => {
    const nan = { threshold: NaN, sensitivity: NaN, specificity: NaN };
    expect(youdenThreshold([1, 1], [0.2, 0.8])).toEqual(nan);
    expect(thresholdForSensitivity([0, 0], [0.2, 0.8], 0.9)).toEqual(nan);
  });
});
