import { confusionFromData, metricsFromConfusion, thresholdOf, type ThresholdMetrics, type ThresholdOptions } from './binary.js';
import { bootstrapCounts, type BootstrapOptions, type ConfidenceInterval } from './bootstrap.js';
import { binsOf, brierFromData, DEFAULT_LOG_LOSS_EPS, eceFromData, logLossFromData } from './calibration.js';
import { averagePrecisionFromData } from './pr.js';
import { rocAucFromData } from './roc.js';
import { youdenFromData, type OperatingPoint } from './threshold.js';
import { binaryData, checkOpenRange, type BinaryData } from './validate.js';
import { prepareWeighted, weightedScalars } from './weighted-binary.js';

/** The scalar metrics of a {@link BinaryReport}, the ones that get confidence intervals. */
export const BINARY_SCALAR_METRICS = [
  'accuracy',
  'balancedAccuracy',
  'sensitivity',
  'specificity',
  'precision',
  'npv',
  'f1',
  'mcc',
  'cohensKappa',
  'rocAuc',
  'averagePrecision',
  'brier',
  'logLoss',
  'ece',
] as const;

/** Name of a scalar metric of a {@link BinaryReport}. */
export type BinaryScalarMetric = (typeof BINARY_SCALAR_METRICS)[number];

/** Options of {@link binaryReport}. */
export interface BinaryReportOptions extends ThresholdOptions {
  /** Bins of the ECE (default 10). */
  readonly bins?: number;
  /** Clipping of the log loss (default 1e-7; see {@link LogLossOptions.eps}). */
  readonly logLossEps?: number;
  /** When given, adds percentile bootstrap confidence intervals of every scalar metric (`ci`). */
  readonly bootstrap?: BootstrapOptions;
}

/**
 * Every binary metric at once. Threshold metrics ({@link ThresholdMetrics}) use `threshold`
 * with the `comparison` rule (default: positive iff `score > 0.5`, MedMNIST's); the ranking,
 * calibration and Youden metrics use the scores themselves.
 *
 * Undefined values are `NaN`, never thrown: with a single class in the labels `rocAuc`,
 * `balancedAccuracy`, `mcc`, `youden.*` (and `averagePrecision` when it is the negative class)
 * are `NaN`; see each field.
 */
export interface BinaryReport extends ThresholdMetrics {
  /** The decision threshold used for the threshold metrics. */
  readonly threshold: number;
  /** ROC AUC (see {@link rocAuc}); `NaN` with one class. */
  readonly rocAuc: number;
  /** Average precision (see {@link averagePrecision}); `NaN` with no positives. */
  readonly averagePrecision: number;
  /** Brier score (see {@link brierScore}). */
  readonly brier: number;
  /** Log loss (see {@link logLoss}). */
  readonly logLoss: number;
  /** Expected calibration error over equal-width bins (see {@link expectedCalibrationError}). */
  readonly ece: number;
  /** The Youden-optimal operating point (see {@link youdenThreshold}); its threshold uses `>=`. */
  readonly youden: OperatingPoint;
  /**
   * Bootstrap confidence intervals of every scalar metric, present only when
   * `options.bootstrap` was given. Resampling is stratified by label unless
   * `bootstrap.stratified` is `false`.
   */
  readonly ci?: Readonly<Record<BinaryScalarMetric, ConfidenceInterval>>;
}

function scalars(
  data: BinaryData,
  threshold: number,
  inclusive: boolean,
  bins: number,
  eps: number,
): ThresholdMetrics & Record<BinaryScalarMetric, number> {
  const t = metricsFromConfusion(confusionFromData(data, threshold, inclusive));
  return {
    ...t,
    rocAuc: rocAucFromData(data),
    averagePrecision: averagePrecisionFromData(data),
    brier: brierFromData(data),
    logLoss: logLossFromData(data, eps),
    ece: eceFromData(data, bins),
  };
}

/**
 * Every binary metric of 0/1 `labels` against positive-class probabilities `scores`, in one
 * object (see {@link BinaryReport}), optionally with bootstrap confidence intervals.
 *
 * @example
 * ```ts
 * const r = binaryReport([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6], { bootstrap: { samples: 1000, seed: 1 } });
 * r.rocAuc; r.sensitivity; r.ci?.rocAuc.lower;
 * ```
 * @throws {MetricsError} on empty input, a length mismatch, a label other than 0/1, a score
 * that is not a probability in [0, 1] (apply a sigmoid/softmax first), or a bad option.
 */
export function binaryReport(labels: ArrayLike<number>, scores: ArrayLike<number>, options: BinaryReportOptions = {}): BinaryReport {
  const fn = 'binaryReport';
  const { threshold, inclusive } = thresholdOf(fn, options);
  const bins = binsOf(fn, options);
  const eps = checkOpenRange(fn, 'logLossEps', options.logLossEps ?? DEFAULT_LOG_LOSS_EPS, 0, 0.5);
  const data = binaryData(fn, labels, scores, true);
  const point = scalars(data, threshold, inclusive, bins, eps);
  const report: BinaryReport = { threshold, ...point, youden: youdenFromData(data) };
  if (options.bootstrap === undefined) return report;

  const pick = (all: Record<BinaryScalarMetric, number>): Record<BinaryScalarMetric, number> => {
    const out = {} as Record<BinaryScalarMetric, number>;
    for (const k of BINARY_SCALAR_METRICS) out[k] = all[k];
    return out;
  };
  // Resamples as counts in score order over the data sorted once (weighted-binary.ts): the same resamples as
  // bootstrapMany's, with no copy and no sort per resample.
  const prepared = prepareWeighted(data, threshold, inclusive, bins, eps);
  const ci = bootstrapCounts(data.labels, pick(point), (counts) => pick(weightedScalars(prepared, counts)), options.bootstrap, prepared.rankOf);
  return { ...report, ci };
}
