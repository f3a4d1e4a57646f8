import { MetricsError } from './errors.js';
import { column, mean, toMatrix, type Matrix, type MatrixInput } from './matrix.js';
import { rocAucFromData } from './roc.js';
import { checkBinaryLabel, checkFinite, checkScore, type BinaryData } from './validate.js';

/** @internal Validated multi-label input: labels and scores of the same shape. */
export interface MultilabelData {
  readonly labels: Matrix;
  readonly scores: Matrix;
}

/** @internal */
export function multilabelData(fn: string, labels: MatrixInput, scores: MatrixInput): MultilabelData {
  const l = toMatrix(fn, 'labels', labels);
  const s = toMatrix(fn, 'scores', scores);
  if (l.rows !== s.rows || l.columns !== s.columns) {
    throw new MetricsError(
      'LENGTH_MISMATCH',
      `${fn}: labels is [${l.rows}, ${l.columns}] but scores is [${s.rows}, ${s.columns}]; pass one score per label, same shape.`,
    );
  }
  for (let k = 0; k < l.data.length; k++) {
    const where = `[${Math.floor(k / l.columns)}][${k % l.columns}]`;
    checkBinaryLabel(fn, l.data[k], `labels${where}`);
    checkScore(fn, s.data[k], `scores${where}`, false);
  }
  return { labels: l, scores: s };
}

function labelData(d: MultilabelData, j: number): BinaryData {
  const l = Uint8Array.from(column(d.labels, j));
  let positives = 0;
  for (let i = 0; i < l.length; i++) positives += l[i]!;
  return { labels: l, scores: column(d.scores, j), n: l.length, positives, negatives: l.length - positives };
}

/** @internal */
export function perLabelAucOf(d: MultilabelData): number[] {
  return Array.from({ length: d.labels.columns }, (_, j) => rocAucFromData(labelData(d, j)));
}

/** @internal */
export function perLabelAccuracyOf(d: MultilabelData, threshold: number): number[] {
  const { labels, scores } = d;
  const out: number[] = [];
  for (let j = 0; j < labels.columns; j++) {
    let correct = 0;
    for (let i = 0; i < labels.rows; i++) {
      const k = i * labels.columns + j;
      if ((scores.data[k]! > threshold ? 1 : 0) === labels.data[k]) correct++;
    }
    out.push(correct / labels.rows);
  }
  return out;
}


/**
 * ROC AUC of each label (column): entry `j` is the AUC of `labels[:, j]` against
 * `scores[:, j]`; `NaN` for a label that is all 0 or all 1.
 *
 * @param labels `[n, labels]` 0/1 matrix (see {@link MatrixInput}).
 * @param scores `[n, labels]` scores of the same shape (higher = more likely present).
 * @throws {MetricsError} on empty or ragged input, a shape mismatch, a label other than 0/1, or
 * a non-finite score.
 */
export function perLabelAuc(labels: MatrixInput, scores: MatrixInput): number[] {
  return perLabelAucOf(multilabelData('perLabelAuc', labels, scores));
}

/**
 * MedMNIST's multi-label AUC: the mean of {@link perLabelAuc}; `NaN` if any label's AUC is
 * undefined (MedMNIST/scikit-learn raise).
 *
 * @throws {MetricsError} as {@link perLabelAuc}.
 */
export function multilabelMeanAuc(labels: MatrixInput, scores: MatrixInput): number {
  return mean(perLabelAucOf(multilabelData('multilabelMeanAuc', labels, scores)));
}

/**
 * Accuracy of each label (column), predicting present iff `score > threshold` (default 0.5,
 * MedMNIST's rule).
 *
 * @throws {MetricsError} as {@link perLabelAuc}, or for a non-finite threshold.
 */
export function perLabelAccuracy(labels: MatrixInput, scores: MatrixInput, threshold = 0.5): number[] {
  checkFinite('perLabelAccuracy', 'threshold', threshold);
  return perLabelAccuracyOf(multilabelData('perLabelAccuracy', labels, scores), threshold);
}

/**
 * MedMNIST's multi-label ACC: the mean of {@link perLabelAccuracy} (positive iff
 * `score > threshold`, default 0.5). Not the exact-match (subset) accuracy.
 *
 * @throws {MetricsError} as {@link perLabelAccuracy}.
 */
export function multilabelMeanAccuracy(labels: MatrixInput, scores: MatrixInput, threshold = 0.5): number {
  checkFinite('multilabelMeanAccuracy', 'threshold', threshold);
  return mean(perLabelAccuracyOf(multilabelData('multilabelMeanAccuracy', labels, scores), threshold));
}
