import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `../shared` beside the repository (CI lays a copy there); MEDXFER_SHARED overrides. */
export const sharedDir = process.env.MEDXFER_SHARED ?? resolve(repoRoot, '../shared');

export const sharedPath = (...parts: string[]): string => {
  const path = resolve(sharedDir, ...parts);
  if (!existsSync(path)) throw new Error(`shared fixture missing: ${path} (set MEDXFER_SHARED to the shared/ folder)`);
  return path;
};
