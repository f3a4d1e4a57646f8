// A file the user picked, read the way the CLI reads files on disk: by offset (FileReaderSync over Blob.slice in
// this worker), md5 streamed through hash-wasm, large deflated entries inflated once into the origin-private file
// system (OPFS) and read from there. No whole-file ArrayBuffer, so files of any size open.
import { FileChangedError, type InflateCache, type OpenFile, type RandomAccessFile, type ZipEntry } from '@medxfer/data';
import { createMD5 } from 'hash-wasm';

interface SyncReader {
  readAsArrayBuffer(blob: Blob): ArrayBuffer;
}

/** `blob` read by offset (workers only: FileReaderSync). A file changed on disk since it was picked fails in one line. */
export function blobFile(blob: Blob, name: string): RandomAccessFile {
  const Reader = (globalThis as { FileReaderSync?: new () => SyncReader }).FileReaderSync;
  if (!Reader) throw new Error('reading a file by offset needs a worker (FileReaderSync)');
  const reader = new Reader();
  return {
    name,
    size: blob.size,
    read(offset, length) {
      if (offset < 0 || offset + length > blob.size) throw new RangeError(`${name}: bytes ${offset}..${offset + length} lie past its end (${blob.size})`);
      try {
        return new Uint8Array(reader.readAsArrayBuffer(blob.slice(offset, offset + length)));
      } catch (cause) {
        // The browser refuses to read a picked file that changed since (NotReadableError).
        throw Object.assign(new FileChangedError(name, `cannot be read any more (${(cause as Error).name}); it was probably changed or moved; pick it again`), { cause });
      }
    },
  };
}

const HASH_PIECE = 8 * 2 ** 20;

/** The md5 of `blob`, read in 8 MiB pieces through hash-wasm's MD5 (WebAssembly); `onProgress` after each piece. */
export async function md5OfBlob(blob: Blob, onProgress?: (done: number, total: number) => void): Promise<string> {
  const md5 = await createMD5();
  md5.init();
  for (let at = 0; at < blob.size; at += HASH_PIECE) {
    md5.update(new Uint8Array(await blob.slice(at, at + HASH_PIECE).arrayBuffer()));
    onProgress?.(Math.min(blob.size, at + HASH_PIECE), blob.size);
  }
  return md5.digest('hex');
}

// The subset of OPFS's sync access handle used here (lib.dom does not declare it; it exists in workers).
interface SyncAccessHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

/** Handles this worker holds open, by path: OPFS allows one per file, so re-opening closes the last one. */
const openHandles = new Map<string, SyncAccessHandle>();

async function accessHandle(folder: FileSystemDirectoryHandle, name: string, path: string): Promise<SyncAccessHandle> {
  openHandles.get(path)?.close();
  openHandles.delete(path);
  const file = (await folder.getFileHandle(name, { create: true })) as SyncFileHandle;
  const handle = await file.createSyncAccessHandle();
  openHandles.set(path, handle);
  return handle;
}

function handleFile(handle: SyncAccessHandle, name: string, path: string): OpenFile {
  const size = handle.getSize();
  return {
    name,
    size,
    read(offset, length) {
      if (offset < 0 || offset + length > size) throw new RangeError(`${name}: bytes ${offset}..${offset + length} lie past its end (${size})`);
      const out = new Uint8Array(length);
      if (handle.read(out, { at: offset }) !== length) throw new FileChangedError(name, 'ended early (the browser storage was cleared?)');
      return out;
    },
    close: async () => {
      handle.close();
      if (openHandles.get(path) === handle) openHandles.delete(path);
    },
  };
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Inflated entries of the picked `file` in OPFS (`medxfer-cache/<name>-<size>-<lastModified>/`): the copy, then a
 * stamp written after it; a copy without its stamp, or from another version of the file, is never read. Copies of
 * other versions of a file with the same name are removed when a new one is made.
 */
export function opfsInflateCache(file: File): InflateCache {
  const version = `${safeName(file.name)}-${file.size}-${file.lastModified}`;
  const location = `this browser's storage (medxfer-cache/${version})`;
  const folder = async () => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('medxfer-cache', { create: true });
    return { root, dir: await root.getDirectoryHandle(version, { create: true }) };
  };
  const stampOf = (entry: ZipEntry) => JSON.stringify({ file: file.name, size: file.size, lastModified: file.lastModified, entry: entry.name, bytes: entry.uncompressedSize, crc32: entry.crc32 });
  return {
    location,
    async open(entry) {
      const { dir } = await folder();
      const stamp = await dir.getFileHandle(`${entry.name}.json`).then((h) => h.getFile()).then((f) => f.text()).catch(() => undefined);
      if (stamp !== stampOf(entry)) return undefined;
      const path = `${version}/${entry.name}`;
      const handle = await accessHandle(dir, entry.name, path);
      if (handle.getSize() !== entry.uncompressedSize) return undefined;
      return handleFile(handle, `${location}/${entry.name}`, path);
    },
    async write(entry, fill) {
      const { root, dir } = await folder();
      const stale: string[] = [];
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
        if (name !== version && name.startsWith(`${safeName(file.name)}-`)) stale.push(name);
      }
      for (const name of stale) await root.removeEntry(name, { recursive: true });
      await dir.removeEntry(`${entry.name}.json`).catch(() => {});
      const path = `${version}/${entry.name}`;
      const handle = await accessHandle(dir, entry.name, path);
      handle.truncate(0);
      let at = 0;
      try {
        await fill(async (chunk) => {
          at += handle.write(chunk, { at });
        });
        handle.flush();
      } catch (error) {
        // A full quota or a damaged entry: nothing partial stays behind (it would not be trusted, but it takes room).
        handle.close();
        openHandles.delete(path);
        await dir.removeEntry(entry.name).catch(() => {});
        throw error;
      }
      const writable = await (await dir.getFileHandle(`${entry.name}.json`, { create: true })).createWritable();
      await writable.write(stampOf(entry));
      await writable.close();
      return handleFile(handle, `${location}/${entry.name}`, path);
    },
  };
}
