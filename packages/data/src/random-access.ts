// A file read by offset: how large datasets are read without holding them in memory.

/**
 * A file read piece by piece at any offset. Reads are synchronous because they are small (one image, one
 * header) and come from the page cache: a `readSync` in Node, `FileReaderSync` over a `Blob` in a worker, a
 * view of bytes in memory. A reader throws when the file is shorter than asked or changed while open.
 */
export interface RandomAccessFile {
  /** Names the file in messages (a path, a URL, a label). */
  readonly name: string;
  readonly size: number;
  /** `length` bytes from `offset`; the result may be a view of memory the reader owns: do not modify it. */
  read(offset: number, length: number): Uint8Array;
}

/** Bytes already in memory as a {@link RandomAccessFile} (reads are views, not copies). */
export function bytesFile(bytes: Uint8Array, name = '<bytes>'): RandomAccessFile {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || offset + length > bytes.length) throw new RangeError(`${name}: bytes ${offset}..${offset + length} lie past its end (${bytes.length})`);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** The whole file in memory (it must fit in one array). */
export const readAll = (file: RandomAccessFile): Uint8Array => file.read(0, file.size);
