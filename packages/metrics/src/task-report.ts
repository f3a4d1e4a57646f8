import { confusionFromData, metricsFromConfusion, type BinaryConfusion } from './binary.js';
import { bootstrapMany, type BootstrapOptions, type ConfidenceInterval } from './bootstrap.js';
import { DEFAULT_LOG_LOSS_EPS, reliabilityFromData, type ReliabilityBin } from './calibration.js';
import { MetricsError } from './errors.js';
import type { MedMnistTask } from './evaluator.js';
import { column, mean, subsetRows, toMatrix, type Matrix, type MatrixInput } from './matrix.js';
import { argmaxOf, multiclassData } from './multiclass.js';
import { multilabelData } from './multilabel.js';
import { averagePrecisionFromData, prFromData, type PrecisionRecallCurve } from './pr.js';
import { binaryReport, type BinaryReport } from './report.js';
import { rocAucFromData, rocFromData, type RocCurve } from './roc.js';
import type { BinaryData } from './validate.js';

/** The four kinds of MedMNIST task; ordinal regression is scored as multi-class, as MedMNIST does. */
export type TaskKind = 'binary-class' | 'multi-class' | 'ordinal-regression' | 'multi-label';

/** The task kind of a MedMNIST task name (`'multi-label, binary-class'` is `'multi-label'`). */
export function taskKind(task: MedMnistTask | string): TaskKind {
  if (task === 'multi-label' || task === 'multi-label, binary-class') return 'multi-label';
  if (task === 'binary-class' || task === 'multi-class' || task === 'ordinal-regression') return task;
  throw new MetricsError('INVALID_OPTION', `unknown task ${JSON.stringify(task)}; use 'binary-class', 'multi-class', 'ordinal-regression' or 'multi-label'.`);
}

/** One class (one-vs-rest) or one label of a {@link TaskReport}. */
export interface ClassMetrics {
  readonly name: string;
  /** Samples of this class (single-label) or with this label present (multi-label). */
  readonly support: number;
  readonly rocAuc: number;
  readonly averagePrecision: number;
  readonly sensitivity: number;
  readonly specificity: number;
  readonly precision: number;
  readonly f1: number;
  /** Accuracy of this label's own decision (multi-label), or of "is it this class" (single-label). */
  readonly accuracy: number;
  /** Counts of the class's yes/no decision: argmax is the class (single-label), score > threshold (multi-label). */
  readonly confusion: BinaryConfusion;
}

/** A one-vs-rest ROC and precision–recall curve of one class or label. */
export interface ClassCurves {
  readonly name: string;
  readonly roc: RocCurve;
  readonly pr: PrecisionRecallCurve;
  readonly rocAuc: number;
  readonly averagePrecision: number;
  /** Fraction of samples of the class: the precision of a random classifier. */
  readonly prevalence: number;
}

/** The full evaluation of one split's predictions for any MedMNIST task; see {@link taskReport}. */
export interface TaskReport {
  readonly task: TaskKind;
  readonly n: number;
  readonly classNames: readonly string[];
  /** MedMNIST's headline ACC and AUC for the task. */
  readonly acc: number;
  readonly auc: number;
  /** How a prediction is decided, in words (shown under the numbers). */
  readonly rule: string;
  /** Summary metrics by key, in display order (names: `METRIC_LABELS`). */
  readonly summary: Readonly<Record<string, number>>;
  /** Bootstrap confidence intervals of the summary metrics, when asked for. */
  readonly ci?: Readonly<Record<string, ConfidenceInterval>>;
  /** How the bootstrap resampled, when it ran. */
  readonly bootstrap?: { readonly samples: number; readonly seed: number; readonly confidence: number; readonly stratified: boolean };
  /** One row per class (one-vs-rest) or per label. */
  readonly perClass: readonly ClassMetrics[];
  /** Single-label tasks: rows true class, columns predicted class. */
  readonly confusionMatrix?: readonly (readonly number[])[];
  /** One-vs-rest curves: the positive class (binary), each class, or each label; classes whose curve is undefined are left out. */
  readonly curves: readonly ClassCurves[];
  /** Reliability diagram: of the positive-class score (binary), the top class's probability (multi-class), all labels pooled (multi-label). */
  readonly reliability: { readonly of: string; readonly bins: readonly ReliabilityBin[] };
  /** Binary tasks: every clinical metric (the binary report). */
  readonly binary?: BinaryReport;
  /** Metrics that are undefined on this data, with the reason (e.g. a class absent from the split). */
  readonly undefinedMetrics: Readonly<Record<string, string>>;
}

