// The cumulative counts behind ROC and precision-recall curves (scikit-learn's `_binary_clf_curve`).
import type { BinaryData } from './validate.js';

/** True/false positive counts at each distinct score, scores descending. */
export interface ClfCurve {
  /** False positives among samples with score >= thresholds[k]. */
  readonly fps: Float64Array;
  /** True positives among samples with score >= thresholds[k]. */
  readonly tps: Float64Array;
  /** The distinct scores, in decreasing order. */
  readonly thresholds: Float64Array;
}

/**
 * Records (fps, tps) at each distinct score, descending, exactly as scikit-learn does: tied samples enter the
 * curve together, so their order never matters — which is why the positives' and the negatives' scores can be
 * sorted apart (typed-array sorts, no comparator: ≈ 10× an index sort at 1M) and merged.
 */
export function clfCurve(data: BinaryData): ClfCurve {
  const { n, labels, scores } = data;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  for (let i = 0, a = 0, b = 0; i < n; i++) labels[i] === 1 ? (pos[a++] = scores[i]!) : (neg[b++] = scores[i]!);
  pos.sort();
  neg.sort();
  const fps = new Float64Array(n);
  const tps = new Float64Array(n);
  const thresholds = new Float64Array(n);
  let runs = 0;
  let tp = 0;
  let fp = 0;
  // Scores are finite (validated): merge from the largest down, a run of equal scores at a time.
  for (let a = pos.length - 1, b = neg.length - 1; a >= 0 || b >= 0; runs++) {
    const score = Math.max(a >= 0 ? pos[a]! : -Infinity, b >= 0 ? neg[b]! : -Infinity);
    while (a >= 0 && pos[a] === score) (tp++), a--;
    while (b >= 0 && neg[b] === score) (fp++), b--;
    tps[runs] = tp;
    fps[runs] = fp;
    thresholds[runs] = score;
  }
  return { fps: fps.slice(0, runs), tps: tps.slice(0, runs), thresholds: thresholds.slice(0, runs) };
}
