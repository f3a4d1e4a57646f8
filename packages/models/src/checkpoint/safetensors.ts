/**
 * The safetensors format: an 8-byte little-endian header size N, N bytes of JSON
 * (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`),
 * then the byte buffer the offsets index (relative to its start). Tensors are little-endian and row-major.
 */
import { CorruptCheckpointError, UnsupportedDtypeError } from './errors.js';
import { DTYPE_ITEMSIZE, float32ToBfloat16Bits, float32ToFloat16Bits, materializeTensor, shapeNumel } from './tensor.js';
import type { CheckpointDtype, CheckpointTensor } from './tensor.js';

/** safetensors dtype names ↔ ours. */
const FROM_SAFETENSORS: Readonly<Record<string, CheckpointDtype>> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const TO_SAFETENSORS = Object.fromEntries(Object.entries(FROM_SAFETENSORS).map(([k, v]) => [v, k])) as Record<CheckpointDtype, string>;

/** Largest header accepted (as the reference implementation: 100 MB). */
const MAX_HEADER = 100_000_000;

/** One tensor as the header describes it; offsets are absolute positions in the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: CheckpointDtype;
  readonly shape: number[];
  /** First byte of the tensor's data in the file. */
  readonly begin: number;
  /** One past its last byte. */
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Tensors in file (data offset) order. */
  readonly entries: SafetensorsEntry[];
  /** The `__metadata__` string map, or `{}`. */
  readonly metadata: Record<string, string>;
  /** Offset of the byte buffer in the file (8 + header size). */
  readonly dataStart: number;
}

/**
 * True when `bytes` starts like a safetensors file: a header size of at least 2 followed by `{`.
 * It does not validate the header ({@link readSafetensorsHeader} does, e.g. a size past the end).
 */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false; // '{'
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true) >= 2n;
}

