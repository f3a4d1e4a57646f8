/**
 * Where dataset (and weight) files are kept. The core never touches a file system: the caller passes
 * a store. `@medxfer/data/node` has one over a folder; a browser can back one with IndexedDB or the
 * Cache API; tests can use {@link memoryStore}.
 */
export interface FileStore {
  /** The file's bytes, or `undefined` when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Writes the whole file at once: readers see the old file or the new one, never a part. */
  writeAtomic(name: string, bytes: Uint8Array): Promise<void>;
  /** Where `name` lives, for messages (e.g. an absolute path). */
  locate(name: string): string;
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
