import { readFileSync } from 'node:fs';
import { openMedMNIST, stratifiedSubset, type DatasetSplit } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';

let cache: ReturnType<typeof openMedMNIST> | undefined;
/** The shared PneumoniaMNIST (not the official md5: loaded with verification off, explicitly). */
export const pneumonia = () => (cache ??= openMedMNIST(new Uint8Array(readFileSync(sharedPath('data', 'pneumoniamnist.npz'))), { flag: 'pneumoniamnist', verify: false }));

/**
 * `n` images of a split, a seeded stratified sample (the bundled training split is stored by class: its first
 * 3,494 images are all pneumonia, and a classifier cannot train on one class).
 */
export const sampleOf = (split: DatasetSplit, n: number) => stratifiedSubset(split, n, 1);