/** Parses and validates a safetensors header without reading tensor data. */
export function readSafetensorsHeader(bytes: Uint8Array, file = '<safetensors>'): SafetensorsHeader {
  const bad = (problem: string, entry?: string): never => {
    throw new CorruptCheckpointError(file, entry, problem);
  };
  if (bytes.length < 8) bad(`only ${bytes.length} bytes, too short for a safetensors file`);
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(bytes.length - 8)) bad(`header size ${size} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  if (size > BigInt(MAX_HEADER)) bad(`header size ${size} is larger than the ${MAX_HEADER} bytes allowed`);
  const dataStart = 8 + Number(size);
  const dataLength = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (cause) {
    return bad(`the header is not valid UTF-8 JSON (${(cause as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return bad('the header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: (SafetensorsEntry & { order: number })[] = [];
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        bad('__metadata__ is not a map of strings to strings');
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    if (typeof info !== 'object' || info === null) return bad('the header entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') return bad('dtype is missing', name);
    const ours = Object.hasOwn(FROM_SAFETENSORS, dtype) ? FROM_SAFETENSORS[dtype] : undefined;
    if (!ours) throw new UnsupportedDtypeError(file, name, dtype);
    if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      return bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`, name);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shapeNumel(shape) * DTYPE_ITEMSIZE[ours];
    if (end - begin !== expected) bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${expected}`, name);
    if (end > dataLength) bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): truncated`, name);
    entries.push({ name, dtype: ours, shape: [...shape], begin: dataStart + begin, end: dataStart + end, order: entries.length });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || a.order - b.order);
  let covered = dataStart;
  for (const e of entries) {
    if (e.begin < covered) bad(`data_offsets [${e.begin - dataStart}, ${e.end - dataStart}] overlap another tensor's data`, e.name);
    if (e.begin > covered) bad(`bytes ${covered - dataStart} to ${e.begin - dataStart} of the data belong to no tensor`, e.name);
    covered = e.end;
  }
  if (covered !== bytes.length) bad(`the last ${bytes.length - covered} bytes of the data belong to no tensor`);
  return { entries: entries.map(({ order: _order, ...e }) => e), metadata, dataStart };
}

/** Reads every tensor of a safetensors file, in file order. */
export function readSafetensors(bytes: Uint8Array, file = '<safetensors>'): Map<string, CheckpointTensor> {
  const { entries } = readSafetensorsHeader(bytes, file);
  const out = new Map<string, CheckpointTensor>();
  for (const e of entries) {
    const stride: number[] = [];
    let s = 1;
    for (let d = e.shape.length - 1; d >= 0; d--) {
      stride[d] = s;
      s *= e.shape[d]!;
    }
    out.set(e.name, materializeTensor(file, e.name, e.dtype, bytes.subarray(e.begin, e.end), { storageOffset: 0, shape: e.shape, stride }));
  }
  return out;
}

/** What {@link encodeSafetensors} accepts per tensor: a {@link CheckpointTensor} or any row-major array. */
export interface SafetensorsInput {
  readonly dtype: CheckpointDtype;
  readonly shape: readonly number[];
  /** Row-major elements: numbers (rounded to `dtype`), or bigints for int64. */
  readonly data: ArrayLike<number> | BigInt64Array | ArrayLike<bigint>;
}

/**
 * Writes tensors as a safetensors file, in the map's order. float16/bfloat16 values are rounded to nearest
 * even from the given numbers; int64 accepts bigints or safe integers; bool writes 1 for any non-zero value.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = [...(tensors instanceof Map ? tensors.entries() : tensors)] as [string, SafetensorsInput][];
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new TypeError('encodeSafetensors: a tensor cannot be named __metadata__');
    if (!Object.hasOwn(TO_SAFETENSORS, t.dtype)) throw new TypeError(`encodeSafetensors: ${name}: unknown dtype ${String(t.dtype)}`);
    const numel = shapeNumel(t.shape);
    if (t.data.length !== numel) throw new RangeError(`encodeSafetensors: ${name}: shape [${t.shape}] has ${numel} elements but data has ${t.data.length}`);
    const nbytes = numel * DTYPE_ITEMSIZE[t.dtype];
    header[name] = { dtype: TO_SAFETENSORS[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    json += ' '.repeat(padded - headerBytes.length);
    headerBytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [name, t] of list) {
    const n = t.data.length;
    const num = (i: number): number => {
      const v = t.data[i]!;
      return typeof v === 'bigint' ? Number(v) : v;
    };
    switch (t.dtype) {
      case 'float32':
        for (let i = 0; i < n; i++, at += 4) view.setFloat32(at, num(i), true);
        break;
      case 'float64':
        for (let i = 0; i < n; i++, at += 8) view.setFloat64(at, num(i), true);
        break;
      case 'float16':
        for (let i = 0; i < n; i++, at += 2) view.setUint16(at, float32ToFloat16Bits(num(i)), true);
        break;
      case 'bfloat16':
        for (let i = 0; i < n; i++, at += 2) view.setUint16(at, float32ToBfloat16Bits(num(i)), true);
        break;
      case 'int64':
        for (let i = 0; i < n; i++, at += 8) {
          const v = t.data[i]!;
          if (typeof v !== 'bigint' && !Number.isSafeInteger(v)) throw new RangeError(`encodeSafetensors: ${name}: ${v} is not an integer`);
          view.setBigInt64(at, BigInt(v), true);
        }
        break;
      case 'int32':
        for (let i = 0; i < n; i++, at += 4) view.setInt32(at, num(i), true);
        break;
      case 'int16':
        for (let i = 0; i < n; i++, at += 2) view.setInt16(at, num(i), true);
        break;
      case 'int8':
        for (let i = 0; i < n; i++, at += 1) view.setInt8(at, num(i));
        break;
      case 'uint8':
        for (let i = 0; i < n; i++, at += 1) view.setUint8(at, num(i));
        break;
      case 'bool':
        for (let i = 0; i < n; i++, at += 1) view.setUint8(at, num(i) ? 1 : 0);
        break;
    }
  }
  return out;
}
