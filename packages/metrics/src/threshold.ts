import { rocFromData, type RocPoints } from './roc.js';
import { binaryData, checkFinite, type BinaryData } from './validate.js';
import { MetricsError } from './errors.js';

/**
 * A point on the ROC curve. Like scikit-learn's ROC thresholds, `threshold` is meant with the
 * rule "positive iff `score >= threshold`" (pass `comparison: '>='` to {@link binaryMetrics} to
 * reproduce the rates). `sensitivity` = TPR and `specificity` = 1 − FPR at that rule.
 *
 * All three are `NaN` when only one class is present in the labels.
 */
export interface OperatingPoint {
  readonly threshold: number;
  readonly sensitivity: number;
  readonly specificity: number;
}

/** @internal */
export function youdenFromData(data: BinaryData): OperatingPoint {
  if (data.positives === 0 || data.negatives === 0) return { threshold: NaN, sensitivity: NaN, specificity: NaN };
  const roc = rocFromData(data);
  const { tp, fp } = roc;
  const P = data.positives;
  const N = data.negatives;
  // J = tp/P - fp/N, compared exactly as the integer tp·N - fp·P (rounding cannot break ties).
  let best = 0;
  for (let k = 1; k < tp.length; k++) if (tp[k]! * N - fp[k]! * P > tp[best]! * N - fp[best]! * P) best = k;
  return pointAt(data, roc, best);
}

function pointAt(data: BinaryData, roc: RocPoints, k: number): OperatingPoint {
  // Rates from the counts (tn / negatives rather than 1 - fpr, which rounds differently).
  return {
    threshold: roc.thresholds[k]!,
    sensitivity: roc.tp[k]! / data.positives,
    specificity: (data.negatives - roc.fp[k]!) / data.negatives,
  };
}

/**
 * The threshold that maximises Youden's J = sensitivity + specificity − 1, searched over the
 * thresholds of {@link rocCurve} (default options), as `thresholds[numpy.argmax(tpr - fpr)]`.
 * J is compared exactly (from the counts), and of exactly tied points the first one, with the
 * highest threshold (the most specific), wins; `numpy.argmax` on the rounded rates can pick
 * another of exactly tied points. See {@link OperatingPoint} for the rule and the one-class case.
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * non-finite score.
 */
export function youdenThreshold(labels: ArrayLike<number>, scores: ArrayLike<number>): OperatingPoint {
  return youdenFromData(binaryData('youdenThreshold', labels, scores));
}

/**
 * The highest threshold whose sensitivity reaches `target` (so the one with the best
 * specificity among those that do), searched over every distinct score (the ROC curve without
 * dropped points). A `target` of 0 gives the artificial threshold above every score (highest
 * score + 1). See {@link OperatingPoint} for the rule and the one-class case.
 *
 * @param target the sensitivity wanted, in [0, 1] (e.g. 0.95 for a screening test).
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a
 * non-finite score, or `target` outside [0, 1].
 */
export function thresholdForSensitivity(labels: ArrayLike<number>, scores: ArrayLike<number>, target: number): OperatingPoint {
  checkFinite('thresholdForSensitivity', 'target', target);
  if (target < 0 || target > 1) {
    throw new MetricsError('INVALID_OPTION', `thresholdForSensitivity: target must be a sensitivity in [0, 1], got ${target}.`);
  }
  const data = binaryData('thresholdForSensitivity', labels, scores);
  if (data.positives === 0 || data.negatives === 0) return { threshold: NaN, sensitivity: NaN, specificity: NaN };
  const roc = rocFromData(data, { dropIntermediate: false });
  let k = 0;
  while (roc.tpr[k]! < target) k++; // terminates: the last point has tpr = 1
  return pointAt(data, roc, k);
}
