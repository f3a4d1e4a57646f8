import { bootstrapMany, type ConfidenceInterval } from './bootstrap.js';
import { MetricsError } from './errors.js';
import { column, isFlatMatrix, isRowArray, mean, subsetRows, toMatrix, type MatrixInput } from './matrix.js';
import { accuracyOf, confusionOf, multiclassData, ovrAucOf, type MulticlassData } from './multiclass.js';
import { multilabelData, perLabelAccuracyOf, perLabelAucOf, type MultilabelData } from './multilabel.js';
import { binaryReport, type BinaryReport, type BinaryReportOptions } from './report.js';
import { checkFinite } from './validate.js';

/**
 * MedMNIST's task names. `'multi-label'` is accepted as a short form of MedMNIST's
 * `'multi-label, binary-class'`; `'ordinal-regression'` is evaluated as multi-class, as MedMNIST does.
 */
export type MedMnistTask = 'binary-class' | 'multi-class' | 'multi-label' | 'multi-label, binary-class' | 'ordinal-regression';

/**
 * Labels of a single-label task: one class index per sample, flat (`[0, 2, 1, ...]`) or as a
 * one-column matrix (`[[0], [2], [1], ...]`, MedMNIST's `[n, 1]` label arrays).
 */
export type ClassLabels = ArrayLike<number> | MatrixInput;

/**
 * Options of {@link evaluate}. `threshold` (default 0.5, positive iff `score > threshold`)
 * applies to binary-class and multi-label ACC; `comparison`, `bins` and `logLossEps` only to the
 * binary report. `bootstrap` adds confidence intervals (`ci`) of AUC and ACC for every task
 * (and of every report metric for binary-class); resampling is stratified by class for
 * single-label tasks and plain for multi-label.
 */
export type EvaluateOptions = BinaryReportOptions;

/** Confidence intervals of {@link evaluate}'s headline numbers. */
export interface EvaluationCI {
  readonly auc: ConfidenceInterval;
  readonly acc: ConfidenceInterval;
}

/**
 * MedMNIST's two headline numbers. `NaN` where the AUC is undefined (a class, or a label,
 * with no positive or no negative sample); MedMNIST's evaluator raises there.
 */
interface EvaluationBase {
  /** MedMNIST's AUC for the task. */
  readonly auc: number;
  /** MedMNIST's ACC for the task. */
  readonly acc: number;
  /** Present when `options.bootstrap` was given. */
  readonly ci?: EvaluationCI;
}

/** Binary-class result: `auc` = ROC AUC, `acc` = accuracy at `score > threshold`, and the full report. */
export interface BinaryEvaluation extends EvaluationBase {
  readonly task: 'binary-class';
  readonly report: BinaryReport;
}

/** Multi-class (and ordinal) result: `auc` = mean one-vs-rest AUC, `acc` = argmax accuracy. */
export interface MulticlassEvaluation extends EvaluationBase {
  readonly task: 'multi-class' | 'ordinal-regression';
  /** One-vs-rest AUC of each class. */
  readonly perClassAuc: number[];
  /** Rows true class, columns argmax class. */
  readonly confusionMatrix: number[][];
}

/** Multi-label result: `auc` = mean per-label AUC, `acc` = mean per-label accuracy at `score > threshold`. */
export interface MultilabelEvaluation extends EvaluationBase {
  readonly task: 'multi-label' | 'multi-label, binary-class';
  readonly perLabelAuc: number[];
  readonly perLabelAccuracy: number[];
}

export type Evaluation = BinaryEvaluation | MulticlassEvaluation | MultilabelEvaluation;

function classLabels(fn: string, labels: ClassLabels): ArrayLike<number> {
  if (isFlatMatrix(labels) || isRowArray(labels)) {
    const m = toMatrix(fn, 'labels', labels);
    if (m.columns !== 1) {
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: labels has ${m.columns} columns; single-label tasks take one label per sample (flat, or [n, 1]). Use task 'multi-label' for several.`,
      );
    }
    return m.data;
  }
  return labels as ArrayLike<number>;
}

function binaryScores(fn: string, scores: ArrayLike<number> | MatrixInput): ArrayLike<number> {
  if (isFlatMatrix(scores) || isRowArray(scores)) {
    const m = toMatrix(fn, 'scores', scores);
    if (m.columns > 2) {
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: binary-class scores have ${m.columns} columns; pass [n, 2] probabilities (column 1 is the positive class), [n, 1], or a flat positive-class score.`,
      );
    }
    return column(m, m.columns - 1);
  }
  return scores as ArrayLike<number>;
}