/** Options of {@link taskReport}. */
export interface TaskReportOptions {
  /** Bootstrap confidence intervals of the summary metrics (stratified by class for single-label tasks). */
  readonly bootstrap?: BootstrapOptions;
  /** Binary and multi-label decisions: present iff `score > threshold` (default 0.5, MedMNIST's rule). */
  readonly threshold?: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? NaN : num / den);

function binaryDataOf(labels: Uint8Array, scores: Float64Array): BinaryData {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return { labels, scores, n: labels.length, positives, negatives: labels.length - positives };
}

/** Metrics of one yes/no question ("is it class c" / "is label j present") from its decisions and scores. */
function classMetrics(name: string, truth: Uint8Array, decision: Uint8Array, scores: Float64Array): ClassMetrics {
  const data = binaryDataOf(truth, scores);
  const c = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < truth.length; i++) {
    if (truth[i]) decision[i] ? c.tp++ : c.fn++;
    else decision[i] ? c.fp++ : c.tn++;
  }
  const m = metricsFromConfusion(c);
  return {
    name, support: data.positives, rocAuc: rocAucFromData(data), averagePrecision: averagePrecisionFromData(data),
    sensitivity: m.sensitivity, specificity: m.specificity, precision: m.precision, f1: m.f1, accuracy: m.accuracy, confusion: c,
  };
}

function curvesOf(name: string, truth: Uint8Array, scores: Float64Array): ClassCurves | undefined {
  const data = binaryDataOf(truth, scores);
  if (data.positives === 0 || data.negatives === 0) return undefined;
  const roc = rocFromData(data);
  return {
    name, roc: { fpr: roc.fpr, tpr: roc.tpr, thresholds: roc.thresholds }, pr: prFromData(data),
    rocAuc: rocAucFromData(data), averagePrecision: averagePrecisionFromData(data), prevalence: data.positives / data.n,
  };
}

