import { MetricsError } from './errors.js';
import { column, toMatrix, type Matrix, type MatrixInput } from './matrix.js';
import { rocAucFromData } from './roc.js';
import { checkScore, type BinaryData } from './validate.js';

/** @internal Validated multi-class input. */
export interface MulticlassData {
  readonly labels: Int32Array;
  readonly scores: Matrix;
}

/** @internal */
export function multiclassData(fn: string, labels: ArrayLike<number>, scores: MatrixInput): MulticlassData {
  const m = toMatrix(fn, 'scores', scores);
  if (m.columns < 2) {
    throw new MetricsError('INVALID_SHAPE', `${fn}: scores has ${m.columns} column; multi-class scores need one column per class (at least 2).`);
  }
  if (labels == null || typeof labels.length !== 'number') {
    throw new MetricsError('INVALID_LABEL', `${fn}: labels must be an array (or typed array) of class indices.`);
  }
  if (labels.length !== m.rows) {
    throw new MetricsError('LENGTH_MISMATCH', `${fn}: labels has ${labels.length} entries but scores has ${m.rows} rows; pass one score row per label.`);
  }
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const v: unknown = labels[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= m.columns) {
      throw new MetricsError(
        'INVALID_LABEL',
        `${fn}: labels[${i}] is ${String(v)}, not a class index in 0..${m.columns - 1} (scores has ${m.columns} columns, one per class).`,
      );
    }
    out[i] = v;
  }
  for (let k = 0; k < m.data.length; k++) {
    checkScore(fn, m.data[k], `scores[${Math.floor(k / m.columns)}][${k % m.columns}]`, false);
  }
  return { labels: out, scores: m };
}

/** @internal Argmax per row; the first column wins ties (as numpy.argmax). */
export function argmaxOf(m: Matrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    const base = i * m.columns;
    for (let j = 1; j < m.columns; j++) if (m.data[base + j]! > m.data[base + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * The predicted class of each row of `scores` `[n, classes]`: the index of its largest score,
 * the first one on ties (as `numpy.argmax`).
 *
 * @throws {MetricsError} on empty or ragged input, or a non-finite score.
 */
export function argmax(scores: MatrixInput): Int32Array {
  const m = toMatrix('argmax', 'scores', scores);
  for (let k = 0; k < m.data.length; k++) checkScore('argmax', m.data[k], `scores[${Math.floor(k / m.columns)}][${k % m.columns}]`, false);
  return argmaxOf(m);
}

/**
 * Multi-class accuracy: the fraction of samples whose argmax class (see {@link argmax}) equals
 * the label. MedMNIST's multi-class ACC.
 *
 * @param labels class indices 0..classes-1, one per row of `scores`.
 * @param scores `[n, classes]` probabilities or logits (argmax is the same for both).
 * @throws {MetricsError} on empty or ragged input, fewer than 2 columns, a length mismatch, a
 * label that is not a class index, or a non-finite score.
 */
export function multiclassAccuracy(labels: ArrayLike<number>, scores: MatrixInput): number {
  const d = multiclassData('multiclassAccuracy', labels, scores);
  return accuracyOf(d);
}

/** @internal */
export function accuracyOf(d: MulticlassData): number {
  const pred = argmaxOf(d.scores);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === d.labels[i]) correct++;
  return correct / pred.length;
}

/** @internal */
export function ovrAucOf(d: MulticlassData): number[] {
  const { scores, labels } = d;
  const out: number[] = [];
  for (let c = 0; c < scores.columns; c++) {
    const l = new Uint8Array(scores.rows);
    let positives = 0;
    for (let i = 0; i < scores.rows; i++) {
      l[i] = labels[i] === c ? 1 : 0;
      positives += l[i]!;
    }
    const data: BinaryData = { labels: l, scores: column(scores, c), n: scores.rows, positives, negatives: scores.rows - positives };
    out.push(rocAucFromData(data));
  }
  return out;
}

/**
 * One-vs-rest ROC AUC per class: entry `c` is the AUC of "label is c" against column `c` of
 * `scores`. An entry is `NaN` when class `c` is absent from the labels, or is every label.
 *
 * @throws {MetricsError} as {@link multiclassAccuracy}.
 */
export function oneVsRestAuc(labels: ArrayLike<number>, scores: MatrixInput): number[] {
  return ovrAucOf(multiclassData('oneVsRestAuc', labels, scores));
}

/**
 * MedMNIST's multi-class AUC: the unweighted mean over classes of the one-vs-rest AUC (see
 * {@link oneVsRestAuc}), computed on the scores as given (pass softmax probabilities, as
 * MedMNIST does). `NaN` when any class's AUC is undefined (MedMNIST/scikit-learn raise).
 *
 * @throws {MetricsError} as {@link multiclassAccuracy}.
 */
export function macroOvrAuc(labels: ArrayLike<number>, scores: MatrixInput): number {
  const aucs = ovrAucOf(multiclassData('macroOvrAuc', labels, scores));
  return aucs.reduce((a, b) => a + b, 0) / aucs.length;
}

/** @internal */
export function confusionOf(d: MulticlassData): number[][] {
  const k = d.scores.columns;
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const pred = argmaxOf(d.scores);
  for (let i = 0; i < pred.length; i++) out[d.labels[i]!]![pred[i]!]!++;
  return out;
}

/**
 * The `[classes, classes]` confusion matrix: entry `[t][p]` counts samples of true class `t`
 * whose argmax class is `p` (rows true, columns predicted, as scikit-learn). Its size is the
 * number of columns of `scores`, so absent classes give rows of zeros.
 *
 * @throws {MetricsError} as {@link multiclassAccuracy}.
 */
export function multiclassConfusionMatrix(labels: ArrayLike<number>, scores: MatrixInput): number[][] {
  return confusionOf(multiclassData('multiclassConfusionMatrix', labels, scores));
}
