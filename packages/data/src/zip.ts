import { Inflate, inflateSync } from 'fflate';
import { crc32 } from './crc32.js';
import { bytesFile, type RandomAccessFile } from './random-access.js';
import { CorruptArchiveError, UnsafeEntryNameError } from './errors.js';

/** One entry of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Byte offset of the entry's data (after its local header) in the archive. */
  readonly dataOffset: number;
}

/** A zip archive; entries are read lazily, by offset. */
export interface ZipArchive {
  readonly file: string;
  readonly entries: readonly ZipEntry[];
  get(name: string): ZipEntry | undefined;
  /** The entry's bytes, whole in memory; stored entries of an in-memory archive are not copied. CRC-32 is checked. */
  read(entry: ZipEntry | string): Uint8Array;
  /** The entry's first `length` bytes (fewer if it is shorter), inflating no more than needed; not checked. */
  readPrefix(entry: ZipEntry, length: number): Uint8Array;
  /**
   * Streams the entry's bytes to `sink` in pieces (inflating as it goes), with its size and CRC-32
   * checked at the end: for entries too large to hold in memory. `onProgress` gets the bytes written so far.
   */
  pipe(entry: ZipEntry, sink: (chunk: Uint8Array) => void | Promise<void>, onProgress?: (written: number) => void): Promise<void>;
}

/** Compressed bytes pushed to the inflater at a time: even a deflate bomb (≈ 1000:1) yields at most ≈ 64 MB per push. */
const PUSH_BYTES = 64 * 1024;

const STORED_PIECE = 2 ** 20;

/** Inflates with the runtime's own zlib (`DecompressionStream`, in browsers, Node ≥ 20 and Deno): about 3× fflate. */
async function inflateNative(read: (offset: number, length: number) => Uint8Array, rawLength: number, hand: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const stream = new DecompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const writing = (async () => {
    for (let at = 0; at < rawLength; at += PUSH_BYTES) await writer.write(read(at, Math.min(PUSH_BYTES, rawLength - at)) as Uint8Array<ArrayBuffer>);
    await writer.close();
  })();
  writing.catch(() => {}); // its error also ends the reads below, which report it
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await hand(value);
    }
  } catch (error) {
    // Cancel the readable side first: a write blocked on back-pressure would otherwise hold abort() forever.
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
    throw error;
  }
  await writing;
}

/** Inflates with fflate where the runtime has no `DecompressionStream`. */
async function inflatePortable(read: (offset: number, length: number) => Uint8Array, rawLength: number, hand: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const pieces: Uint8Array[] = [];
  const inflater = new Inflate((chunk) => void pieces.push(chunk));
  for (let at = 0; at < rawLength; at += PUSH_BYTES) {
    const length = Math.min(PUSH_BYTES, rawLength - at);
    inflater.push(read(at, length), at + length >= rawLength);
    for (const piece of pieces.splice(0)) await hand(piece);
  }
}

