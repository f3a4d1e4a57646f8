import { describe, expect, it } from 'vitest';
import { availableSizes, CATALOGUE, datasetFile, datasetInfo, UnknownDatasetError } from '@medxfer/data';

describe('MedMNIST catalogue', () => {
  it('lists all 18 datasets: 12 2D and 6 3D', () => {
    expect(CATALOGUE).toHaveLength(18);
    expect(CATALOGUE.filter((d) => d.dimensions === 2)).toHaveLength(12);
    expect(CATALOGUE.filter((d) => d.dimensions === 3).map((d) => d.flag).sort()).toEqual(
      ['adrenalmnist3d', 'fracturemnist3d', 'nodulemnist3d', 'organmnist3d', 'synapsemnist3d', 'vesselmnist3d'],
    );
  });

  it('has sizes 28/64/128/224 for 2D and 28/64 for 3D, each with a zenodo URL and an md5', () => {
    for (const d of CATALOGUE) {
      expect(availableSizes(d)).toEqual(d.dimensions === 2 ? [28, 64, 128, 224] : [28, 64]);
      for (const size of availableSizes(d)) {
        const file = datasetFile(d, size);
        expect(file.md5).toMatch(/^[0-9a-f]{32}$/);
        expect(file.url).toMatch(new RegExp(`^https://zenodo\\.org/records/\\d+/files/${file.fileName.replace('.', '\\.')}\\?download=1$`));
      }
      expect(d.labels.length).toBeGreaterThan(1);
      expect(['CC BY 4.0', 'CC BY-NC 4.0']).toContain(d.licence);
    }
  });

  it('knows PneumoniaMNIST', () => {
    const p = datasetInfo('PneumoniaMNIST');
    expect(p).toMatchObject({ flag: 'pneumoniamnist', task: 'binary-class', channels: 1, labels: ['normal', 'pneumonia'], splits: { train: 4708, val: 524, test: 624 } });
    expect(datasetFile(p, 28)).toMatchObject({ fileName: 'pneumoniamnist.npz', md5: '28209eda62fecd6e6a2d98b1501bb15f' });
    expect(datasetFile(p, 224).fileName).toBe('pneumoniamnist_224.npz');
  });

  it('covers every task kind', () => {
    expect(new Set(CATALOGUE.map((d) => d.task))).toEqual(new Set(['binary-class', 'multi-class', 'multi-label, binary-class', 'ordinal-regression']));
    expect(datasetInfo('chestmnist')).toMatchObject({ task: 'multi-label, binary-class', labels: expect.arrayContaining(['hernia']) });
    expect(datasetInfo('chestmnist').labels).toHaveLength(14);
  });

  it('names unknown datasets and sizes', () => {
    expect(() => datasetInfo('catmnist')).toThrow(UnknownDatasetError);
    expect(() => datasetInfo('catmnist')).toThrow(/unknown dataset "catmnist"; known datasets: pathmnist, chestmnist/);
    expect(() => datasetFile(datasetInfo('organmnist3d'), 128)).toThrow(/organmnist3d has no size 128; available sizes: 28, 64/);
  });
});
