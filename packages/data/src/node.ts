// @medxfer/data/node — the Node.js adapters: a file-system store and the default dataset root.
import { createHash } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileTooLargeError } from './errors.js';
import type { FileStore } from './store.js';
import { folderInflateCache, md5File, openFileReader, writeFileAtomic, writeStreamAtomic } from './node/files.js';

/** The environment variable that moves the default dataset root. */
export const ROOT_ENV = 'MEDMNIST_ROOT';

/** `$MEDMNIST_ROOT`, else `~/.medmnist` (the Python package's default). */
export function defaultRoot(env: Record<string, string | undefined> = process.env): string {
  return resolve(env[ROOT_ENV] || join(homedir(), '.medmnist'));
}

/** Reads a file, or `undefined` when it does not exist. */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ERR_FS_FILE_TOO_LARGE') throw new FileTooLargeError(path, (await stat(path)).size);
    throw error;
  }
}

/**
 * A {@link FileStore} over a folder (created on first write). Files of any size are opened by offset, hashed once
 * (the md5 is kept next to the file), downloaded as a stream, and their large deflated entries inflated into a
 * folder `<file>.medxfer` next to them.
 */
export function nodeStore(root: string = defaultRoot()): FileStore & { root: string } {
  const dir = resolve(root);
  const path = (name: string) => join(dir, name);
  return {
    root: dir,
    read: (name) => readFileIfExists(path(name)),
    writeAtomic: (name, bytes) => writeFileAtomic(path(name), bytes),
    locate: path,
    open: (name) => openFileReader(path(name)).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error))),
    writeStreamAtomic: (name, chunks) => writeStreamAtomic(path(name), chunks),
    remove: (name) => rm(path(name), { force: true }),
    md5: (name, options) => md5File(path(name), options),
    inflateCache: (name) => folderInflateCache(path(name)),
  };
}

export { folderInflateCache, md5File, openFileReader, sideFolder, writeFileAtomic, writeStreamAtomic } from './node/files.js';

/** SHA-256 of byte chunks as hex with node:crypto (≈ 20× the portable `sha256HexSync`): for checkpoint seals. */
export function sha256Node(...chunks: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  return hash.digest('hex');
}