function multiclassHeadline(d: MulticlassData): { auc: number; acc: number } {
  return { auc: mean(ovrAucOf(d)), acc: accuracyOf(d) };
}

function multilabelHeadline(d: MultilabelData, threshold: number): { auc: number; acc: number } {
  return { auc: mean(perLabelAucOf(d)), acc: mean(perLabelAccuracyOf(d, threshold)) };
}

/**
 * MedMNIST's evaluator (`medmnist.Evaluator` / `getAUC` + `getACC`), with more detail.
 *
 * - `'binary-class'`: `labels` 0/1; `scores` positive-class probabilities, flat `[n]`, `[n, 1]`,
 *   or `[n, 2]` (column 1 is used, as MedMNIST uses the last column). Returns the full
 *   {@link binaryReport} too. Scores must be probabilities in [0, 1].
 * - `'multi-class'` / `'ordinal-regression'`: `labels` class indices; `scores` `[n, classes]`
 *   probabilities (apply softmax first, as MedMNIST does).
 * - `'multi-label'` / `'multi-label, binary-class'`: `labels` and `scores` `[n, labels]`.
 *
 * @throws {MetricsError} for an unknown task, and for any input error of the task's metrics.
 */
export function evaluate(task: 'binary-class', labels: ClassLabels, scores: ArrayLike<number> | MatrixInput, options?: EvaluateOptions): BinaryEvaluation;
export function evaluate(task: 'multi-class' | 'ordinal-regression', labels: ClassLabels, scores: MatrixInput, options?: EvaluateOptions): MulticlassEvaluation;
export function evaluate(task: 'multi-label' | 'multi-label, binary-class', labels: MatrixInput, scores: MatrixInput, options?: EvaluateOptions): MultilabelEvaluation;
export function evaluate(task: MedMnistTask, labels: ClassLabels, scores: ArrayLike<number> | MatrixInput, options?: EvaluateOptions): Evaluation;
export function evaluate(
  task: MedMnistTask,
  labels: ClassLabels,
  scores: ArrayLike<number> | MatrixInput,
  options: EvaluateOptions = {},
): Evaluation {
  const fn = `evaluate(${JSON.stringify(task)})`;
  switch (task) {
    case 'binary-class': {
      const report = binaryReport(classLabels(fn, labels), binaryScores(fn, scores), options);
      const result: BinaryEvaluation = { task, auc: report.rocAuc, acc: report.accuracy, report };
      return report.ci ? { ...result, ci: { auc: report.ci.rocAuc, acc: report.ci.accuracy } } : result;
    }
    case 'multi-class':
    case 'ordinal-regression': {
      const d = multiclassData(fn, classLabels(fn, labels), scores as MatrixInput);
      const perClassAuc = ovrAucOf(d);
      const result: MulticlassEvaluation = {
        task,
        auc: mean(perClassAuc),
        acc: accuracyOf(d),
        perClassAuc,
        confusionMatrix: confusionOf(d),
      };
      if (options.bootstrap === undefined) return result;
      const ci = bootstrapMany(
        d.labels,
        (idx) => multiclassHeadline({ labels: d.labels.map((_, i) => d.labels[idx[i]!]!), scores: subsetRows(d.scores, idx) }),
        options.bootstrap,
      );
      return { ...result, ci };
    }
    case 'multi-label':
    case 'multi-label, binary-class': {
      const threshold = checkFinite(fn, 'threshold', options.threshold ?? 0.5);
      const d = multilabelData(fn, labels as MatrixInput, scores as MatrixInput);
      const perLabelAuc = perLabelAucOf(d);
      const perLabelAccuracy = perLabelAccuracyOf(d, threshold);
      const result: MultilabelEvaluation = { task, auc: mean(perLabelAuc), acc: mean(perLabelAccuracy), perLabelAuc, perLabelAccuracy };
      if (options.bootstrap === undefined) return result;
      const ci = bootstrapMany(
        new Float64Array(d.labels.rows),
        (idx) => multilabelHeadline({ labels: subsetRows(d.labels, idx), scores: subsetRows(d.scores, idx) }, threshold),
        { ...options.bootstrap, stratified: false },
      );
      return { ...result, ci };
    }
    default:
      throw new MetricsError(
        'INVALID_OPTION',
        `evaluate: unknown task ${JSON.stringify(task)}; use 'binary-class', 'multi-class', 'multi-label' (or 'multi-label, binary-class') or 'ordinal-regression'.`,
      );
  }
}
