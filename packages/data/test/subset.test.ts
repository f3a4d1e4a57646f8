import { describe, expect, it } from 'vitest';
import { allImageBytes, classCounts, datasetInfo, imageAt, imagesInMemory, limitSplits, sourceIndexOf, strataOf, stratifiedCounts, stratifiedIndices, stratifiedSubset, type DatasetSplit } from '@medxfer/data';

function split(labels: number[]): DatasetSplit {
  const info = datasetInfo('pneumoniamnist');
  const images = new Uint8Array(labels.length * 4).map((_, i) => i % 251);
  return { info, split: 'train', size: 2, count: labels.length, imageShape: [2, 2], images: imagesInMemory(images, 4), labels: Uint8Array.from(labels), labelWidth: 1 };
}

describe('stratified subsets', () => {
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
    const small = stratifiedSubset(s, 8, 1);
    expect(small.count).toBe(8);
    expect(classCounts(small)).toEqual([2, 6]);
    expect(allImageBytes(small.images)).toHaveLength(32);
    expect(stratifiedSubset(s, 0, 1)).toBe(s);
    expect(stratifiedSubset(s, 100, 1)).toBe(s);
  });

  it('remembers where each image of a subset came from', () => {
    const s = split(Array.from({ length: 40 }, (_, i) => (i < 10 ? 0 : 1)));
    const small = stratifiedSubset(s, 8, 1);
    for (let i = 0; i < small.count; i++) {
      const from = sourceIndexOf(small, i);
      expect(small.labels[i]).toBe(s.labels[from]);
      expect([...imageAt(small, i)]).toEqual([...imageAt(s, from)]);
    }
    const smaller = stratifiedSubset(small, 4, 2);
    expect(Array.from({ length: 4 }, (_, i) => s.labels[sourceIndexOf(smaller, i)])).toEqual([...smaller.labels]);
  });

  it('stratifies multi-label splits by their rarest present finding, keeping images without one apart', () => {
    const info = datasetInfo('chestmnist');
    const width = info.labels.length;
    const labels = new Uint8Array(100 * width);
    for (let i = 0; i < 100; i++) {
      if (i % 10 === 0) labels[i * width + 13] = 1; // rare: hernia in 10 images
      if (i % 2 === 0) labels[i * width + 0] = 1; // common: atelectasis in 50
    }
    const s: DatasetSplit = { info, split: 'train', size: 1, count: 100, imageShape: [1, 1], images: imagesInMemory(new Uint8Array(100), 1), labels, labelWidth: width };
    const { strata, count } = strataOf(s);
    expect(count).toBe(width + 1);
    expect(strata[0]).toBe(13); // both findings: the rarer one
    expect(strata[2]).toBe(0);
    expect(strata[1]).toBe(width); // no finding
    const half = stratifiedSubset(s, 50, 3);
    expect(classCounts(half)[13]).toBe(5);
    expect(classCounts(half)[0]).toBe(25);
  });

  it('limits every split of a dataset with its own seed', () => {
    const s = split(Array.from({ length: 40 }, (_, i) => (i < 10 ? 0 : 1)));
    const limited = limitSplits({ train: s, val: { ...s, split: 'val' }, test: { ...s, split: 'test' } }, { train: 20, eval: 8 }, 5);
    expect([limited.train.count, limited.val.count, limited.test.count]).toEqual([20, 8, 8]);
    expect(limitSplits({ train: s, val: s, test: s }, {}, 5).train).toBe(s);
    expect([...limited.val.sourceIndices!]).not.toEqual([...limited.test.sourceIndices!]);
  });
});
