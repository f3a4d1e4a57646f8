import { NpyFormatError } from './errors.js';

/** The dtypes an NPY file may hold, named as numpy's kind+size without the byte-order char. */
export type NpyDtype = 'u1' | 'i1' | 'u2' | 'i2' | 'u4' | 'i4' | 'u8' | 'i8' | 'f2' | 'f4' | 'f8' | 'b1';

/** The typed array that holds each dtype once read (f2 widens to Float32Array, b1 to Uint8Array). */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** An n-dimensional array in C (row-major) order. */
export interface NpyArray<D extends NpyData = NpyData> {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: D;
}

const ITEM_SIZE: Record<NpyDtype, number> = { u1: 1, i1: 1, b1: 1, u2: 2, i2: 2, f2: 2, u4: 4, i4: 4, f4: 4, u8: 8, i8: 8, f8: 8 };

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function parseHeader(text: string, file: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  // The header is a Python dict literal; turn it into JSON rather than evaluate anything.
  const json = text
    .trim()
    .replace(/'/g, '"')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\(\s*\)/g, '[]')
    .replace(/\(([^()]*?),?\s*\)/g, '[$1]')
    .replace(/,\s*([}\]])/g, '$1');
  let header: { descr?: unknown; fortran_order?: unknown; shape?: unknown };
  try {
    header = JSON.parse(json);
  } catch {
    throw new NpyFormatError(file, `unreadable NPY header ${JSON.stringify(text.trim())}`);
  }
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (typeof descr !== 'string') throw new NpyFormatError(file, `NPY header has no dtype descr (structured dtypes are not supported): ${text.trim()}`);
  if (typeof fortranOrder !== 'boolean') throw new NpyFormatError(file, 'NPY header has no fortran_order');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new NpyFormatError(file, `NPY header has a bad shape ${JSON.stringify(shape)}`);
  return { descr, fortranOrder, shape };
}

function transposeFortran(data: NpyData, shape: readonly number[]): NpyData {
  const n = sizeOf(shape);
  const out = new (data.constructor as new (n: number) => NpyData)(n);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  const fStrides = shape.map((_, i) => sizeOf(shape.slice(0, i)));
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += index[d]! * fStrides[d]!;
    (out as unknown as number[])[c] = (data as unknown as number[])[f]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * Reads an NPY file (format versions 1–3). Fortran-ordered arrays are transposed into C order.
 * Throws {@link NpyFormatError} naming `file` for bad magic, headers, dtypes or byte counts.
 */
/** What an NPY file's header says: enough to know its size before reading (or inflating) its data. */
export interface NpyHeader {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly fortranOrder: boolean;
  readonly bigEndian: boolean;
  /** Byte offset of the data; the file is `dataStart + byteCount` bytes long. */
  readonly dataStart: number;
  readonly byteCount: number;
}

/** Parses the header at the start of an NPY file (`bytes` may be only its first bytes). */
export function readNpyHeader(bytes: Uint8Array, file = '<npy>'): NpyHeader {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') {
    throw new NpyFormatError(file, 'not an NPY file (the magic string \\x93NUMPY is missing)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyFormatError(file, 'NPY header is truncated');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(file, `NPY format version ${major}.${bytes[7]} is not supported (1.0–3.0 are)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new NpyFormatError(file, `NPY header claims ${headerLength} bytes but the file has only ${bytes.length - headerStart} after the preamble (truncated)`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(headerText, file);

  const match = /^([<>|=]?)([biuf])(\d+)$/.exec(descr);
  const dtype = match ? ((match[2] === 'b' ? 'b1' : `${match[2]}${match[3]}`) as NpyDtype) : undefined;
  if (!match || !dtype || !(dtype in ITEM_SIZE) || (match[2] === 'b' && match[3] !== '1')) {
    throw new NpyFormatError(file, `dtype ${JSON.stringify(descr)} is not supported (u1 i1 u2 i2 u4 i4 u8 i8 f2 f4 f8 b1 are)`);
  }
  return { dtype, shape, fortranOrder, bigEndian: match[1] === '>', dataStart, byteCount: sizeOf(shape) * ITEM_SIZE[dtype] };
}

export function readNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  const { dtype, shape, fortranOrder, bigEndian, dataStart, byteCount } = readNpyHeader(bytes, file);
  const itemSize = ITEM_SIZE[dtype];
  const available = bytes.length - dataStart;
  if (available < byteCount) {
    throw new NpyFormatError(file, `shape [${shape.join(', ')}] of ${dtype} needs ${byteCount} data bytes but only ${available} are present (truncated file)`);
  }
  if (available > byteCount) {
    throw new NpyFormatError(file, `shape [${shape.join(', ')}] of ${dtype} needs ${byteCount} data bytes but ${available} are present`);
  }

  // A copy into an own, aligned buffer (Node's Buffer#slice would return a view of a shared pool).
  const raw = new Uint8Array(byteCount);
  raw.set(bytes.subarray(dataStart, dataStart + byteCount));
  if (bigEndian && itemSize > 1) {
    for (let i = 0; i < raw.length; i += itemSize) raw.subarray(i, i + itemSize).reverse();
  }
  const buffer = raw.buffer;
  let data: NpyData;
  switch (dtype) {
    case 'u1':
    case 'b1':
      data = raw;
      break;
    case 'i1':
      data = new Int8Array(buffer);
      break;
    case 'u2':
      data = new Uint16Array(buffer);
      break;
    case 'i2':
      data = new Int16Array(buffer);
      break;
    case 'u4':
      data = new Uint32Array(buffer);
      break;
    case 'i4':
      data = new Int32Array(buffer);
      break;
    case 'u8':
      data = new BigUint64Array(buffer);
      break;
    case 'i8':
      data = new BigInt64Array(buffer);
      break;
    case 'f4':
      data = new Float32Array(buffer);
      break;
    case 'f8':
      data = new Float64Array(buffer);
      break;
    case 'f2': {
      const halves = new Uint16Array(buffer);
      data = Float32Array.from(halves, halfToFloat);
      break;
    }
  }
  if (fortranOrder && shape.length > 1) data = transposeFortran(data, shape);
  return { dtype, shape, data };
}

const DESCR: Partial<Record<string, string>> = {
  Uint8Array: '|u1',
  Int8Array: '|i1',
  Uint16Array: '<u2',
  Int16Array: '<i2',
  Uint32Array: '<u4',
  Int32Array: '<i4',
  BigUint64Array: '<u8',
  BigInt64Array: '<i8',
  Float32Array: '<f4',
  Float64Array: '<f8',
};

/** Writes an NPY (version 1.0, C order, little endian) that numpy reads back. */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const descr = DESCR[data.constructor.name];
  if (!descr) throw new NpyFormatError('<encodeNpy>', `cannot encode a ${data.constructor.name}`);
  if (sizeOf(shape) !== data.length) throw new NpyFormatError('<encodeNpy>', `shape [${shape.join(', ')}] holds ${sizeOf(shape)} values but the data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
