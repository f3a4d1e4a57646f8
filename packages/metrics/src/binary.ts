import { MetricsError } from './errors.js';
import { binaryData, checkFinite, type BinaryData } from './validate.js';

/** Counts of a binary confusion matrix; scikit-learn's `[[tn, fp], [fn, tp]]`. */
export interface BinaryConfusion {
  /** Negatives predicted negative. */
  readonly tn: number;
  /** Negatives predicted positive. */
  readonly fp: number;
  /** Positives predicted negative. */
  readonly fn: number;
  /** Positives predicted positive. */
  readonly tp: number;
}

/** How a score becomes a predicted class. */
export interface ThresholdOptions {
  /** Decision threshold (default 0.5). */
  readonly threshold?: number;
  /**
   * `'>'` (default): positive iff `score > threshold`, MedMNIST's rule.
   * `'>='`: positive iff `score >= threshold`, the rule behind ROC-curve thresholds (use it with
   * a threshold from {@link rocCurve}, {@link youdenThreshold} or {@link thresholdForSensitivity}).
   */
  readonly comparison?: '>' | '>=';
}

/**
 * Every metric of a binary decision at one threshold.
 *
 * A ratio whose denominator is 0 is undefined and is `NaN` (scikit-learn returns 0 with a
 * warning for precision, recall, F1 and MCC): e.g. `sensitivity` with no positive labels,
 * `precision` with no positive predictions.
 */
export interface ThresholdMetrics {
  /** (tp + tn) / n. */
  readonly accuracy: number;
  /** (sensitivity + specificity) / 2; `NaN` if either is undefined (only one class present). */
  readonly balancedAccuracy: number;
  /** Recall, true positive rate: tp / (tp + fn); `NaN` with no positive labels. */
  readonly sensitivity: number;
  /** True negative rate: tn / (tn + fp); `NaN` with no negative labels. */
  readonly specificity: number;
  /** Positive predictive value (PPV): tp / (tp + fp); `NaN` with no positive predictions. */
  readonly precision: number;
  /** Negative predictive value: tn / (tn + fn); `NaN` with no negative predictions. */
  readonly npv: number;
  /** Harmonic mean of precision and recall, 2tp / (2tp + fp + fn); `NaN` when tp + fp + fn = 0. */
  readonly f1: number;
  /**
   * Matthews correlation coefficient, (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn)), in
   * [−1, 1]; `NaN` when any of the four sums is 0 (scikit-learn returns 0).
   */
  readonly mcc: number;
  /**
   * Cohen's kappa between labels and predictions, (p_o − p_e) / (1 − p_e) with p_o the
   * accuracy and p_e the agreement expected by chance from the marginals; `NaN` when p_e = 1.
   */
  readonly cohensKappa: number;
  /** The counts the metrics come from. */
  readonly confusion: BinaryConfusion;
}

/** @internal */
export function thresholdOf(fn: string, options: ThresholdOptions): { threshold: number; inclusive: boolean } {
  const threshold = checkFinite(fn, 'threshold', options.threshold ?? 0.5);
  const comparison = options.comparison ?? '>';
  if (comparison !== '>' && comparison !== '>=') {
    throw new MetricsError('INVALID_OPTION', `${fn}: comparison must be '>' or '>=', got ${JSON.stringify(comparison)}.`);
  }
  return { threshold, inclusive: comparison === '>=' };
}

/** @internal */
export function confusionFromData(data: BinaryData, threshold: number, inclusive: boolean): BinaryConfusion {
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < data.n; i++) {
    const s = data.scores[i]!;
    const predicted = inclusive ? s >= threshold : s > threshold;
    if (data.labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  return { tn, fp, fn, tp };
}

/**
 * The binary confusion matrix of 0/1 `labels` against `scores` thresholded as `options` says
 * (default: positive iff `score > 0.5`, MedMNIST's rule).
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a
 * non-finite score or threshold.
 */
export function binaryConfusion(labels: ArrayLike<number>, scores: ArrayLike<number>, options: ThresholdOptions = {}): BinaryConfusion {
  const { threshold, inclusive } = thresholdOf('binaryConfusion', options);
  return confusionFromData(binaryData('binaryConfusion', labels, scores), threshold, inclusive);
}

const ratio = (num: number, den: number): number => (den === 0 ? NaN : num / den);

/**
 * The metrics of {@link ThresholdMetrics} from confusion counts.
 *
 * @throws {MetricsError} if a count is not a non-negative integer, or all are 0.
 */
export function metricsFromConfusion(confusion: BinaryConfusion): ThresholdMetrics {
  const { tn, fp, fn, tp } = confusion;
  for (const [name, v] of Object.entries({ tn, fp, fn, tp })) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new MetricsError('INVALID_OPTION', `metricsFromConfusion: ${name} must be a non-negative integer count, got ${String(v)}.`);
    }
  }
  const n = tn + fp + fn + tp;
  if (n === 0) throw new MetricsError('EMPTY_INPUT', 'metricsFromConfusion: all counts are 0; a metric needs at least one sample.');
  const sensitivity = ratio(tp, tp + fn);
  const specificity = ratio(tn, tn + fp);
  const accuracy = (tp + tn) / n;
  const mccDen = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
  const expected = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n);
  return {
    accuracy,
    balancedAccuracy: (sensitivity + specificity) / 2,
    sensitivity,
    specificity,
    precision: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    mcc: mccDen === 0 ? NaN : (tp * tn - fp * fn) / Math.sqrt(mccDen),
    cohensKappa: expected === 1 ? NaN : (accuracy - expected) / (1 - expected),
    confusion: { tn, fp, fn, tp },
  };
}

/**
 * Every threshold metric (see {@link ThresholdMetrics}) of 0/1 `labels` against `scores`,
 * predicted positive iff `score > threshold` (default 0.5, MedMNIST's rule; see
 * {@link ThresholdOptions}).
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a
 * non-finite score or threshold.
 */
export function binaryMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, options: ThresholdOptions = {}): ThresholdMetrics {
  const { threshold, inclusive } = thresholdOf('binaryMetrics', options);
  return metricsFromConfusion(confusionFromData(binaryData('binaryMetrics', labels, scores), threshold, inclusive));
}
