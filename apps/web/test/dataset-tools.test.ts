import { describe, expect, it } from 'vitest';
import { recogniseFileName, trainableDatasets } from '../src/dataset-tools.js';

describe('dataset tools', () => {
  it('offers every catalogue dataset: 2D (multi-label included) and 3D', () => {
    const flags = trainableDatasets().map((d) => d.flag);
    expect(flags).toContain('pneumoniamnist');
    expect(flags).toContain('bloodmnist');
    expect(flags).toContain('chestmnist'); // multi-label
    expect(flags).toContain('organmnist3d'); // 3D
    expect(flags).toHaveLength(18);
  });

  it('recognises MedMNIST file names', () => {
    expect(recogniseFileName('pneumoniamnist.npz')).toEqual({ flag: 'pneumoniamnist', size: 28 });
    expect(recogniseFileName('BloodMNIST_64.npz')).toEqual({ flag: 'bloodmnist', size: 64 });
    expect(recogniseFileName('dermamnist_224 (1).npz')).toEqual({ flag: 'dermamnist', size: 224 });
    expect(recogniseFileName('mydata.npz')).toBeUndefined();
    expect(recogniseFileName('pneumoniamnist.zip')).toBeUndefined();
  });

});
