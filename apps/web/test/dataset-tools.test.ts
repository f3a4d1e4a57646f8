import { describe, expect, it } from 'vitest';
import { classCounts, datasetInfo, type DatasetSplit } from '@medxfer/data';
import { limitSplit, recogniseFileName, stratifiedCounts, stratifiedIndices, trainableDatasets } from '../src/dataset-tools.js';

function split(labels: number[]): DatasetSplit {
  const info = datasetInfo('pneumoniamnist');
  const images = new Uint8Array(labels.length * 4).map((_, i) => i % 251);
  return { info, split: 'train', size: 2, count: labels.length, imageShape: [2, 2], images, labels: Uint8Array.from(labels), labelWidth: 1 };
}

describe('dataset tools', () => {
  it('offers only the 2D single-label catalogue datasets', () => {
    const flags = trainableDatasets().map((d) => d.flag);
    expect(flags).toContain('pneumoniamnist');
    expect(flags).toContain('bloodmnist');
    expect(flags).not.toContain('chestmnist'); // multi-label
    expect(flags).not.toContain('organmnist3d'); // 3D
    expect(flags).toHaveLength(11);
  });

  it('recognises MedMNIST file names', () => {
    expect(recogniseFileName('pneumoniamnist.npz')).toEqual({ flag: 'pneumoniamnist', size: 28 });
    expect(recogniseFileName('BloodMNIST_64.npz')).toEqual({ flag: 'bloodmnist', size: 64 });
    expect(recogniseFileName('dermamnist_224 (1).npz')).toEqual({ flag: 'dermamnist', size: 224 });
    expect(recogniseFileName('mydata.npz')).toBeUndefined();
    expect(recogniseFileName('pneumoniamnist.zip')).toBeUndefined();
  });

  it('keeps class proportions (largest remainder)', () => {
    expect(stratifiedCounts([1214, 3494], 400)).toEqual([103, 297]);
    expect(stratifiedCounts([135, 389], 100)).toEqual([26, 74]);
    expect(stratifiedCounts([3, 3, 3], 4)).toEqual([2, 1, 1]);
    expect(stratifiedCounts([5, 1], 10)).toEqual([5, 1]);
  });

  it('draws the same stratified subset for the same seed', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 0 : 1));
    const a = stratifiedIndices(labels, 2, 20, 7);
    expect(a).toEqual(stratifiedIndices(labels, 2, 20, 7));
    expect(a).not.toEqual(stratifiedIndices(labels, 2, 20, 8));
    expect(a.filter((i) => labels[i] === 0)).toHaveLength(5);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(new Set(a).size).toBe(20);
  });

  it('limits a split, or returns it as is', () => {
    const s = split(Array.from({ length: 40 }, (_, i) => (i < 10 ? 0 : 1)));
    const small = limitSplit(s, 8, 1);
    expect(small.count).toBe(8);
    expect(classCounts(small)).toEqual([2, 6]);
    expect(small.images).toHaveLength(32);
    expect(limitSplit(s, 0, 1)).toBe(s);
    expect(limitSplit(s, 100, 1)).toBe(s);
  });
});
