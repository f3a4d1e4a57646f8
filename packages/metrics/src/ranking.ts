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
 * Sorts by score (descending) and records (fps, tps) at the last sample of each run of tied
 * scores, exactly as scikit-learn does: tied samples enter the curve together, so their order
 * never matters.
 */
export function clfCurve(data: BinaryData): ClfCurve {
  const { n, labels, scores } = data;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    if (k === n - 1 || scores[order[k + 1]!] !== scores[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[i]!);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thresholds) };
}
