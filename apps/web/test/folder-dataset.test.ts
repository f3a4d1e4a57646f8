import { describe, expect, it } from 'vitest';
import { classCounts, makeBatch, type RasterImage } from '@medxfer/data';
import { assignSplits, buildFolderDataset, FolderDatasetError, planFolder, splitsFor, type DecodedItem } from '../src/folder-dataset.js';

const grey = (v: number, w = 4, h = 4): RasterImage => ({ width: w, height: h, channels: 4, pixels: new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : v)) });

describe('planFolder', () => {
  it('reads one sub-folder per class under the picked folder (sorted, ImageFolder style)', () => {
    const plan = planFolder(['xrays/pneumonia/b.jpg', 'xrays/normal/a.png', 'xrays/normal/c.JPEG', 'xrays/notes.txt', 'xrays/.DS_Store', 'xrays/normal/._a.png']);
    expect(plan.root).toBe('xrays');
    expect(plan.classes).toEqual(['normal', 'pneumonia']);
    expect(plan.hasSplits).toBe(false);
    expect(plan.items.map((i) => [i.path, i.classIndex])).toEqual([
      ['xrays/pneumonia/b.jpg', 1],
      ['xrays/normal/a.png', 0],
      ['xrays/normal/c.JPEG', 0],
    ]);
    expect(plan.skipped).toEqual([{ path: 'xrays/notes.txt', reason: 'not a PNG or JPEG' }]);
  });

  it('accepts class folders dropped directly, Windows separators, and nested folders inside a class', () => {
    const plan = planFolder(['cats\\1.png', 'dogs/2.png', 'dogs/more/3.png']);
    expect(plan.root).toBe('');
    expect(plan.classes).toEqual(['cats', 'dogs']);
    expect(plan.items.map((i) => i.classIndex)).toEqual([0, 1, 1]);
  });

  it('uses train/val/test folders when present', () => {
    const plan = planFolder(['data/train/normal/a.png', 'data/train/pneumonia/b.png', 'data/val/normal/c.png', 'data/test/pneumonia/d.png', 'data/README.png']);
    expect(plan.hasSplits).toBe(true);
    expect(plan.classes).toEqual(['normal', 'pneumonia']);
    expect(plan.items.map((i) => i.split)).toEqual(['train', 'train', 'val', 'test']);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['not inside a class folder']);
  });

  it('explains what is wrong with a folder it cannot use', () => {
    expect(() => planFolder(['a.txt'])).toThrow(/no PNG or JPEG/);
    expect(() => planFolder(['normal/a.png', 'normal/b.png'])).toThrow(FolderDatasetError);
    expect(() => planFolder(['normal/a.png', 'normal/b.png'])).toThrow(/one class folder \(normal\)/);
    expect(() => planFolder(['a.png', 'b.png'])).toThrow(/no class folders/);
  });
});

describe('splits', () => {
  it('assigns 70/15/15 per class, seeded', () => {
    const classes = [...Array(40).fill(0), ...Array(20).fill(1)];
    const splits = assignSplits(classes, ['a', 'b'], 3);
    const tally = (c: number, s: string) => splits.filter((x, i) => x === s && classes[i] === c).length;
    expect([tally(0, 'train'), tally(0, 'val'), tally(0, 'test')]).toEqual([28, 6, 6]);
    expect([tally(1, 'train'), tally(1, 'val'), tally(1, 'test')]).toEqual([14, 3, 3]);
    expect(assignSplits(classes, ['a', 'b'], 3)).toEqual(splits);
    expect(assignSplits(classes, ['a', 'b'], 4)).not.toEqual(splits);
  });

  it('needs three images per class to fill three splits', () => {
    expect(() => assignSplits([0, 0, 0, 1, 1], ['normal', 'pneumonia'], 1)).toThrow(/"pneumonia" has 2 image/);
    expect(assignSplits([0, 0, 0, 1, 1, 1], ['a', 'b'], 1).sort()).toEqual(['test', 'test', 'train', 'train', 'val', 'val']);
  });

  it('carves a missing val split out of train', () => {
    const paths = [...Array.from({ length: 10 }, (_, i) => `train/a/${i}.png`), ...Array.from({ length: 10 }, (_, i) => `train/b/${i}.png`), 'test/a/x.png', 'test/b/y.png'];
    const plan = planFolder(paths);
    const splits = splitsFor(plan, 1);
    expect(splits.slice(20)).toEqual(['test', 'test']);
    expect(splits.slice(0, 20).filter((s) => s === 'val')).toHaveLength(4);
    expect(splits.slice(0, 20).filter((s) => s === 'test')).toHaveLength(0);
  });
});

describe('buildFolderDataset', () => {
  const items = (image: (k: number) => RasterImage): DecodedItem[] =>
    (['train', 'train', 'val', 'test', 'train', 'val', 'test'] as const).map((split, k) => ({ classIndex: k % 2, split, image: image(k) }));

  it('makes grey splits the training pipeline accepts', () => {
    const ds = buildFolderDataset('xrays', ['normal', 'pneumonia'], items((k) => grey(10 * k, 6, 3)), 4);
    expect(ds.channels).toBe(1);
    expect(ds.info.task).toBe('binary-class');
    expect(ds.info.labels).toEqual(['normal', 'pneumonia']);
    expect(ds.splits.train.count).toBe(3);
    expect(ds.splits.train.imageShape).toEqual([4, 4]);
    expect(ds.splits.train.images.bytes).toHaveLength(3 * 16);
    expect(classCounts(ds.splits.train)).toEqual([2, 1]);
    expect(ds.splits.val.images.read(0)[0]).toBe(20); // flat grey 20 stays 20 after resizing
    const batch = makeBatch(ds.splits.train, [0, 1, 2], { size: 28, channels: 1 });
    expect(batch.shape).toEqual([3, 28, 28, 1]);
  });

  it('keeps colour when any image is colour, and names a multi-class task', () => {
    const colour: RasterImage = { width: 2, height: 2, channels: 3, pixels: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) };
    const list = items((k) => (k === 0 ? colour : grey(5, 2, 2))).map((it, k) => ({ ...it, classIndex: k % 3 }));
    const ds = buildFolderDataset('', ['a', 'b', 'c'], list, 2);
    expect(ds.channels).toBe(3);
    expect(ds.info.task).toBe('multi-class');
    expect(ds.splits.train.imageShape).toEqual([2, 2, 3]);
    expect([...ds.splits.train.images.read(0).subarray(0, 3)]).toEqual([255, 0, 0]);
  });

  it('refuses an empty split', () => {
    const list = items((k) => grey(k)).map((it) => ({ ...it, split: it.split === 'test' ? ('val' as const) : it.split }));
    expect(() => buildFolderDataset('x', ['a', 'b'], list, 4)).toThrow(/test split has no images/);
  });
});
