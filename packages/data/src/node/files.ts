// Large files in Node: read by offset, hashed once, written from streams, deflated entries inflated into a cache.
import { createHash, randomBytes } from 'node:crypto';
import { fstatSync, readSync, type Stats } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileChangedError } from '../errors.js';
import type { FileProgress, InflateCache, OpenFile } from '../store.js';
import type { ZipEntry } from '../zip.js';

/** What identifies one version of a file: its size and modification time. */
interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
}

const versionOf = (stats: Stats): FileVersion => ({ size: stats.size, mtimeMs: stats.mtimeMs });
const sameVersion = (a: FileVersion | undefined, b: FileVersion) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * Opens a file for synchronous reads by offset. Each read checks that the file kept its size and modification
 * time (a `fstat`, about a microsecond) and got every byte asked for; otherwise {@link FileChangedError}.
 */
export async function openFileReader(path: string): Promise<OpenFile> {
  const handle = await open(path, 'r');
  const opened = versionOf(await handle.stat());
  const fd = handle.fd;
  return {
    name: path,
    size: opened.size,
    read(offset, length) {
      const now = versionOf(fstatSync(fd));
      if (!sameVersion(opened, now)) throw new FileChangedError(path, now.size !== opened.size ? `changed size (${opened.size} → ${now.size} bytes)` : 'was modified');
      if (offset < 0 || offset + length > opened.size) throw new RangeError(`${path}: bytes ${offset}..${offset + length} lie past its end (${opened.size})`);
      const out = new Uint8Array(length);
      for (let got = 0; got < length; ) {
        const n = readSync(fd, out, got, length - got, offset + got);
        if (n === 0) throw new FileChangedError(path, `ended at byte ${offset + got}, before its recorded size`);
        got += n;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

/** Writes `path` through `write` atomically: a temporary file, flushed, then renamed; nothing is left on error. */
async function writeFileWith(path: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    // Writes through a handle fail without a path (a full disk): name the file being made.
    if (error instanceof Error && (error as NodeJS.ErrnoException).code && !(error as NodeJS.ErrnoException).path) (error as NodeJS.ErrnoException).path = path;
    throw error;
  }
}

/**
 * Writes a file atomically: a temporary file in the same folder, flushed, then renamed over the
 * target. A crash leaves the old file or the new one, never a part; the temporary file is removed on error.
 */
export const writeFileAtomic = (path: string, bytes: Uint8Array | string): Promise<void> => writeFileWith(path, (handle) => handle.writeFile(bytes));

/** Writes chunks to `path` atomically (as {@link writeFileWith}); returns their md5, remembered as {@link md5File} does. */
export async function writeStreamAtomic(path: string, chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('md5');
  await writeFileWith(path, async (handle) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      await writeAll(handle, chunk);
    }
  });
  const md5 = hash.digest('hex');
  await remember(md5Stamp(path), { ...versionOf(await stat(path)), md5 });
  return md5;
}

const md5Stamp = (path: string) => join(sideFolder(path), 'md5.json');

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
}

/** The folder next to `path` where medxfer keeps what it derives from the file (its md5, inflated entries). */
export const sideFolder = (path: string): string => join(dirname(path), `${basename(path)}.medxfer`);

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined; // missing or half-written by an older version: not trusted, made again
  }
}

const READ_BYTES = 4 * 2 ** 20;

/**
 * The file's md5 with node:crypto, read in 4 MiB pieces; remembered next to the file with its size and
 * modification time, so a second call does not read it again. `cachedOnly`: the remembered md5 or `undefined`.
 */
export async function md5File(path: string, options: { cachedOnly?: boolean; onProgress?: (progress: FileProgress) => void } = {}): Promise<string | undefined> {
  const stamp = md5Stamp(path);
  const version = versionOf(await stat(path));
  const known = await readJson<FileVersion & { md5: string }>(stamp);
  if (known && sameVersion(known, version)) return known.md5;
  if (options.cachedOnly) return undefined;
  const hash = createHash('md5');
  const handle = await open(path, 'r');
  try {
    // Two buffers: the next piece is read (on libuv's threads) while this one is hashed.
    const buffers = [new Uint8Array(READ_BYTES), new Uint8Array(READ_BYTES)];
    const readAt = (at: number, k: number) => handle.read(buffers[k % 2]!, 0, Math.min(READ_BYTES, version.size - at), at);
    let pending = version.size > 0 ? readAt(0, 0) : undefined;
    for (let done = 0, k = 0; pending; k++) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) throw new FileChangedError(path, `ended at byte ${done}, before its size ${version.size}`);
      done += bytesRead;
      pending = done < version.size ? readAt(done, k + 1) : undefined;
      hash.update(buffers[k % 2]!.subarray(0, bytesRead));
      options.onProgress?.({ stage: 'hash', what: path, done, total: version.size });
    }
    if (!sameVersion(versionOf(await handle.stat()), version)) throw new FileChangedError(path, 'was modified');
  } finally {
    await handle.close();
  }
  const md5 = hash.digest('hex');
  await remember(stamp, { ...version, md5 });
  return md5;
}

/** Writes a stamp that only saves work later: a folder that cannot be written to (read-only data) costs a re-hash. */
const remember = (stamp: string, value: unknown): Promise<void> => writeJsonAtomic(stamp, value).catch(() => {});

const writeJsonAtomic = (path: string, value: unknown): Promise<void> =>
  writeFileWith(path, (handle) => writeAll(handle, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)));

/** What a cached entry records: the source version it was made from, and the entry's identity. */
interface CacheStamp {
  readonly source: FileVersion;
  readonly entry: { readonly name: string; readonly bytes: number; readonly crc32: number };
}

/**
 * Inflated entries of the file at `path`, in its side folder: `<entry>.npy` beside a stamp `<entry>.json` written
 * after it. A copy whose stamp is missing or names another version of the file or entry is never read.
 */
export function folderInflateCache(path: string): InflateCache {
  const folder = sideFolder(path);
  const files = (entry: ZipEntry) => ({ data: join(folder, entry.name), stamp: join(folder, `${entry.name}.json`) });
  const stampOf = async (entry: ZipEntry): Promise<CacheStamp> => ({
    source: versionOf(await stat(path)),
    entry: { name: entry.name, bytes: entry.uncompressedSize, crc32: entry.crc32 },
  });
  return {
    location: folder,
    async open(entry) {
      const { data, stamp } = files(entry);
      const recorded = await readJson<CacheStamp>(stamp);
      const expected = await stampOf(entry);
      if (!recorded || JSON.stringify(recorded) !== JSON.stringify(expected)) return undefined;
      const reader = await openFileReader(data).catch(() => undefined);
      if (reader && reader.size !== entry.uncompressedSize) {
        await reader.close();
        return undefined;
      }
      return reader;
    },
    async write(entry, fill) {
      const { data, stamp } = files(entry);
      const expected = await stampOf(entry);
      await rm(stamp, { force: true });
      await writeFileWith(data, (handle) => fill((chunk) => writeAll(handle, chunk)));
      if (!sameVersion((await stampOf(entry)).source, expected.source)) throw new FileChangedError(path, 'was modified');
      await writeJsonAtomic(stamp, expected);
      return openFileReader(data);
    },
  };
}
