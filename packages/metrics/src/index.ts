/**
 * @medxfer/metrics: clinical and MedMNIST metrics in plain TypeScript (no dependencies, no
 * Node APIs; runs in Node, Deno and browsers).
 *
 * Conventions: binary labels are 0/1 `ArrayLike<number>`; scores are finite numbers, higher
 * meaning more positive (probabilities in [0, 1] where a metric needs them); matrices are
 * {@link MatrixInput} (rows, or flat row-major with a column count). Wrong input throws
 * {@link MetricsError}; a metric that is undefined for valid input (e.g. AUC with one class)
 * is `NaN`.
 *
 * @packageDocumentation
 */
export { MetricsError, type MetricsErrorCode } from './errors.js';
export type { FlatMatrix, MatrixInput } from './matrix.js';
export {
  binaryConfusion,
  binaryMetrics,
  metricsFromConfusion,
  type BinaryConfusion,
  type ThresholdMetrics,
  type ThresholdOptions,
} from './binary.js';
export { rocAuc, rocCurve, trapezoidArea, type RocCurve, type RocCurveOptions } from './roc.js';
export { averagePrecision, precisionRecallCurve, type PrecisionRecallCurve } from './pr.js';
export {
  brierScore,
  DEFAULT_LOG_LOSS_EPS,
  expectedCalibrationError,
  logLoss,
  reliabilityDiagram,
  type CalibrationOptions,
  type LogLossOptions,
  type ReliabilityBin,
} from './calibration.js';
export { thresholdForSensitivity, youdenThreshold, type OperatingPoint } from './threshold.js';
export { mulberry32, randomInt, type RandomSource } from './random.js';
export {
  bootstrap,
  bootstrapCI,
  bootstrapIndices,
  bootstrapCounts,
  bootstrapMany,
  createCountResampler,
  createResampler,
  quantile,
  type BootstrapOptions,
  type ConfidenceInterval,
  type Resampler,
} from './bootstrap.js';
export {
  BINARY_SCALAR_METRICS,
  binaryReport,
  type BinaryReport,
  type BinaryReportOptions,
  type BinaryScalarMetric,
} from './report.js';
export { argmax, macroOvrAuc, multiclassAccuracy, multiclassConfusionMatrix, oneVsRestAuc } from './multiclass.js';
export { multilabelMeanAccuracy, multilabelMeanAuc, perLabelAccuracy, perLabelAuc } from './multilabel.js';
export {
  evaluate,
  type BinaryEvaluation,
  type ClassLabels,
  type EvaluateOptions,
  type Evaluation,
  type EvaluationCI,
  type MedMnistTask,
  type MulticlassEvaluation,
  type MultilabelEvaluation,
} from './evaluator.js';
export { taskKind, taskReport, type ClassCurves, type ClassMetrics, type TaskKind, type TaskReport, type TaskReportOptions } from './task-report.js';
export { formatMetric, LOWER_IS_BETTER, METRIC_LABELS, metricLabel } from './metric-names.js';
