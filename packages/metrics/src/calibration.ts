import { MetricsError } from './errors.js';
import { binaryData, checkInteger, checkOpenRange, type BinaryData } from './validate.js';

/**
 * Brier score: mean squared difference between the predicted probability and the 0/1 label,
 * `mean((p - y)^2)`, in [0, 1], lower is better (scikit-learn's `brier_score_loss`).
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, or a
 * score that is not a probability in [0, 1].
 */
export function brierScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return brierFromData(binaryData('brierScore', labels, scores, true));
}

/** @internal */
export function brierFromData(data: BinaryData): number {
  let sum = 0;
  for (let i = 0; i < data.n; i++) {
    const d = data.labels[i]! - data.scores[i]!;
    sum += d * d;
  }
  return sum / data.n;
}

/** Options of {@link logLoss}. */
export interface LogLossOptions {
  /**
   * Probabilities are clipped to `[eps, 1 - eps]` so that a confident wrong prediction costs
   * `-ln(eps)` instead of infinity. Default `1e-7`, the value the reference fixture was made
   * with (and Keras' / TensorFlow.js' epsilon). Pass `1e-15` for scikit-learn's historical
   * default, or `Number.EPSILON` for scikit-learn's `eps="auto"` on float64.
   */
  readonly eps?: number;
}

/** Default clipping of {@link logLoss}. */
export const DEFAULT_LOG_LOSS_EPS = 1e-7;

/** @internal */
export function logLossFromData(data: BinaryData, eps: number): number {
  let sum = 0;
  for (let i = 0; i < data.n; i++) {
    // As scikit-learn: clip p, form the two-column [1 - p, p], renormalise, take -log of the
    // label's column.
    let p = Math.min(Math.max(data.scores[i]!, eps), 1 - eps);
    let q = 1 - p;
    const total = q + p;
    p /= total;
    q /= total;
    sum -= data.labels[i] === 1 ? Math.log(p) : Math.log(q);
  }
  return sum / data.n;
}

/**
 * Log loss (binary cross-entropy, natural log), `-mean(y ln p + (1 - y) ln(1 - p))`, with `p`
 * clipped to `[eps, 1 - eps]` (see {@link LogLossOptions}), as scikit-learn's `log_loss`.
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a score
 * that is not a probability in [0, 1], or `eps` outside (0, 0.5).
 */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>, options: LogLossOptions = {}): number {
  const eps = checkOpenRange('logLoss', 'eps', options.eps ?? DEFAULT_LOG_LOSS_EPS, 0, 0.5);
  return logLossFromData(binaryData('logLoss', labels, scores, true), eps);
}

/** Options of {@link expectedCalibrationError} and {@link reliabilityDiagram}. */
export interface CalibrationOptions {
  /** Number of equal-width bins over [0, 1] (default 10). */
  readonly bins?: number;
}

/**
 * One bin of a reliability diagram. Bin `k` of `B` holds the scores `p` with
 * `edge(k) <= p < edge(k + 1)`, where `edge(k) = k * (1 / B)` as `numpy.linspace(0, 1, B + 1)`
 * computes it (so the 0.3 edge is 0.30000000000000004); the last bin also holds `p = 1`.
 */
export interface ReliabilityBin {
  /** Lower edge (inclusive). */
  readonly lower: number;
  /** Upper edge (exclusive, except 1 for the last bin). */
  readonly upper: number;
  /** Number of samples in the bin. */
  readonly count: number;
  /** Mean predicted probability in the bin ("confidence"); `NaN` for an empty bin. */
  readonly meanScore: number;
  /** Fraction of positive labels in the bin (observed frequency); `NaN` for an empty bin. */
  readonly fractionPositive: number;
  /** `|fractionPositive - meanScore|`; `NaN` for an empty bin. */
  readonly gap: number;
}

/** @internal Bin edges as numpy.linspace(0, 1, bins + 1). */
export function binEdges(bins: number): number[] {
  const step = 1 / bins;
  const edges: number[] = [];
  for (let k = 0; k < bins; k++) edges.push(k * step);
  edges.push(1);
  return edges;
}

/** @internal */
export function reliabilityFromData(data: BinaryData, bins: number): ReliabilityBin[] {
  const edges = binEdges(bins);
  const count = new Float64Array(bins);
  const sumScore = new Float64Array(bins);
  const sumLabel = new Float64Array(bins);
  for (let i = 0; i < data.n; i++) {
    const p = data.scores[i]!;
    // numpy.digitize(p, edges[1:-1]): the number of inner edges <= p.
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid + 1]! <= p) lo = mid + 1;
      else hi = mid;
    }
    count[lo]++;
    sumScore[lo] += p;
    sumLabel[lo] += data.labels[i]!;
  }
  const out: ReliabilityBin[] = [];
  for (let k = 0; k < bins; k++) {
    const c = count[k]!;
    const meanScore = c > 0 ? sumScore[k]! / c : NaN;
    const fractionPositive = c > 0 ? sumLabel[k]! / c : NaN;
    out.push({ lower: edges[k]!, upper: edges[k + 1]!, count: c, meanScore, fractionPositive, gap: Math.abs(fractionPositive - meanScore) });
  }
  return out;
}

/** @internal */
export function eceFromData(data: BinaryData, bins: number): number {
  let ece = 0;
  for (const bin of reliabilityFromData(data, bins)) if (bin.count > 0) ece += (bin.count / data.n) * bin.gap;
  return ece;
}

/** @internal */
export function binsOf(fn: string, options: CalibrationOptions): number {
  const bins = checkInteger(fn, 'bins', options.bins ?? 10, 1);
  if (bins > 1e6) throw new MetricsError('INVALID_OPTION', `${fn}: bins must be at most 1000000, got ${bins}.`);
  return bins;
}

/**
 * Reliability-diagram data: per equal-width bin, the count, mean predicted probability and
 * fraction of positives (see {@link ReliabilityBin}). Empty bins are included, with `NaN` means.
 *
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a score
 * that is not a probability in [0, 1], or `bins` not a positive integer.
 */
export function reliabilityDiagram(labels: ArrayLike<number>, scores: ArrayLike<number>, options: CalibrationOptions = {}): ReliabilityBin[] {
  const bins = binsOf('reliabilityDiagram', options);
  return reliabilityFromData(binaryData('reliabilityDiagram', labels, scores, true), bins);
}

/**
 * Expected calibration error of the positive-class probability over equal-width bins
 * (default 10): `sum_k (n_k / n) * |mean label_k - mean score_k|` over non-empty bins, with the
 * binning of {@link ReliabilityBin}. In [0, 1]; 0 is perfectly calibrated.
 *
 * @throws {MetricsError} as {@link reliabilityDiagram}.
 */
export function expectedCalibrationError(labels: ArrayLike<number>, scores: ArrayLike<number>, options: CalibrationOptions = {}): number {
  const bins = binsOf('expectedCalibrationError', options);
  return eceFromData(binaryData('expectedCalibrationError', labels, scores, true), bins);
}
