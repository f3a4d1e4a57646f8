// Seeded, stratified subsets of a split: quick trials, demos and evaluation limits keep every class.
import { isSingleLabel, type Split } from './catalogue.js';
import { classCounts, subsetSplit, type DatasetSplit } from './dataset.js';
import { mixSeed, permutation, seededRandom } from './random.js';

/**
 * How many of each stratum to take so that `n` samples keep the proportions of `counts` (largest remainder;
 * ties go to the lower index).
 */
export function stratifiedCounts(counts: readonly number[], n: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (n >= total) return [...counts];
  const exact = counts.map((c) => (c / total) * n);
  const take = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = n - take.reduce((a, b) => a + b, 0);
  for (let k = 0; left > 0; k++) {
    const c = order[k % order.length]![1];
    if (take[c]! < counts[c]!) take[c]!++, left--;
  }
  return take;
}

/** `n` indices stratified by `strata` (one small integer per sample) and seeded, in ascending order. */
export function stratifiedIndices(strata: ArrayLike<number>, strataCount: number, n: number, seed: number): number[] {
  const members: number[][] = Array.from({ length: strataCount }, () => []);
  for (let i = 0; i < strata.length; i++) members[strata[i]!]!.push(i);
  const take = stratifiedCounts(members.map((m) => m.length), n);
  const random = seededRandom(seed);
  const chosen: number[] = [];
  members.forEach((m, c) => {
    const perm = permutation(m.length, random);
    for (let k = 0; k < take[c]!; k++) chosen.push(m[perm[k]!]!);
  });
  return chosen.sort((a, b) => a - b);
}

/**
 * The stratum of each image: its class (single-label), or for multi-label sets its rarest present label, with
 * images without any finding in a stratum of their own (so rare findings keep their share).
 */
export function strataOf(split: DatasetSplit): { strata: Uint8Array | Uint16Array; count: number } {
  if (isSingleLabel(split.info.task)) return { strata: split.labels, count: split.info.labels.length };
  const width = split.labelWidth;
  const positives = classCounts(split);
  const strata = new Uint16Array(split.count).fill(width);
  for (let i = 0; i < split.count; i++) {
    for (let j = 0; j < width; j++) {
      if (split.labels[i * width + j] && (strata[i] === width || positives[j]! < positives[strata[i]!]!)) strata[i] = j;
    }
  }
  return { strata, count: width + 1 };
}

/** At most `n` images of a split, stratified and seeded; the split itself when it is small enough or `n` is 0/absent. */
export function stratifiedSubset(split: DatasetSplit, n: number | undefined, seed: number): DatasetSplit {
  if (!n || n >= split.count) return split;
  const { strata, count } = strataOf(split);
  return subsetSplit(split, stratifiedIndices(strata, count, n, seed));
}

/** Limits on how many images of each split to use: `train` for the training split, `eval` for val and test each. */
export interface SplitLimits {
  readonly train?: number;
  readonly eval?: number;
}

/** The splits of a dataset cut to `limits`, each a stratified subset seeded from `seed` and the split's name. */
export function limitSplits(splits: Readonly<Record<Split, DatasetSplit>>, limits: SplitLimits, seed: number): Record<Split, DatasetSplit> {
  return {
    train: stratifiedSubset(splits.train, limits.train, mixSeed(seed, 1)),
    val: stratifiedSubset(splits.val, limits.eval, mixSeed(seed, 2)),
    test: stratifiedSubset(splits.test, limits.eval, mixSeed(seed, 3)),
  };
}
