import { Inflate, inflateSync } from 'fflate';
import { crc32 } from './crc32.js';
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

/** A zip archive held in memory; entries are read lazily. */
export interface ZipArchive {
  readonly file: string;
  readonly entries: readonly ZipEntry[];
  get(name: string): ZipEntry | undefined;
  /** The entry's bytes; stored entries are returned without a copy. CRC-32 is checked. */
  read(entry: ZipEntry | string): Uint8Array;
  /** The entry's first `length` bytes (fewer if it is shorter), inflating no more than needed; not checked. */
  readPrefix(entry: ZipEntry, length: number): Uint8Array;
}

/** The first `length` bytes a deflate stream inflates to, pushing it in small pieces so a bomb stays small. */
function inflatePrefix(raw: Uint8Array, length: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let have = 0;
  const inflater = new Inflate((chunk) => {
    parts.push(chunk);
    have += chunk.length;
  });
  for (let at = 0; at < raw.length && have < length; at += 4096) inflater.push(raw.subarray(at, at + 4096), at + 4096 >= raw.length);
  const out = new Uint8Array(Math.min(have, length));
  let at = 0;
  for (const part of parts) {
    if (at >= out.length) break;
    out.set(part.subarray(0, out.length - at), at);
    at += part.length;
  }
  return out;
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

/** Where the end-of-central-directory record starts (it ends the archive, after a comment of up to 64 KiB). */
function endOfCentralDirectory(view: DataView, fail: (problem: string) => never): number {
  const length = view.byteLength;
  if (length < 22) fail(`only ${length} bytes, too short for a zip archive`);
  for (let at = length - 22; at >= Math.max(0, length - 22 - U16_MAX); at--) if (view.getUint32(at, true) === EOCD_SIG) return at;
  const looksZip = length >= 4 && view.getUint32(0, true) === LOCAL_SIG;
  return fail(looksZip ? 'the end of the archive is missing (truncated download?)' : 'not a zip archive (no end-of-central-directory record)');
}

/**
 * Parses a zip archive (stored and deflated entries, zip64, data descriptors).
 * `file` names the archive in error messages.
 */
export function readZip(bytes: Uint8Array, file = '<zip>'): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string): never => {
    throw new CorruptArchiveError(file, problem);
  };
  const u16 = (at: number) => (at + 2 <= bytes.length ? view.getUint16(at, true) : fail(`truncated at byte ${at}`));
  const u32 = (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : fail(`truncated at byte ${at}`));
  const u64 = (at: number) => {
    const value = Number(at + 8 <= bytes.length ? view.getBigUint64(at, true) : fail(`truncated at byte ${at}`));
    if (!Number.isSafeInteger(value)) fail(`zip64 field at byte ${at} is too large`);
    return value;
  };

  const eocd = endOfCentralDirectory(view, fail);

  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && u32(locator) === EOCD64_LOCATOR_SIG) {
    const eocd64 = u64(locator + 8);
    if (u32(eocd64) !== EOCD64_SIG) fail('zip64 end-of-central-directory record is missing');
    count = u64(eocd64 + 32);
    cdSize = u64(eocd64 + 40);
    cdOffset = u64(eocd64 + 48);
  }
  if (cdOffset + cdSize > bytes.length) fail(`central directory (${cdSize} bytes at ${cdOffset}) lies past the end of the file (${bytes.length} bytes): truncated`);

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CENTRAL_SIG) fail(`central directory entry ${i} is damaged`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressedSize = u32(at + 20);
    let uncompressedSize = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    if (at + 46 + nameLength > bytes.length) fail(`central directory entry ${i} is truncated`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (flags & 1) fail(`entry ${name} is encrypted`);
    // zip64 extended information: present fields are those whose 32-bit value is saturated.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(extra);
      const size = u16(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        if (uncompressedSize === U32_MAX) (uncompressedSize = u64(field)), (field += 8);
        if (compressedSize === U32_MAX) (compressedSize = u64(field)), (field += 8);
        if (localOffset === U32_MAX) localOffset = u64(field);
      }
      extra += 4 + size;
    }
    if (isUnsafeName(name)) throw new UnsafeEntryNameError(file, name);
    if (u32(localOffset) !== LOCAL_SIG) fail(`local header of entry ${name} is damaged`);
    const dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataOffset + compressedSize > bytes.length) fail(`entry ${name} needs ${compressedSize} bytes at ${dataOffset} but the file ends at ${bytes.length}: truncated`);
    entries.push({ name, method, compressedSize, uncompressedSize, crc32: crc, dataOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }

  const byName = new Map(entries.map((e) => [e.name, e]));
  return {
    file,
    entries,
    get: (name) => byName.get(name),
    read(entryOrName) {
      const entry = typeof entryOrName === 'string' ? byName.get(entryOrName) : entryOrName;
      if (!entry) return fail(`no entry named ${JSON.stringify(entryOrName)}`);
      const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
      let out: Uint8Array;
      if (entry.method === 0) {
        out = raw;
      } else if (entry.method === 8) {
        try {
          out = inflateSync(raw, { out: new Uint8Array(entry.uncompressedSize) });
        } catch (cause) {
          throw new CorruptArchiveError(file, `entry ${entry.name}: corrupt deflate stream (${(cause as Error).message})`, { cause });
        }
      } else {
        return fail(`entry ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
      }
      if (out.length !== entry.uncompressedSize) fail(`entry ${entry.name} inflates to ${out.length} bytes, expected ${entry.uncompressedSize}`);
      if (crc32(out) !== entry.crc32) fail(`entry ${entry.name} fails its CRC-32 check`);
      return out;
    },
    readPrefix(entry, length) {
      const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
      if (entry.method !== 8) return raw.subarray(0, length);
      try {
        return inflatePrefix(raw, length);
      } catch (cause) {
        throw new CorruptArchiveError(file, `entry ${entry.name}: corrupt deflate stream (${(cause as Error).message})`, { cause });
      }
    },
  };
}
