// A folder of the user's own images → a dataset, torchvision `ImageFolder` style: one sub-folder per
// class (sorted by name), optionally inside `train/`, `val/` and `test/` folders. Pure: the worker
// decodes the files and hands the pixels here; nothing leaves the page.
import { imagesInMemory, isGrey, permutation, seededRandom, type DatasetInfo, type DatasetSplit, type RasterImage, type Split } from '@medxfer/data';
import { resizedPixels } from './image-input.js';

export class FolderDatasetError extends Error {
  override name = 'FolderDatasetError';
}

const IMAGE = /\.(png|jpe?g)$/i;
const SPLIT_NAMES: Record<string, Split> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

export interface FolderItem {
  readonly path: string;
  readonly classIndex: number;
  /** Set when the folder has train/val/test sub-folders. */
  readonly split?: Split;
}

export interface FolderPlan {
  /** The common top folder (the one the user picked), or '' when the paths have none. */
  readonly root: string;
  readonly classes: string[];
  readonly items: FolderItem[];
  /** Files left out, with why. */
  readonly skipped: { path: string; reason: string }[];
  readonly hasSplits: boolean;
}

/**
 * Works out the classes (and splits) from the files' relative paths, e.g.
 * `xrays/normal/a.png`, `xrays/pneumonia/b.jpg` → classes [normal, pneumonia]; or
 * `xrays/train/normal/a.png`, `xrays/test/normal/c.png`, … → the given splits.
 */
