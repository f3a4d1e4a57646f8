// Dataset helpers of the web app, pure: which catalogue entries the app can train, file-name
// recognition, summaries. (Stratified subsets come from @medxfer/data.)
import { CATALOGUE, classCounts, type DatasetInfo, type DatasetSplit } from '@medxfer/data';

/** The catalogue datasets the trainer supports: all of them (2D: binary, multi-class, ordinal, multi-label; 3D volumes). */
export function trainableDatasets(): DatasetInfo[] {
  return [...CATALOGUE];
}

/** Recognises MedMNIST file names: `pneumoniamnist.npz` → 28 px, `bloodmnist_64.npz` → 64 px. */
export function recogniseFileName(name: string): { flag: string; size: number } | undefined {
  const m = /^([a-z0-9]+?)(?:_(28|64|128|224))?(?:\s*\(\d+\))?\.npz$/i.exec(name.trim());
  if (!m) return undefined;
  const flag = m[1]!.toLowerCase();
  if (!CATALOGUE.some((d) => d.flag === flag)) return undefined;
  return { flag, size: m[2] ? Number(m[2]) : 28 };
}

export const splitSummary = (split: DatasetSplit) => ({ count: split.count, classCounts: classCounts(split) });