/** Why per-class metrics are undefined: classes with no sample, or every sample. */
function absentClassReasons(rows: readonly ClassMetrics[], n: number, what: 'class' | 'label'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) {
    if (r.support === 0) out[`${what} ${r.name}`] = `no ${what === 'class' ? 'sample of this class' : 'sample with this label'} in the split: its AUC, sensitivity and the macro means are undefined`;
    else if (r.support === n) out[`${what} ${r.name}`] = `every sample ${what === 'class' ? 'is of this class' : 'has this label'}: its AUC and specificity are undefined`;
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// Single-label (multi-class, ordinal; binary adds the clinical report)

interface SingleLabel {
  readonly labels: Int32Array;
  readonly scores: Matrix;
}

function oneVsRest(d: SingleLabel, classNames: readonly string[]): ClassMetrics[] {
  const predicted = argmaxOf(d.scores);
  return classNames.map((name, c) => {
    const truth = Uint8Array.from(d.labels, (l) => (l === c ? 1 : 0));
    const decision = Uint8Array.from(predicted, (p) => (p === c ? 1 : 0));
    return classMetrics(name, truth, decision, column(d.scores, c));
  });
}

function confusionMatrixOf(d: SingleLabel): number[][] {
  const k = d.scores.columns;
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const predicted = argmaxOf(d.scores);
  for (let i = 0; i < predicted.length; i++) out[d.labels[i]!]![predicted[i]!]!++;
  return out;
}

/** Cohen's kappa and the multi-class MCC (scikit-learn's formulas) from a confusion matrix. */
function agreementOf(cm: readonly (readonly number[])[]): { cohensKappa: number; mcc: number } {
  const k = cm.length;
  const rows = cm.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = Array.from({ length: k }, (_, j) => cm.reduce((a, r) => a + r[j]!, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  const correct = cm.reduce((a, r, i) => a + r[i]!, 0);
  const expected = rows.reduce((a, r, i) => a + r * cols[i]!, 0) / (n * n);
  const observed = correct / n;
  const cov = correct * n - rows.reduce((a, r, i) => a + r * cols[i]!, 0);
  const den = Math.sqrt((n * n - cols.reduce((a, c) => a + c * c, 0)) * (n * n - rows.reduce((a, r) => a + r * r, 0)));
  return { cohensKappa: expected === 1 ? NaN : (observed - expected) / (1 - expected), mcc: den === 0 ? NaN : cov / den };
}

function singleLabelSummary(d: SingleLabel, classNames: readonly string[], ordinal: boolean): Record<string, number> {
  const rows = oneVsRest(d, classNames);
  const cm = confusionMatrixOf(d);
  const correct = cm.reduce((a, r, i) => a + r[i]!, 0);
  let logLoss = 0;
  for (let i = 0; i < d.labels.length; i++) logLoss -= Math.log(Math.max(d.scores.data[i * d.scores.columns + d.labels[i]!]!, DEFAULT_LOG_LOSS_EPS));
  const present = rows.filter((r) => r.support > 0);
  const summary: Record<string, number> = {
    accuracy: correct / d.labels.length,
    balancedAccuracy: mean(present.map((r) => r.sensitivity)),
    macroAuc: mean(rows.map((r) => r.rocAuc)),
    macroAveragePrecision: mean(rows.map((r) => r.averagePrecision)),
    macroPrecision: mean(rows.map((r) => r.precision)),
    macroSensitivity: mean(rows.map((r) => r.sensitivity)),
    macroF1: mean(rows.map((r) => r.f1)),
    ...agreementOf(cm),
    logLoss: logLoss / d.labels.length,
  };
  if (ordinal) {
    const predicted = argmaxOf(d.scores);
    summary['meanAbsoluteError'] = mean(Array.from(predicted, (p, i) => Math.abs(p - d.labels[i]!)));
  }
  return summary;
}

function topClassReliability(d: SingleLabel): ReliabilityBin[] {
  const predicted = argmaxOf(d.scores);
  const correct = Uint8Array.from(predicted, (p, i) => (p === d.labels[i] ? 1 : 0));
  const confidence = Float64Array.from(predicted, (p, i) => d.scores.data[i * d.scores.columns + p]!);
  return reliabilityFromData(binaryDataOf(correct, confidence), 10);
}

function singleLabelReport(task: TaskKind, labels: ArrayLike<number>, scores: MatrixInput, classNames: readonly string[], options: TaskReportOptions): TaskReport {
  const fn = `taskReport(${JSON.stringify(task)})`;
  const d: SingleLabel = multiclassData(fn, labels, scores);
  const names = namesOf(classNames, d.scores.columns);
  const perClass = oneVsRest(d, names);
  const summary = singleLabelSummary(d, names, task === 'ordinal-regression');
  const boot = options.bootstrap;
  const ci = boot && bootstrapMany(d.labels, (idx) => singleLabelSummary({ labels: d.labels.map((_, i) => d.labels[idx[i]!]!), scores: subsetRows(d.scores, idx) }, names, task === 'ordinal-regression'), boot);
  const curves = perClass.flatMap((r, c) => curvesOf(r.name, Uint8Array.from(d.labels, (l) => (l === c ? 1 : 0)), column(d.scores, c)) ?? []);
  return {
    task, n: d.labels.length, classNames: names, acc: summary['accuracy']!, auc: summary['macroAuc']!,
    rule: 'predicted class = the class of highest probability (argmax, MedMNIST); AUC = mean one-vs-rest AUC over classes',
    summary, ...(ci ? { ci, bootstrap: bootstrapSettings(boot, true) } : {}), perClass, confusionMatrix: confusionMatrixOf(d), curves,
    reliability: { of: 'probability of the predicted class (correct = positive)', bins: topClassReliability(d) },
    undefinedMetrics: { ...absentClassReasons(perClass, d.labels.length, 'class'), ...undefinedSummary(summary) },
  };
}

function binaryTaskReport(labels: ArrayLike<number>, scores: MatrixInput, classNames: readonly string[], options: TaskReportOptions): TaskReport {
  const fn = 'taskReport("binary-class")';
  const m = toMatrix(fn, 'scores', scores);
  if (m.columns !== 2) throw new MetricsError('INVALID_SHAPE', `${fn}: scores have ${m.columns} columns; pass [n, 2] class probabilities.`);
  const names = namesOf(classNames, 2);
  const positive = column(m, 1);
  const binary = binaryReport(labels, positive, { ...(options.threshold !== undefined ? { threshold: options.threshold } : {}), ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}) });
  const d: SingleLabel = multiclassData(fn, labels, m);
  const perClass = oneVsRest(d, names);
  const { youden: _youden, confusion: _confusion, threshold: _threshold, ci, ...summary } = binary;
  const truth = Uint8Array.from(d.labels);
  const curve = curvesOf(names[1]!, truth, positive);
  const c = binary.confusion;
  return {
    task: 'binary-class', n: d.labels.length, classNames: names, acc: binary.accuracy, auc: binary.rocAuc,
    rule: `predicted ${names[1]} when its probability > ${binary.threshold} (MedMNIST); AUC from the probabilities`,
    summary, ...(ci && options.bootstrap ? { ci, bootstrap: bootstrapSettings(options.bootstrap, true) } : {}), perClass,
    confusionMatrix: [[c.tn, c.fp], [c.fn, c.tp]], curves: curve ? [curve] : [],
    reliability: { of: `probability of ${names[1]}`, bins: reliabilityFromData(binaryDataOf(truth, positive), 10) }, binary,
    undefinedMetrics: { ...absentClassReasons(perClass, d.labels.length, 'class'), ...undefinedSummary(summary) },
  };
}

// ---------------------------------------------------------------------------------------------
// Multi-label

interface MultiLabel {
  readonly labels: Matrix;
  readonly scores: Matrix;
}

function perLabel(d: MultiLabel, names: readonly string[], threshold: number): ClassMetrics[] {
  return names.map((name, j) => {
    const scores = column(d.scores, j);
    return classMetrics(name, Uint8Array.from(column(d.labels, j)), Uint8Array.from(scores, (s) => (s > threshold ? 1 : 0)), scores);
  });
}

function multiLabelSummary(d: MultiLabel, names: readonly string[], threshold: number): Record<string, number> {
  const rows = perLabel(d, names, threshold);
  const pooled = binaryDataOf(Uint8Array.from(d.labels.data), d.scores.data);
  const micro = metricsFromConfusion(confusionFromData(pooled, threshold, false));
  let exact = 0;
  for (let i = 0; i < d.labels.rows; i++) {
    let all = true;
    for (let j = 0; j < d.labels.columns && all; j++) all = (d.scores.data[i * d.labels.columns + j]! > threshold ? 1 : 0) === d.labels.data[i * d.labels.columns + j];
    if (all) exact++;
  }
  return {
    meanLabelAccuracy: mean(rows.map((r) => r.accuracy)),
    macroAuc: mean(rows.map((r) => r.rocAuc)),
    microAuc: rocAucFromData(pooled),
    macroAveragePrecision: mean(rows.map((r) => r.averagePrecision)),
    macroF1: mean(rows.map((r) => r.f1)),
    microF1: micro.f1,
    exactMatch: exact / d.labels.rows,
  };
}

function multiLabelReport(labels: MatrixInput, scores: MatrixInput, classNames: readonly string[], options: TaskReportOptions): TaskReport {
  const fn = 'taskReport("multi-label")';
  const d: MultiLabel = multilabelData(fn, labels, scores);
  const threshold = options.threshold ?? 0.5;
  const names = namesOf(classNames, d.labels.columns);
  const perClass = perLabel(d, names, threshold);
  const summary = multiLabelSummary(d, names, threshold);
  const boot = options.bootstrap;
  const ci = boot && bootstrapMany(new Float64Array(d.labels.rows), (idx) => multiLabelSummary({ labels: subsetRows(d.labels, idx), scores: subsetRows(d.scores, idx) }, names, threshold), { ...boot, stratified: false });
  const curves = names.flatMap((name, j) => curvesOf(name, Uint8Array.from(column(d.labels, j)), column(d.scores, j)) ?? []);
  return {
    task: 'multi-label', n: d.labels.rows, classNames: names, acc: summary['meanLabelAccuracy']!, auc: summary['macroAuc']!,
    rule: `a finding is predicted when its probability > ${threshold} (each label on its own, MedMNIST); ACC = mean per-label accuracy; AUC = mean per-label AUC`,
    summary, ...(ci ? { ci, bootstrap: bootstrapSettings(boot, false) } : {}), perClass, curves,
    reliability: { of: 'probability of each finding (all labels pooled)', bins: reliabilityFromData(binaryDataOf(Uint8Array.from(d.labels.data), d.scores.data), 10) },
    undefinedMetrics: { ...absentClassReasons(perClass, d.labels.rows, 'label'), ...undefinedSummary(summary) },
  };
}

// ---------------------------------------------------------------------------------------------

function namesOf(classNames: readonly string[], columns: number): string[] {
  return Array.from({ length: columns }, (_, c) => classNames[c] ?? `class ${c}`);
}

function bootstrapSettings(options: BootstrapOptions, stratified: boolean) {
  return { samples: options.samples ?? 1000, seed: options.seed ?? 0, confidence: options.confidence ?? 0.95, stratified: stratified && (options.stratified ?? true) };
}

function undefinedSummary(summary: Readonly<Record<string, number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(summary)) if (!Number.isFinite(value)) out[key] = 'undefined on this split (a class or label is absent, or every prediction is the same)';
  return out;
}

