import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository's copy of the shared fixtures (test-support/shared/, checked by .ci/fixtures-match.sh); MEDXFER_SHARED overrides. */
export const sharedDir = process.env.MEDXFER_SHARED ?? resolve(repoRoot, 'test-support/shared');

export const sharedPath = (...parts: string[]): string => {
  const path = resolve(sharedDir, ...parts);
  if (!existsSync(path)) throw new Error(`fixture missing: ${path} (test-support/shared/ in the repository; MEDXFER_SHARED overrides it)`);
  return path;
};
