// Dataset helpers of the web app, pure: which catalogue entries the app can train, file-name
// recognition, stratified seeded subsets, summaries.
import { CATALOGUE, classCounts, isSingleLabel, permutation, seededRandom, subsetSplit, type DatasetInfo, type DatasetSplit } from '@medxfer/data';

/** The catalogue datasets the trainer supports: 2D and single-label (binary, multi-class, ordinal). */
export function trainableDatasets(): DatasetInfo[] {
  return CATALOGUE.filter((d) => d.dimensions === 2 && isSingleLabel(d.task));
}

/** Recognises MedMNIST file names: `pneumoniamnist.npz` → 28 px, `bloodmnist_64.npz` → 64 px. */
export function recogniseFileName(name: string): { flag: string; size: number } | undefined {
  const m = /^([a-z0-9]+?)(?:_(28|64|128|224))?(?:\s*\(\d+\))?\.npz$/i.exec(name.trim());
  if (!m) return undefined;
  const flag = m[1]!.toLowerCase();
  if (!CATALOGUE.some((d) => d.flag === flag)) return undefined;
  return { flag, size: m[2] ? Number(m[2]) : 28 };
}

/**
 * How many of each class to take so that `n` images keep the class proportions of `counts`
 * (largest remainder; ties go to the lower class index).
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

/** `n` indices of a single-label split, stratified by class and seeded, in ascending order. */
export function stratifiedIndices(labels: ArrayLike<number>, classes: number, n: number, seed: number): number[] {
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) members[labels[i]!]!.push(i);
  const take = stratifiedCounts(members.map((m) => m.length), n);
  const random = seededRandom(seed);
  const chosen: number[] = [];
  members.forEach((m, c) => {
    const perm = permutation(m.length, random);
    for (let k = 0; k < take[c]!; k++) chosen.push(m[perm[k]!]!);
  });
  return chosen.sort((a, b) => a - b);
}

/** At most `n` images of a split (stratified, seeded); the split itself when it is small enough or `n` is 0. */
export function limitSplit(split: DatasetSplit, n: number | undefined, seed: number): DatasetSplit {
  if (!n || n >= split.count) return split;
  return subsetSplit(split, stratifiedIndices(split.labels, split.info.labels.length, n, seed));
}

export const splitSummary = (split: DatasetSplit) => ({ count: split.count, classCounts: classCounts(split) });