/**
 * Everything medxfer reports about one split's predictions, for any MedMNIST task: MedMNIST's ACC/AUC, summary
 * metrics (macro and micro) with optional bootstrap CIs, a per-class (one-vs-rest) or per-label table, the
 * confusion matrix (single-label tasks), one-vs-rest ROC/PR curves, a reliability diagram, and the metrics that
 * are undefined on this data with the reason.
 *
 * @param labels single-label tasks: one class index per sample; multi-label: `[n, labels]` 0/1.
 * @param probabilities `[n, classes]` probabilities: softmax rows (single-label) or per-label sigmoids.
 * @throws {MetricsError} on malformed input (shapes, labels, non-finite or out-of-range scores).
 */
export function taskReport(task: MedMnistTask | TaskKind, labels: ArrayLike<number> | MatrixInput, probabilities: MatrixInput, classNames: readonly string[] = [], options: TaskReportOptions = {}): TaskReport {
  const kind = taskKind(task);
  checkProbabilities(kind, toMatrix('taskReport', 'probabilities', probabilities));
  if (kind === 'multi-label') return multiLabelReport(labels as MatrixInput, probabilities, classNames, options);
  const flat = toFlatLabels(labels);
  if (kind === 'binary-class') return binaryTaskReport(flat, probabilities, classNames, options);
  return singleLabelReport(kind, flat, probabilities, classNames, options);
}

/** Probabilities in [0, 1] whose rows sum to 1 (single-label): anything else is a bug upstream, never a report. */
function checkProbabilities(kind: TaskKind, m: Matrix): void {
  for (let i = 0; i < m.rows; i++) {
    let sum = 0;
    for (let j = 0; j < m.columns; j++) {
      const p = m.data[i * m.columns + j]!;
      if (!(p >= 0 && p <= 1)) throw new MetricsError('INVALID_SCORE', `taskReport: probability [${i}][${j}] is ${p}; probabilities must be finite numbers in [0, 1]`);
      sum += p;
    }
    if (kind !== 'multi-label' && Math.abs(sum - 1) > 1e-3) throw new MetricsError('INVALID_SCORE', `taskReport: the probabilities of row ${i} sum to ${sum}, not 1; pass softmax probabilities`);
  }
}

function toFlatLabels(labels: ArrayLike<number> | MatrixInput): ArrayLike<number> {
  if (typeof labels === 'object' && labels !== null && 'columns' in labels) {
    if (labels.columns !== 1) throw new MetricsError('INVALID_SHAPE', `taskReport: single-label tasks take one label per sample, got ${labels.columns} columns`);
    return labels.data;
  }
  return labels as ArrayLike<number>;
}
