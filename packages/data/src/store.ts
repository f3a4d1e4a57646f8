import type { RandomAccessFile } from './random-access.js';
import type { ZipEntry } from './zip.js';

/** Progress of a long step on a local file: hashing it, or inflating one of its entries into the cache. */
export interface FileProgress {
  readonly stage: 'hash' | 'inflate';
  /** The file, or `file:entry`. */
  readonly what: string;
  readonly done: number;
  readonly total: number;
}

/** A {@link RandomAccessFile} that holds an open handle until closed. */
export interface OpenFile extends RandomAccessFile {
  close(): Promise<void>;
}

/**
 * Inflated copies of a file's large deflated entries, kept next to it so they can be read by offset. A copy is
 * trusted only when complete and made from this very version of the file (its size, modification time and the
 * entry's CRC-32 are recorded with it); a partial copy is never used.
 */
export interface InflateCache {
  /** Where the copies are kept, for messages. */
  readonly location: string;
  /** The complete copy of `entry` made from the file as it is now, or `undefined`. */
  open(entry: ZipEntry): Promise<OpenFile | undefined>;
  /** Makes the copy: `fill` streams the entry's bytes into `sink`; the copy appears only once complete. */
  write(entry: ZipEntry, fill: (sink: (chunk: Uint8Array) => Promise<void>) => Promise<void>): Promise<OpenFile>;
}

/**
 * Where dataset (and weight) files are kept. The core never touches a file system: the caller passes
 * a store. `@medxfer/data/node` has one over a folder; a browser can back one with IndexedDB or the
 * Cache API; tests can use {@link memoryStore}. The optional members let a store serve files larger than
 * memory: opened by offset, hashed once, downloaded and inflated in a stream.
 */
export interface FileStore {
  /** The file's bytes, or `undefined` when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Writes the whole file at once: readers see the old file or the new one, never a part. */
  writeAtomic(name: string, bytes: Uint8Array): Promise<void>;
  /** Where `name` lives, for messages (e.g. an absolute path). */
  locate(name: string): string;
  /** Opens the file for reading by offset, or `undefined` when it does not exist. */
  open?(name: string): Promise<OpenFile | undefined>;
  /** Writes a file from a stream of chunks, atomically as {@link writeAtomic}; resolves to its md5. */
  writeStreamAtomic?(name: string, chunks: AsyncIterable<Uint8Array>): Promise<string>;
  /** Removes a file (no error when it does not exist). */
  remove?(name: string): Promise<void>;
  /**
   * The file's md5, hashed as it is read and remembered while its size and modification time stay the same.
   * With `cachedOnly`, only a remembered md5 (else `undefined`): no hashing.
   */
  md5?(name: string, options?: { cachedOnly?: boolean; onProgress?: (progress: FileProgress) => void }): Promise<string | undefined>;
  /** The cache of inflated entries for the file `name`. */
  inflateCache?(name: string): InflateCache;
}

/** A store in memory: for tests and for pages that keep files only for the session. */
export function memoryStore(files: Iterable<[string, Uint8Array]> = [], label = 'memory'): FileStore & { files: Map<string, Uint8Array> } {
  const map = new Map(files);
  return {
    files: map,
    read: async (name) => map.get(name),
    writeAtomic: async (name, bytes) => void map.set(name, new Uint8Array(bytes)),
    locate: (name) => `${label}:${name}`,
  };
}
