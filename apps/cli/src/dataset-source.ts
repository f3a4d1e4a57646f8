import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetFile, datasetInfo, loadMedMNIST, openMedMNIST, type DownloadProgress, type FileProgress, type MedMNIST } from '@medxfer/data';
import { defaultRoot, nodeStore } from '@medxfer/data/node';
import { cliFetch } from './network.js';

/** Datasets shipped inside the CLI so it works offline, with the md5 of each shipped copy. */
export const BUNDLED: readonly { flag: string; size: number; file: string; md5: string }[] = [
  { flag: 'pneumoniamnist', size: 28, file: 'pneumoniamnist.npz', md5: 'b591286d75c096548ca78ab709b385da' },
];
export const bundledDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'data');

export interface DatasetRequest {
  flag: string;
  size: number;
  /** A folder the user named; else $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy. */
  root?: string;
  noVerify?: boolean;
  download?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Hashing and inflating progress of large files. */
  onFileProgress?: (p: FileProgress) => void;
  /** `false`: do not inflate large deflated entries yet (for `datasets info`). */
  prepare?: boolean;
}

/**
 * Finds a dataset the way users expect: the folder they named (downloading into it when needed);
 * else the default root when the file is there; else the copy bundled with medxfer; else a download
 * into the default root.
 */
export async function openDataset(request: DatasetRequest): Promise<MedMNIST> {
  const info = datasetInfo(request.flag);
  const { fileName } = datasetFile(info, request.size);
  const verify = !request.noVerify;
  const load = (root: string) =>
    loadMedMNIST(info.flag, {
      store: nodeStore(root), size: request.size as 28, verify, download: request.download ?? true, fetch: cliFetch(),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.onFileProgress ? { onFileProgress: request.onFileProgress } : {}),
      ...(request.prepare === false ? { prepare: false } : {}),
    });
  if (request.root) return load(request.root);
  const root = defaultRoot();
  if (existsSync(join(root, fileName))) return load(root);
  const bundled = BUNDLED.find((b) => b.flag === info.flag && b.size === request.size);
  if (bundled && existsSync(join(bundledDir, bundled.file))) {
    const path = join(bundledDir, bundled.file);
    return openMedMNIST(new Uint8Array(await readFile(path)), { flag: info.flag, size: request.size, source: path, expectedMd5: bundled.md5, verify });
  }
  return load(root);
}
