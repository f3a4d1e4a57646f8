import { CorruptCheckpointError, StorageTooShortError } from './errors.js';

/** Element types of the tensors the readers accept, named as in PyTorch (`torch.float32` → `'float32'`). */
export type CheckpointDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * The element array of a tensor. Its type follows from `dtype`:
 * - `float32`, `float16`, `bfloat16`, `float64` → `Float32Array` (float16/bfloat16 widen exactly;
 *   float64 is rounded to the nearest float32);
 * - `int64` → `BigInt64Array` (exact; see {@link tensorToNumbers} for plain numbers);
 * - `int32` → `Int32Array`, `int16` → `Int16Array`, `int8` → `Int8Array`;
 * - `uint8` → `Uint8Array`; `bool` → `Uint8Array` holding 0 or 1.
 */
export type CheckpointData = Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** One tensor of a checkpoint: always a fresh, contiguous, row-major (C-order) copy owned by the caller. */
export interface CheckpointTensor {
  /** The state-dict key, e.g. `layer1.0.conv1.weight`. */
  readonly name: string;
  /** The element type stored in the file (kept even when `data` widened it, e.g. float16 → Float32Array). */
  readonly dtype: CheckpointDtype;
  /** The tensor's shape; `[]` for a scalar (one element). */
  readonly shape: number[];
  /** The elements in row-major order; `data.length` is the product of `shape`. */
  readonly data: CheckpointData;
}

/** Bytes per element in the file, per dtype. */
export const DTYPE_ITEMSIZE: Readonly<Record<CheckpointDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** The number of elements of a shape (1 for `[]`). */
export function shapeNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 value of IEEE half-precision bits (exact; NaN payloads are kept). */
export function float16BitsToFloat32(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  let bits: number;
  if (exp === 0x1f) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else if (exp !== 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant === 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise.
    let e = 113;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      e--;
    }
    bits = sign | (e << 23) | ((mant & 0x3ff) << 13);
  }
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** The float32 value of bfloat16 bits (exact: bfloat16 is the top half of a float32). */
export function bfloat16BitsToFloat32(b: number): number {
  u32[0] = (b << 16) >>> 0;
  return f32[0]!;
}

/** IEEE half-precision bits of a number, rounded to nearest even (overflow → ±Infinity). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent: correct
  return sign | half;
}

/** bfloat16 bits of a number, rounded to nearest even (NaN stays NaN). */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Reverses the byte order of every `itemsize`-byte element (returns a new array). */
export function swapBytes(bytes: Uint8Array, itemsize: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let at = 0; at + itemsize <= bytes.length; at += itemsize) {
    for (let k = 0; k < itemsize; k++) out[at + k] = bytes[at + itemsize - 1 - k]!;
  }
  return out;
}

/** Decodes little-endian elements into a fresh array of the dtype's data type (always a copy). */
export function decodeElements(bytes: Uint8Array, dtype: CheckpointDtype): CheckpointData {
  const size = DTYPE_ITEMSIZE[dtype];
  const n = Math.floor(bytes.length / size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Same-width types: one byte copy (also fixes any misalignment of the source).
  const copyInto = <T extends CheckpointData>(out: T, read: (at: number) => number | bigint): T => {
    if (HOST_LITTLE_ENDIAN) new Uint8Array(out.buffer, out.byteOffset, n * size).set(bytes.subarray(0, n * size));
    else for (let i = 0; i < n; i++) (out as unknown as (number | bigint)[])[i] = read(i * size);
    return out;
  };
  switch (dtype) {
    case 'float32':
      return copyInto(new Float32Array(n), (at) => view.getFloat32(at, true));
    case 'int64':
      return copyInto(new BigInt64Array(n), (at) => view.getBigInt64(at, true));
    case 'int32':
      return copyInto(new Int32Array(n), (at) => view.getInt32(at, true));
    case 'int16':
      return copyInto(new Int16Array(n), (at) => view.getInt16(at, true));
    case 'int8':
      return copyInto(new Int8Array(n), (at) => view.getInt8(at));
    case 'uint8':
      return copyInto(new Uint8Array(n), (at) => view.getUint8(at));
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
    case 'float64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
      return out;
    }
    case 'bfloat16': {
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
  }
}

function emptyData(dtype: CheckpointDtype, n: number): CheckpointData {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
    case 'float64':
      return new Float32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}

/** How a tensor lies in its storage, as `_rebuild_tensor_v2` describes it (all counts in elements). */
export interface TensorLayout {
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/**
 * Copies a tensor out of its storage into a contiguous row-major array.
 * `storage` holds little-endian elements of `dtype`; `storageOffset` and `stride` count elements.
 * Throws {@link StorageTooShortError} when the tensor reaches past the storage's end.
 */
export function materializeTensor(
  file: string,
  name: string,
  dtype: CheckpointDtype,
  storage: Uint8Array,
  layout: TensorLayout,
): CheckpointTensor {
  const { storageOffset, shape, stride } = layout;
  const bad = (problem: string): never => {
    throw new CorruptCheckpointError(file, name, problem);
  };
  const isCount = (v: number) => Number.isSafeInteger(v) && v >= 0;
  if (!isCount(storageOffset)) bad(`storage offset ${storageOffset} is not a non-negative integer`);
  if (stride.length !== shape.length) bad(`shape [${shape}] and stride [${stride}] differ in length`);
  if (!shape.every(isCount)) bad(`shape [${shape}] is not a list of non-negative integers`);
  if (!stride.every(isCount)) bad(`stride [${stride}] is not a list of non-negative integers`);
  const itemsize = DTYPE_ITEMSIZE[dtype];
  const available = Math.floor(storage.length / itemsize);
  const numel = shapeNumel(shape);
  if (!Number.isSafeInteger(numel)) bad(`shape [${shape}] has too many elements`);
  if (numel === 0) return { name, dtype, shape: [...shape], data: emptyData(dtype, 0) };

  // Elements spanned from the first to the last one the tensor touches.
  let span = 1;
  for (let d = 0; d < shape.length; d++) span += (shape[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(span)) bad(`shape [${shape}] with stride [${stride}] spans too many elements`);
  if (storageOffset + span > available) throw new StorageTooShortError(file, name, storageOffset + span, available);

  const slice = storage.subarray(storageOffset * itemsize, (storageOffset + span) * itemsize);
  const src = decodeElements(slice, dtype);

  let contiguous = true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= shape[d]!;
  }
  if (contiguous) return { name, dtype, shape: [...shape], data: src };

  // Gather a strided view into C order with an odometer over the index.
  const out = emptyData(dtype, numel) as unknown as (number | bigint)[];
  const from = src as unknown as (number | bigint)[];
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = from[at]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        at += stride[d]!;
        break;
      }
      at -= (shape[d]! - 1) * stride[d]!;
      index[d] = 0;
    }
  }
  return { name, dtype, shape: [...shape], data: out as unknown as CheckpointData };
}

/**
 * The tensor's elements as plain numbers. int64 values must be safe integers
 * (|v| ≤ 2^53 − 1), otherwise a RangeError is thrown rather than losing precision.
 */
export function tensorToNumbers(tensor: Pick<CheckpointTensor, 'name' | 'data'>): number[] {
  const { data } = tensor;
  if (data instanceof BigInt64Array) {
    return Array.from(data, (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) throw new RangeError(`tensor ${tensor.name}: int64 value ${v} is not a safe JavaScript integer`);
      return n;
    });
  }
  return Array.from(data as ArrayLike<number>);
}
