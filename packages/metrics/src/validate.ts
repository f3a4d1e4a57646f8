// Input checks shared by every metric. Internal: not re-exported from the package entry.
import { MetricsError } from './errors.js';

/** Validated binary input: labels as 0/1 bytes, scores as float64, and the class counts. */
export interface BinaryData {
  readonly labels: Uint8Array;
  readonly scores: Float64Array;
  readonly n: number;
  readonly positives: number;
  readonly negatives: number;
}

const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

export function checkLength(fn: string, labels: ArrayLike<unknown>, scores: ArrayLike<unknown>): number {
  if (labels == null || typeof labels.length !== 'number') {
    throw new MetricsError('INVALID_LABEL', `${fn}: labels must be an array (or typed array) of numbers, got ${show(labels)}.`);
  }
  if (scores == null || typeof scores.length !== 'number') {
    throw new MetricsError('INVALID_SCORE', `${fn}: scores must be an array (or typed array) of numbers, got ${show(scores)}.`);
  }
  if (labels.length !== scores.length) {
    throw new MetricsError(
      'LENGTH_MISMATCH',
      `${fn}: labels has ${labels.length} entries but scores has ${scores.length}; pass exactly one score per label.`,
    );
  }
  if (labels.length === 0) {
    throw new MetricsError('EMPTY_INPUT', `${fn}: labels and scores are empty; a metric needs at least one sample.`);
  }
  return labels.length;
}

export function checkBinaryLabel(fn: string, value: unknown, where: string): 0 | 1 {
  if (value === 0 || value === 1) return value;
  throw new MetricsError(
    'INVALID_LABEL',
    `${fn}: binary labels must be 0 or 1, but ${where} is ${show(value)}; map the negative class to 0 and the positive class to 1 first.`,
  );
}

export function checkScore(fn: string, value: unknown, where: string, probability: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MetricsError(
      'INVALID_SCORE',
      `${fn}: ${where} is ${show(value)}; every score must be a finite number (look for NaN/Infinity in the model output before computing metrics).`,
    );
  }
  if (probability && (value < 0 || value > 1)) {
    throw new MetricsError(
      'INVALID_SCORE',
      `${fn}: ${where} is ${value}, outside [0, 1]; this metric needs probabilities, so apply a sigmoid (or softmax) to logits first.`,
    );
  }
  return value;
}

/** Checks labels (0/1) and scores (finite; in [0, 1] when `probability`) and copies them. */
export function binaryData(
  fn: string,
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  probability = false,
): BinaryData {
  const n = checkLength(fn, labels, scores);
  const l = new Uint8Array(n);
  const s = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    l[i] = checkBinaryLabel(fn, labels[i], `labels[${i}]`);
    s[i] = checkScore(fn, scores[i], `scores[${i}]`, probability);
    positives += l[i]!;
  }
  return { labels: l, scores: s, n, positives, negatives: n - positives };
}

export function checkFinite(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MetricsError('INVALID_OPTION', `${fn}: ${name} must be a finite number, got ${show(value)}.`);
  }
  return value;
}

export function checkInteger(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new MetricsError('INVALID_OPTION', `${fn}: ${name} must be an integer >= ${min}, got ${show(value)}.`);
  }
  return value;
}

/** A number strictly between `lo` and `hi` (or up to `hi` inclusive when `hiInclusive`). */
export function checkOpenRange(fn: string, name: string, value: unknown, lo: number, hi: number, hiInclusive = false): number {
  const ok = typeof value === 'number' && value > lo && (hiInclusive ? value <= hi : value < hi);
  if (!ok) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${fn}: ${name} must be in (${lo}, ${hi}${hiInclusive ? ']' : ')'}, got ${show(value)}.`,
    );
  }
  return value as number;
}
