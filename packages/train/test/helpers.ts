import { readFileSync } from 'node:fs';
import { openMedMNIST, subsetSplit, type DatasetSplit } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';

let cache: ReturnType<typeof openMedMNIST> | undefined;
/** The shared PneumoniaMNIST (not the official md5: loaded with verification off, explicitly). */
export const pneumonia = () => (cache ??= openMedMNIST(new Uint8Array(readFileSync(sharedPath('data', 'pneumoniamnist.npz'))), { flag: 'pneumoniamnist', verify: false }));

/** The first `n` images of a split (both classes are present early in every split). */
export const firstN = (split: DatasetSplit, n: number) => subsetSplit(split, Array.from({ length: n }, (_, i) => i));
