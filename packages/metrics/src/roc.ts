import { MetricsError } from './errors.js';
import { clfCurve } from './ranking.js';
import { binaryData, type BinaryData } from './validate.js';

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /**
   * Drop points that lie on a straight line between their neighbours (scikit-learn's
   * `drop_intermediate`; default `true`, as in `roc_curve`). The area is the same either way.
   */
  readonly dropIntermediate?: boolean;
  /**
   * The threshold given to the added (0, 0) point at the start of the curve:
   * - `'max-plus-one'` (default): the highest score + 1, as scikit-learn up to 1.2 returns
   *   (`thresholds[0] + 1`) and as the reference fixture holds;
   * - `'infinity'`: `Infinity`, as scikit-learn 1.3 and later return.
   */
  readonly firstThreshold?: 'max-plus-one' | 'infinity';
}

/**
 * A ROC curve as scikit-learn's `roc_curve` returns it: point `k` is the false/true positive
 * rate when a sample is called positive iff `score >= thresholds[k]`. Thresholds decrease;
 * the first point is (0, 0) with an artificial threshold above every score (see
 * {@link RocCurveOptions.firstThreshold}), the last is (1, 1) at the lowest score.
 *
 * When labels hold no negatives, every `fpr` is `NaN`; when they hold no positives, every
 * `tpr` is `NaN` (scikit-learn does the same, with a warning).
 */
export interface RocCurve {
  readonly fpr: number[];
  readonly tpr: number[];
  readonly thresholds: number[];
}

/** @internal A ROC curve with the counts behind each point. */
export interface RocPoints extends RocCurve {
  readonly fp: number[];
  readonly tp: number[];
}

/** @internal ROC curve of already-validated data. */
export function rocFromData(data: BinaryData, options: RocCurveOptions = {}): RocPoints {
  const { dropIntermediate = true, firstThreshold = 'max-plus-one' } = options;
  if (firstThreshold !== 'max-plus-one' && firstThreshold !== 'infinity') {
    throw new MetricsError(
      'INVALID_OPTION',
      `rocCurve: firstThreshold must be 'max-plus-one' or 'infinity', got ${JSON.stringify(firstThreshold)}.`,
    );
  }
  const { fps, tps, thresholds } = clfCurve(data);
  let keep: number[];
  const m = fps.length;
  if (dropIntermediate && m > 2) {
    // np.r_[True, logical_or(diff(fps, 2), diff(tps, 2)), True]
    keep = [0];
    for (let k = 1; k < m - 1; k++) {
      const d2f = fps[k + 1]! - 2 * fps[k]! + fps[k - 1]!;
      const d2t = tps[k + 1]! - 2 * tps[k]! + tps[k - 1]!;
      if (d2f !== 0 || d2t !== 0) keep.push(k);
    }
    keep.push(m - 1);
  } else {
    keep = Array.from({ length: m }, (_, k) => k);
  }
  const totalNeg = fps[m - 1]!;
  const totalPos = tps[m - 1]!;
  const fpr = [0];
  const tpr = [0];
  const thr = [firstThreshold === 'infinity' ? Infinity : thresholds[0]! + 1];
  for (const k of keep) {
    fpr.push(fps[k]!);
    tpr.push(tps[k]!);
    thr.push(thresholds[k]!);
  }
  const fp = fpr.slice();
  const tp = tpr.slice();
  for (let k = 0; k < fpr.length; k++) {
    fpr[k] = totalNeg > 0 ? fpr[k]! / totalNeg : NaN;
    tpr[k] = totalPos > 0 ? tpr[k]! / totalPos : NaN;
  }
  return { fpr, tpr, thresholds: thr, fp, tp };
}

/**
 * The ROC curve of binary `labels` (0/1) against `scores` (any finite numbers, higher = more
 * positive), with scikit-learn's tie handling (tied scores form one point). See {@link RocCurve}.
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * non-finite score.
 */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>, options?: RocCurveOptions): RocCurve {
  const { fpr, tpr, thresholds } = rocFromData(binaryData('rocCurve', labels, scores), options);
  return { fpr, tpr, thresholds };
}

/**
 * Area under a piecewise-linear curve by the trapezoidal rule (`numpy.trapz(y, x)`):
 * `sum_k (x[k+1] - x[k]) * (y[k] + y[k+1]) / 2`. `x` must be monotonic for this to be an area.
 *
 * @throws {MetricsError} if `x` and `y` differ in length.
 */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) {
    throw new MetricsError('LENGTH_MISMATCH', `trapezoidArea: x has ${x.length} points but y has ${y.length}; pass one y per x.`);
  }
  let area = 0;
  for (let k = 0; k + 1 < x.length; k++) area += ((x[k + 1]! - x[k]!) * (y[k]! + y[k + 1]!)) / 2;
  return area;
}

/** @internal */
export function rocAucFromData(data: BinaryData): number {
  if (data.positives === 0 || data.negatives === 0) return NaN;
  const { fpr, tpr } = rocFromData(data);
  return trapezoidArea(fpr, tpr);
}

/**
 * Area under the ROC curve, as scikit-learn's `roc_auc_score` for binary labels: the
 * trapezoidal area under {@link rocCurve}, which equals the probability that a random positive
 * scores above a random negative, counting ties as one half.
 *
 * @returns the AUC in [0, 1], or `NaN` when only one class is present in `labels` (the AUC is
 * undefined; scikit-learn raises instead).
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * non-finite score.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return rocAucFromData(binaryData('rocAuc', labels, scores));
}
