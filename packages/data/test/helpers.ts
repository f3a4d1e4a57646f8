import { readFileSync } from 'node:fs';
import { sharedPath } from '../../../test-support/paths.js';

export const PNEUMONIA_NPZ = sharedPath('data', 'pneumoniamnist.npz');
let cached: Uint8Array | undefined;
/** The shared real PneumoniaMNIST file (read once per test file). */
export const pneumoniaBytes = (): Uint8Array => (cached ??= new Uint8Array(readFileSync(PNEUMONIA_NPZ)));
export const SHARED_MD5 = 'b591286d75c096548ca78ab709b385da';