export function planFolder(paths: readonly string[]): FolderPlan {
  const skipped: { path: string; reason: string }[] = [];
  const parts: { path: string; segs: string[] }[] = [];
  for (const path of paths) {
    const segs = path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
    if (segs.some((s) => s.startsWith('.') || s === '__MACOSX')) continue; // hidden files and folders, macOS zip debris
    if (!IMAGE.test(segs[segs.length - 1] ?? '')) {
      skipped.push({ path, reason: 'not a PNG or JPEG' });
      continue;
    }
    parts.push({ path, segs });
  }
  if (parts.length === 0) throw new FolderDatasetError('the folder holds no PNG or JPEG images');
  // Strip the picked folder's own name when every path starts with it.
  const first = parts[0]!.segs[0]!;
  const root = parts.every((p) => p.segs.length > 1 && p.segs[0] === first) && parts.some((p) => p.segs.length > 2) ? first : '';
  const rel = parts.map((p) => ({ path: p.path, segs: root ? p.segs.slice(1) : p.segs }));
  // Files lying next to the class (or split) folders are skipped below, so only nested files decide the layout.
  const nested = rel.filter((r) => r.segs.length > 1);
  const tops = new Set(nested.map((r) => r.segs[0]!.toLowerCase()));
  const hasSplits = tops.size > 0 && [...tops].every((t) => t in SPLIT_NAMES) && nested.every((r) => r.segs.length >= 3);
  const classOf = (segs: string[]) => (hasSplits ? segs[1]! : segs[0]!);
  const usable = rel.filter((r) => {
    if (r.segs.length < (hasSplits ? 3 : 2)) {
      skipped.push({ path: r.path, reason: 'not inside a class folder' });
      return false;
    }
    return true;
  });
  const classes = [...new Set(usable.map((r) => classOf(r.segs)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) {
    throw new FolderDatasetError(
      `found ${classes.length === 0 ? 'no class folders' : `one class folder (${classes[0]})`}: put the images in one sub-folder per class, e.g. normal/ and pneumonia/`,
    );
  }
  if (classes.length > 255) throw new FolderDatasetError(`found ${classes.length} class folders; at most 255 are supported`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const items = usable.map((r) => ({ path: r.path, classIndex: index.get(classOf(r.segs))!, ...(hasSplits ? { split: SPLIT_NAMES[r.segs[0]!.toLowerCase()]! } : {}) }));
  return { root, classes, items, skipped, hasSplits };
}

/**
 * Stratified, seeded train/val/test assignment: in each class `round(n · val)` images go to val and
 * `round(n · test)` to test (at least one each when the fraction is not 0), the rest to train.
 */
export function assignSplits(classIndices: readonly number[], classes: readonly string[], seed: number, fractions = { val: 0.15, test: 0.15 }): Split[] {
  const out = new Array<Split>(classIndices.length);
  const random = seededRandom(seed);
  const atLeast = (fraction: number, n: number) => (fraction > 0 ? Math.max(1, Math.round(n * fraction)) : 0);
  const needed = 1 + (fractions.val > 0 ? 1 : 0) + (fractions.test > 0 ? 1 : 0);
  for (let c = 0; c < classes.length; c++) {
    const members: number[] = [];
    classIndices.forEach((k, i) => k === c && members.push(i));
    if (members.length < needed) {
      throw new FolderDatasetError(`class "${classes[c]}" has ${members.length} image(s) to split; it needs at least ${needed} (one for each of ${['train', fractions.val > 0 ? 'val' : '', fractions.test > 0 ? 'test' : ''].filter(Boolean).join(', ')})`);
    }
    const nVal = atLeast(fractions.val, members.length);
    const nTest = atLeast(fractions.test, members.length);
    const perm = permutation(members.length, random);
    perm.forEach((p, k) => (out[members[p]!] = k < nTest ? 'test' : k < nTest + nVal ? 'val' : 'train'));
  }
  return out;
}

/**
 * The split of every item: the folder's own train/val/test folders when it has them (a missing val or
 * test split is carved out of train, stratified), else a stratified 70/15/15 assignment.
 */
export function splitsFor(plan: FolderPlan, seed: number): Split[] {
  const classIndices = plan.items.map((it) => it.classIndex);
  if (!plan.hasSplits) return assignSplits(classIndices, plan.classes, seed);
  const given = plan.items.map((it) => it.split!);
  const present = new Set(given);
  if (present.has('val') && present.has('test')) return given;
  if (!present.has('train')) throw new FolderDatasetError('the folder has val/test folders but no train folder');
  const trainAt = given.flatMap((s, i) => (s === 'train' ? [i] : []));
  const carved = assignSplits(trainAt.map((i) => classIndices[i]!), plan.classes, seed, { val: present.has('val') ? 0 : 0.15, test: present.has('test') ? 0 : 0.15 });
  const out = [...given];
  trainAt.forEach((i, k) => (out[i] = carved[k]!));
  return out;
}

export interface DecodedItem {
  readonly classIndex: number;
  readonly split: Split;
  readonly image: RasterImage;
}

export interface FolderDataset {
  readonly info: DatasetInfo;
  readonly size: number;
  readonly splits: Record<Split, DatasetSplit>;
  /** Grey when every image was grey. */
  readonly channels: 1 | 3;
}

/** The DatasetInfo of a folder dataset (the trainer and the metrics read task, labels and flag). */
export function folderInfo(name: string, classes: readonly string[], channels: 1 | 3, counts: Record<Split, number>): DatasetInfo {
  return {
    flag: 'folder',
    pythonClass: 'ImageFolder',
    dimensions: 2,
    task: classes.length === 2 ? 'binary-class' : 'multi-class',
    labels: [...classes],
    channels,
    splits: counts,
    licence: 'your own images (they stay in this page)',
    description: `Images from the folder ${name || '(unnamed)'}, one sub-folder per class.`,
    files: {},
  };
}

/** Resizes every image to `size` × `size` (grey if all are grey, else RGB) into three splits. */
export function buildFolderDataset(name: string, classes: readonly string[], items: readonly DecodedItem[], size: number): FolderDataset {
  const channels: 1 | 3 = items.every((it) => isGrey(it.image)) ? 1 : 3;
  const bySplit: Record<Split, DecodedItem[]> = { train: [], val: [], test: [] };
  for (const it of items) bySplit[it.split].push(it);
  for (const split of ['train', 'val', 'test'] as const) {
    if (bySplit[split].length === 0) throw new FolderDatasetError(`the ${split} split has no images`);
  }
  const counts = { train: bySplit.train.length, val: bySplit.val.length, test: bySplit.test.length };
  const info = folderInfo(name, classes, channels, counts);
  const per = size * size * channels;
  const make = (split: Split): DatasetSplit => {
    const list = bySplit[split];
    const images = new Uint8Array(list.length * per);
    const labels = new Uint8Array(list.length);
    list.forEach((it, k) => {
      images.set(resizedPixels(it.image, channels, size), k * per);
      labels[k] = it.classIndex;
    });
    return { info, split, size, count: list.length, imageShape: channels === 1 ? [size, size] : [size, size, 3], images: imagesInMemory(images, per), labels, labelWidth: 1 };
  };
  return { info, size, channels, splits: { train: make('train'), val: make('val'), test: make('test') } };
}
