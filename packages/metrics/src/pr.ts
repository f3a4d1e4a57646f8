import { clfCurve } from './ranking.js';
import { binaryData, type BinaryData } from './validate.js';

/**
 * A precision-recall curve as scikit-learn's `precision_recall_curve` returns it (1.2, no
 * dropped points): `precision[k]` and `recall[k]` are measured calling a sample positive iff
 * `score >= thresholds[k]`, thresholds increasing. `precision` and `recall` have one more entry
 * than `thresholds`: the final point (precision 1, recall 0) has no threshold.
 *
 * When labels hold no positives, every `recall` but the last is `NaN` (scikit-learn sets it to 1
 * with a warning).
 */
export interface PrecisionRecallCurve {
  readonly precision: number[];
  readonly recall: number[];
  readonly thresholds: number[];
}

/** @internal */
export function prFromData(data: BinaryData): PrecisionRecallCurve {
  const { fps, tps, thresholds } = clfCurve(data);
  const m = tps.length;
  const totalPos = tps[m - 1]!;
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let k = m - 1; k >= 0; k--) {
    const predicted = tps[k]! + fps[k]!; // always >= 1: each point includes at least one sample
    precision.push(tps[k]! / predicted);
    recall.push(totalPos > 0 ? tps[k]! / totalPos : NaN);
    thr.push(thresholds[k]!);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}

/**
 * The precision-recall curve of binary `labels` (0/1) against `scores` (finite, higher = more
 * positive). See {@link PrecisionRecallCurve}.
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * non-finite score.
 */
export function precisionRecallCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): PrecisionRecallCurve {
  return prFromData(binaryData('precisionRecallCurve', labels, scores));
}

/** @internal */
export function averagePrecisionFromData(data: BinaryData): number {
  if (data.positives === 0) return NaN;
  const { precision, recall } = prFromData(data);
  // -sum(diff(recall) * precision[:-1])
  let ap = 0;
  for (let k = 0; k + 1 < recall.length; k++) ap -= (recall[k + 1]! - recall[k]!) * precision[k]!;
  return ap;
}

/**
 * Average precision, as scikit-learn's `average_precision_score`: the step-wise area under the
 * precision-recall curve, `sum_k (R_k - R_{k-1}) * P_k` over thresholds from high to low (no
 * interpolation). Tied scores enter together.
 *
 * @returns AP in [0, 1], or `NaN` when `labels` holds no positive (undefined; scikit-learn
 * warns and returns a meaningless value). With no negatives it is 1.
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * non-finite score.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return averagePrecisionFromData(binaryData('averagePrecision', labels, scores));
}
