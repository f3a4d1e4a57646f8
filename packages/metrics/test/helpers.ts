import { expect } from 'vitest';
import { MetricsError, type MetricsErrorCode } from '@medxfer/metrics';

/** Asserts that `fn` throws a MetricsError with `code` and a message matching every pattern. */
export function expectMetricsError(fn: () => unknown, code: MetricsErrorCode, ...patterns: RegExp[]): MetricsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MetricsError);
  const err = caught as MetricsError;
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe('MetricsError');
  expect(err.code).toBe(code);
  for (const p of patterns) expect(err.message).toMatch(p);
  return err;
}

/** A tiny LCG, independent of the package's PRNG, to make test data. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** AUC by its definition: P(pos > neg) + P(pos = neg) / 2 over all pairs. O(P·N). */
export function pairwiseAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}