/** Inflates an entry's raw bytes, read from the archive piece by piece, handing each piece of output to `take` (false = stop). */
function inflateFrom(read: (offset: number, length: number) => Uint8Array, rawLength: number, take: (chunk: Uint8Array) => boolean | void): void {
  let stop = false;
  const inflater = new Inflate((chunk) => {
    if (take(chunk) === false) stop = true;
  });
  for (let at = 0; at < rawLength && !stop; at += PUSH_BYTES) {
    const length = Math.min(PUSH_BYTES, rawLength - at);
    inflater.push(read(at, length), at + length >= rawLength);
  }
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

function isUnsafeName(name: string): boolean {
  const normal = name.replace(/\\/g, '/');
  return normal.startsWith('/') || /^[a-zA-Z]:/.test(normal) || normal.split('/').includes('..');
}

/** Little-endian fields of a region read from the file, addressed by their offsets in the file. */
interface Fields {
  readonly bytes: Uint8Array;
  u16(at: number): number;
  u32(at: number): number;
  u64(at: number): number;
}

function readFields(file: RandomAccessFile, offset: number, length: number, fail: (problem: string) => never): Fields {
  if (offset + length > file.size) fail(`truncated at byte ${file.size}`);
  const bytes = file.read(offset, length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = (at: number, width: number) => (at >= offset && at + width <= offset + length ? at - offset : fail(`truncated at byte ${at}`));
  return {
    bytes,
    u16: (at) => view.getUint16(check(at, 2), true),
    u32: (at) => view.getUint32(check(at, 4), true),
    u64(at) {
      const value = Number(view.getBigUint64(check(at, 8), true));
      return Number.isSafeInteger(value) ? value : fail(`zip64 field at byte ${at} is too large`);
    },
  };
}

/** Where the end-of-central-directory record starts (it ends the archive, after a comment of up to 64 KiB). */
function endOfCentralDirectory(source: RandomAccessFile, tail: Fields, tailStart: number, fail: (problem: string) => never): number {
  for (let at = source.size - 22; at >= tailStart; at--) if (tail.u32(at) === EOCD_SIG) return at;
  const looksZip = readFields(source, 0, 4, fail).u32(0) === LOCAL_SIG;
  return fail(looksZip ? 'the end of the archive is missing (truncated download?)' : 'not a zip archive (no end-of-central-directory record)');
}

/** Parses a zip archive held in memory; `file` names it in error messages. */
export const readZip = (bytes: Uint8Array, file = '<zip>'): ZipArchive => openZip(bytesFile(bytes, file));

/**
 * Parses a zip archive (stored and deflated entries, zip64, data descriptors) read by offset: only its
 * central directory and local headers are read here, each entry's data when asked for.
 */
export function openZip(source: RandomAccessFile): ZipArchive {
  const fail = (problem: string): never => {
    throw new CorruptArchiveError(source.name, problem);
  };
  return archiveOf(source, readEntries(source, fail), fail);
}

/** The entries the central directory lists, each with its data offset from its local header. */
function readEntries(source: RandomAccessFile, fail: (problem: string) => never): ZipEntry[] {
  const file = source.name;
  const size = source.size;
  const tailStart = Math.max(0, size - 22 - U16_MAX - 20);
  const tail = size >= 22 ? readFields(source, tailStart, size - tailStart, fail) : fail(`only ${size} bytes, too short for a zip archive`);
  const eocd = endOfCentralDirectory(source, tail, tailStart, fail);

  let count = tail.u16(eocd + 10);
  let cdSize = tail.u32(eocd + 12);
  let cdOffset = tail.u32(eocd + 16);
  const locator = eocd - 20;
  if (locator >= tailStart && tail.u32(locator) === EOCD64_LOCATOR_SIG) {
    const eocd64 = tail.u64(locator + 8);
    const record = readFields(source, eocd64, 56, fail);
    if (record.u32(eocd64) !== EOCD64_SIG) fail('zip64 end-of-central-directory record is missing');
    count = record.u64(eocd64 + 32);
    cdSize = record.u64(eocd64 + 40);
    cdOffset = record.u64(eocd64 + 48);
  }
  if (cdOffset + cdSize > size) fail(`central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${size} bytes): truncated`);
  const cd = readFields(source, cdOffset, cdSize, fail);

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (cd.u32(at) !== CENTRAL_SIG) fail(`central directory entry ${i} is damaged`);
    const flags = cd.u16(at + 8);
    const method = cd.u16(at + 10);
    const crc = cd.u32(at + 16);
    let compressedSize = cd.u32(at + 20);
    let uncompressedSize = cd.u32(at + 24);
    const nameLength = cd.u16(at + 28);
    const extraLength = cd.u16(at + 30);
    const commentLength = cd.u16(at + 32);
    let localOffset = cd.u32(at + 42);
    if (at + 46 + nameLength > cdOffset + cdSize) fail(`central directory entry ${i} is truncated`);
    const name = new TextDecoder().decode(cd.bytes.subarray(at - cdOffset + 46, at - cdOffset + 46 + nameLength));
    if (flags & 1) fail(`entry ${name} is encrypted`);
    // zip64 extended information: present fields are those whose 32-bit value is saturated.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = cd.u16(extra);
      const fieldSize = cd.u16(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressedSize === U32_MAX) (uncompressedSize = cd.u64(field)), (field += 8);
        if (compressedSize === U32_MAX) (compressedSize = cd.u64(field)), (field += 8);
        if (localOffset === U32_MAX) localOffset = cd.u64(field);
      }
      extra += 4 + fieldSize;
    }
    if (isUnsafeName(name)) throw new UnsafeEntryNameError(file, name);
    const local = readFields(source, localOffset, Math.min(30, size - localOffset), fail);
    if (local.u32(localOffset) !== LOCAL_SIG) fail(`local header of entry ${name} is damaged`);
    const dataOffset = localOffset + 30 + local.u16(localOffset + 26) + local.u16(localOffset + 28);
    if (dataOffset + compressedSize > size) fail(`entry ${name} needs ${compressedSize} bytes at ${dataOffset} but the file ends at ${size}: truncated`);
    entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, dataOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Reading the entries' data. */
function archiveOf(source: RandomAccessFile, entries: ZipEntry[], fail: (problem: string) => never): ZipArchive {
  const file = source.name;
  const byName = new Map(entries.map((e) => [e.name, e]));
  const entryOf = (entryOrName: ZipEntry | string) => (typeof entryOrName === 'string' ? byName.get(entryOrName) : entryOrName) ?? fail(`no entry named ${JSON.stringify(entryOrName)}`);
  const rawReader = (entry: ZipEntry) => (offset: number, length: number) => source.read(entry.dataOffset + offset, length);
  const corrupt = (entry: ZipEntry, cause: unknown) => new CorruptArchiveError(file, `entry ${entry.name}: corrupt deflate stream (${(cause as Error).message})`, { cause });
  const checkMethod = (entry: ZipEntry) => {
    if (entry.method !== 0 && entry.method !== 8) fail(`entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  };
  const checkWhole = (entry: ZipEntry, length: number, crc: number) => {
    if (length !== entry.uncompressedSize) fail(`entry ${entry.name} inflates to ${length} bytes, expected ${entry.uncompressedSize}`);
    if (crc !== entry.crc32) fail(`entry ${entry.name} fails its CRC-32 check`);
  };
  return {
    file,
    entries,
    get: (name) => byName.get(name),
    read(entryOrName) {
      const entry = entryOf(entryOrName);
      checkMethod(entry);
      const raw = source.read(entry.dataOffset, entry.compressedSize);
      let out = raw;
      if (entry.method === 8) {
        try {
          out = inflateSync(raw, { out: new Uint8Array(entry.uncompressedSize) });
        } catch (cause) {
          throw corrupt(entry, cause);
        }
      }
      checkWhole(entry, out.length, crc32(out));
      return out;
    },
    readPrefix(entry, length) {
      if (entry.method !== 8) return source.read(entry.dataOffset, Math.min(length, entry.compressedSize));
      const out = new Uint8Array(Math.min(length, entry.uncompressedSize));
      let have = 0;
      try {
        inflateFrom(rawReader(entry), entry.compressedSize, (chunk) => {
          out.set(chunk.subarray(0, out.length - have), have);
          have += Math.min(chunk.length, out.length - have);
          return have < out.length;
        });
      } catch (cause) {
        throw corrupt(entry, cause);
      }
      return out.subarray(0, have);
    },
    async pipe(entry, sink, onProgress) {
      checkMethod(entry);
      // Errors of the reads and of the sink (a file that changed, a full disk) pass through; the inflater's are corruption.
      const passThrough = new WeakSet<object>();
      const mark = (error: unknown) => (error instanceof Object && passThrough.add(error), error);
      const read = (offset: number, length: number) => {
        try {
          return source.read(entry.dataOffset + offset, length);
        } catch (error) {
          throw mark(error);
        }
      };
      let written = 0;
      let crc = 0;
      const hand = async (chunk: Uint8Array) => {
        written += chunk.length;
        if (written > entry.uncompressedSize) fail(`entry ${entry.name} inflates to more than the ${entry.uncompressedSize} bytes it declares`);
        crc = crc32(chunk, crc);
        try {
          await sink(chunk);
        } catch (error) {
          throw mark(error);
        }
        onProgress?.(written);
      };
      try {
        if (entry.method === 0) for (let at = 0; at < entry.compressedSize; at += STORED_PIECE) await hand(read(at, Math.min(STORED_PIECE, entry.compressedSize - at)));
        else if (typeof DecompressionStream === 'function') await inflateNative(read, entry.compressedSize, hand);
        else await inflatePortable(read, entry.compressedSize, hand);
      } catch (cause) {
        throw cause instanceof CorruptArchiveError || passThrough.has(cause as object) ? cause : corrupt(entry, cause);
      }
      checkWhole(entry, written, crc);
    },
  };
}
