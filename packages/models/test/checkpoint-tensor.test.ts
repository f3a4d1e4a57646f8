import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/paths.js';
import {
  CorruptCheckpointError,
  StorageTooShortError,
  UnsupportedDtypeError,
  bfloat16BitsToFloat32,
  detectCheckpointFormat,
  encodeSafetensors,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  readCheckpoint,
  readSafetensors,
  readSafetensorsHeader,
  tensorToNumbers,
} from '../src/checkpoint/index.js';
import type { CheckpointTensor, SafetensorsInput } from '../src/checkpoint/index.js';
import { f32Bytes, stateDictPickle, torchLegacy, torchZip } from './fixtures-gen/torch-pickle.js';
import type { StorageClass, TensorSpec } from './fixtures-gen/torch-pickle.js';
import { thrown } from './helpers.js';

/** Reference gather: element [i0, i1, …] = storage[offset + Σ i_d·stride_d], in C order. */
function gather<T>(storage: readonly T[], offset: number, shape: number[], stride: number[]): T[] {
  const out: T[] = [];
  const walk = (d: number, at: number) => {
    if (d === shape.length) return void out.push(storage[at]!);
    for (let i = 0; i < shape[d]!; i++) walk(d + 1, at + i * stride[d]!);
  };
  walk(0, offset);
  return out;
}

const u16Bytes = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);

describe('strided tensors and storage offsets', () => {
  const storage = Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);
  const longs = Array.from({ length: 12 }, (_, i) => BigInt(i) * 10_000_000_000n - 3n);
  const specs: TensorSpec[] = [
    { name: 'contiguous.slice', storage: 'FloatStorage', key: '0', numel: 24, offset: 4, shape: [2, 3], stride: [3, 1] },
    { name: 'transposed', storage: 'FloatStorage', key: '0', numel: 24, offset: 2, shape: [3, 4], stride: [1, 3] },
    { name: 'expanded', storage: 'FloatStorage', key: '0', numel: 24, offset: 5, shape: [2, 3], stride: [0, 1] },
    { name: 'permuted3d', storage: 'FloatStorage', key: '0', numel: 24, offset: 1, shape: [2, 2, 3], stride: [1, 12, 4] },
    { name: 'column', storage: 'FloatStorage', key: '0', numel: 24, offset: 3, shape: [4, 1], stride: [5, 1] },
    { name: 'scalar', storage: 'FloatStorage', key: '0', numel: 24, offset: 23, shape: [], stride: [] },
    { name: 'empty', storage: 'FloatStorage', key: '0', numel: 24, offset: 0, shape: [0, 5], stride: [5, 1] },
    { name: 'long.t', storage: 'LongStorage', key: '1', numel: 12, offset: 1, shape: [2, 5], stride: [1, 2] },
  ];
  const longBytes = new Uint8Array(BigInt64Array.from(longs).buffer);

  const check = (sd: Map<string, CheckpointTensor>) => {
    expect([...sd.keys()]).toEqual(specs.map((s) => s.name));
    for (const s of specs) {
      const t = sd.get(s.name)!;
      expect(t.shape).toEqual(s.shape);
      if (s.storage === 'LongStorage') {
        expect(t.dtype).toBe('int64');
        expect([...(t.data as BigInt64Array)]).toEqual(gather(longs, s.offset, s.shape, s.stride));
      } else {
        expect(t.dtype).toBe('float32');
        expect([...(t.data as Float32Array)]).toEqual(gather(storage, s.offset, s.shape, s.stride));
      }
    }
  };

  it('materialises them in C order from a zip checkpoint', () => {
    check(readCheckpoint(torchZip(stateDictPickle(specs), { '0': f32Bytes(storage), '1': longBytes }), 'strided.pth'));
  });

  it('materialises them in C order from a legacy checkpoint', () => {
    const bytes = torchLegacy(specs, [
      { key: '0', count: 24, bytes: f32Bytes(storage) },
      { key: '1', count: 12, bytes: longBytes },
    ]);
    expect(detectCheckpointFormat(bytes)).toBe('torch-legacy');
    check(readCheckpoint(bytes, 'strided-legacy.pth'));
  });

  it('gives each tensor its own copy, even when storages are shared', () => {
    const sd = readCheckpoint(torchZip(stateDictPickle(specs), { '0': f32Bytes(storage), '1': longBytes }));
    const a = sd.get('contiguous.slice')!.data as Float32Array;
    const before = sd.get('transposed')!.data[0];
    a.fill(99);
    expect(sd.get('transposed')!.data[0]).toBe(before);
  });

  it('reads checkpoints that lie at an unaligned offset of a larger buffer', () => {
    const file = torchZip(stateDictPickle(specs), { '0': f32Bytes(storage), '1': longBytes }, { prefix: 'model' });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    check(readCheckpoint(big.subarray(3), 'shifted.pth'));
    const tiny = readFileSync(sharedPath('fixtures', 'torch', 'tiny.zip.pth'));
    const odd = new Uint8Array(tiny.length + 1);
    odd.set(tiny, 1);
    const a = readCheckpoint(odd.subarray(1)).get('4.weight')!;
    const b = readCheckpoint(new Uint8Array(tiny)).get('4.weight')!;
    expect(a.data).toEqual(b.data);
  });
});

describe('storages shorter than their tensors', () => {
  const spec = (over: Partial<TensorSpec>): TensorSpec => ({ name: 'w', storage: 'FloatStorage', key: '0', numel: 4, offset: 0, shape: [4], stride: [1], ...over });

  it('zip: too many elements, or an offset that runs past the end', () => {
    for (const [s, needed] of [
      [spec({ shape: [5] }), 5],
      [spec({ offset: 1, shape: [2, 2], stride: [2, 1] }), 5],
      [spec({ offset: 0, shape: [2, 2], stride: [1, 3] }), 5],
    ] as const) {
      const e = thrown(() => readCheckpoint(torchZip(stateDictPickle([s]), { '0': f32Bytes([1, 2, 3, 4]) }), 'short.pth')) as StorageTooShortError;
      expect(e).toBeInstanceOf(StorageTooShortError);
      expect(e.code).toBe('STORAGE_TOO_SHORT');
      expect(e.tensor).toBe('w');
      expect(e.needed).toBe(needed);
      expect(e.available).toBe(4);
      expect(e.message).toContain('"w"');
      expect(e.message).toContain('short.pth');
    }
  });

  it('zip: a storage entry with fewer bytes than the persistent id declares', () => {
    const e = thrown(() => readCheckpoint(torchZip(stateDictPickle([spec({ numel: 4 })]), { '0': f32Bytes([1, 2]) })));
    expect(e).toBeInstanceOf(StorageTooShortError);
  });

  it('legacy', () => {
    const e = thrown(() => readCheckpoint(torchLegacy([spec({ offset: 3, shape: [2] })], [{ key: '0', count: 4, bytes: f32Bytes([1, 2, 3, 4]) }])));
    expect(e).toBeInstanceOf(StorageTooShortError);
    expect((e as StorageTooShortError).needed).toBe(5);
  });

  it('a storage entry that is not a whole number of elements is corrupt', () => {
    const e = thrown(() => readCheckpoint(torchZip(stateDictPickle([spec({})]), { '0': new Uint8Array(15) }), 'odd.pth'));
    expect(e).toBeInstanceOf(CorruptCheckpointError);
    expect(e.message).toContain('archive/data/0');
  });
});

describe('element types', () => {
  it('float16 and bfloat16 bits convert exactly', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc040)).toBe(-3);
    expect(bfloat16BitsToFloat32(0x4049)).toBe(3.140625);
    expect(bfloat16BitsToFloat32(0x7f80)).toBe(Infinity);
    expect(bfloat16BitsToFloat32(0x0001)).toBe(2 ** -133);
  });

  it('every float16 and bfloat16 value survives a round trip', () => {
    for (let h = 0; h < 0x10000; h++) {
      const f = float16BitsToFloat32(h);
      if (Number.isNaN(f)) expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(f)))).toBe(true);
      else if (float32ToFloat16Bits(f) !== h) expect.fail(`float16 0x${h.toString(16)} → ${f} → 0x${float32ToFloat16Bits(f).toString(16)}`);
      const b = bfloat16BitsToFloat32(h);
      if (Number.isNaN(b)) expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(b)))).toBe(true);
      else if (float32ToBfloat16Bits(b) !== h) expect.fail(`bfloat16 0x${h.toString(16)} → ${b} → 0x${float32ToBfloat16Bits(b).toString(16)}`);
    }
  });

  it('rounds to nearest even when narrowing', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0);
    expect(float32ToFloat16Bits(3 * 2 ** -26)).toBe(1);
    expect(float32ToFloat16Bits(-1e-10)).toBe(0x8000);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(float32ToBfloat16Bits(Math.PI)).toBe(0x4049);
  });

  it('reads every storage type of a zip checkpoint', () => {
    const cases: [StorageClass, Uint8Array, number[], string][] = [
      ['HalfStorage', u16Bytes([0x3c00, 0xc000, 0x3555, 0x0001]), [1, -2, 0.333251953125, 2 ** -24], 'float16'],
      ['BFloat16Storage', u16Bytes([0x3f80, 0xc040, 0x4049, 0x7f80]), [1, -3, 3.140625, Infinity], 'bfloat16'],
      ['DoubleStorage', new Uint8Array(Float64Array.from([0.1, -1e300, 1e-50, 2.5]).buffer), [Math.fround(0.1), -Infinity, 0, 2.5], 'float64'],
      ['IntStorage', new Uint8Array(Int32Array.from([-1, 2 ** 31 - 1, 0, 7]).buffer), [-1, 2 ** 31 - 1, 0, 7], 'int32'],
      ['ShortStorage', new Uint8Array(Int16Array.from([-1, 32767, 0, 7]).buffer), [-1, 32767, 0, 7], 'int16'],
      ['CharStorage', new Uint8Array(Int8Array.from([-128, 127, 0, 7]).buffer), [-128, 127, 0, 7], 'int8'],
      ['ByteStorage', Uint8Array.from([255, 0, 1, 7]), [255, 0, 1, 7], 'uint8'],
      ['BoolStorage', Uint8Array.from([1, 0, 1, 0]), [1, 0, 1, 0], 'bool'],
    ];
    for (const [storage, bytes, expected, dtype] of cases) {
      const pkl = stateDictPickle([{ name: 'x', storage, key: '0', numel: 4, offset: 0, shape: [2, 2], stride: [2, 1] }]);
      const t = readCheckpoint(torchZip(pkl, { '0': bytes }), `${storage}.pth`).get('x')!;
      expect(t.dtype, storage).toBe(dtype);
      expect(t.shape).toEqual([2, 2]);
      expect(tensorToNumbers(t), storage).toEqual(expected);
      expect(t.data.constructor.name).toBe(
        { float16: 'Float32Array', bfloat16: 'Float32Array', float64: 'Float32Array', int32: 'Int32Array', int16: 'Int16Array', int8: 'Int8Array', uint8: 'Uint8Array', bool: 'Uint8Array' }[dtype],
      );
    }
  });

  it('strided float16 is gathered after conversion', () => {
    const pkl = stateDictPickle([{ name: 'h', storage: 'HalfStorage', key: '0', numel: 6, offset: 1, shape: [2, 2], stride: [1, 2] }]);
    const halves = u16Bytes([0, 0x3c00, 0x4000, 0x4200, 0x4400, 0x4500]); // 0, 1, 2, 3, 4, 5
    expect([...(readCheckpoint(torchZip(pkl, { '0': halves })).get('h')!.data as Float32Array)]).toEqual([1, 3, 2, 4]);
  });

  it('honours a big-endian byteorder entry', () => {
    const pkl = stateDictPickle([
      { name: 'f', storage: 'FloatStorage', key: '0', numel: 2, offset: 0, shape: [2], stride: [1] },
      { name: 'n', storage: 'LongStorage', key: '1', numel: 1, offset: 0, shape: [], stride: [] },
      { name: 'h', storage: 'HalfStorage', key: '2', numel: 1, offset: 0, shape: [1], stride: [1] },
    ]);
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    new DataView(be.buffer).setFloat32(4, -2, false);
    const n = new Uint8Array(8);
    new DataView(n.buffer).setBigInt64(0, 12345678901n, false);
    const sd = readCheckpoint(torchZip(pkl, { '0': be, '1': n, '2': Uint8Array.from([0x3c, 0x00]) }, { byteorder: 'big' }));
    expect([...(sd.get('f')!.data as Float32Array)]).toEqual([1.5, -2]);
    expect(sd.get('n')!.data[0]).toBe(12345678901n);
    expect(sd.get('h')!.data[0]).toBe(1);
    const little = readCheckpoint(torchZip(pkl, { '0': f32Bytes([1.5, -2]), '1': new Uint8Array(BigInt64Array.of(7n).buffer), '2': u16Bytes([0x3c00]) }, { byteorder: 'little' }));
    expect([...(little.get('f')!.data as Float32Array)]).toEqual([1.5, -2]);
    expect(thrown(() => readCheckpoint(torchZip(pkl, {}, { byteorder: 'middle' })))).toBeInstanceOf(CorruptCheckpointError);
  });

  it('tensorToNumbers refuses int64 values beyond 2^53', () => {
    expect(() => tensorToNumbers({ name: 'n', data: BigInt64Array.of(2n ** 60n) })).toThrow(RangeError);
  });
});

/** A safetensors file from a header object and a data buffer; `pad` spaces follow the JSON. */
function safetensorsFile(header: object, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  const tensors = new Map<string, SafetensorsInput>([
    ['w', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, 4, 5, 6]) }],
    ['h', { dtype: 'float16', shape: [3], data: [1, -2, 0.1] }],
    ['b', { dtype: 'bfloat16', shape: [2], data: [1, Math.PI] }],
    ['d', { dtype: 'float64', shape: [1], data: [0.1] }],
    ['n', { dtype: 'int64', shape: [], data: BigInt64Array.of(-(2n ** 40n)) }],
    ['i', { dtype: 'int32', shape: [2], data: [-7, 7] }],
    ['s', { dtype: 'int16', shape: [1], data: [-300] }],
    ['c', { dtype: 'int8', shape: [1], data: [-3] }],
    ['u', { dtype: 'uint8', shape: [2], data: [0, 255] }],
    ['q', { dtype: 'bool', shape: [3], data: [1, 0, 5] }],
    ['z', { dtype: 'float32', shape: [0, 4], data: [] }],
  ]);

  it('round-trips every dtype through encodeSafetensors, with metadata', () => {
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    expect(detectCheckpointFormat(bytes)).toBe('safetensors');
    const header = readSafetensorsHeader(bytes, 'x.safetensors');
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.dataStart % 8).toBe(0);
    const sd = readCheckpoint(bytes, 'x.safetensors');
    expect([...sd.keys()]).toEqual([...tensors.keys()]);
    const values = Object.fromEntries([...sd].map(([k, t]) => [k, tensorToNumbers(t)]));
    expect(values).toEqual({
      w: [...Float32Array.from([1, -2.5, 3e-8, 4, 5, 6])],
      h: [1, -2, float16BitsToFloat32(0x2e66)],
      b: [1, 3.140625],
      d: [Math.fround(0.1)],
      n: [-(2 ** 40)],
      i: [-7, 7],
      s: [-300],
      c: [-3],
      u: [0, 255],
      q: [1, 0, 1],
      z: [],
    });
    expect(sd.get('n')!.data).toBeInstanceOf(BigInt64Array);
    expect(sd.get('h')!.dtype).toBe('float16');
    expect(sd.get('z')!.shape).toEqual([0, 4]);
  });

  it('round-trips a real checkpoint bit for bit', () => {
    const tiny = readCheckpoint(new Uint8Array(readFileSync(sharedPath('fixtures', 'torch', 'tiny.zip.pth'))));
    const again = readSafetensors(encodeSafetensors(tiny));
    expect([...again.keys()]).toEqual([...tiny.keys()]);
    for (const [k, t] of tiny) {
      expect(again.get(k)!.dtype).toBe(t.dtype);
      expect(again.get(k)!.data).toEqual(t.data);
    }
  });

  it('reads float32 data that starts at an unaligned offset, bit-exactly', () => {
    const values = Float32Array.from([1.25, -0, NaN, 3.4e38]);
    for (const pad of [0, 1, 2, 3]) {
      const file = safetensorsFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(values.buffer), pad);
      const t = readSafetensors(file).get('x')!;
      expect(new Uint8Array(t.data.buffer)).toEqual(new Uint8Array(values.buffer));
    }
  });

  it('reports header and offset problems clearly', () => {
    const data = new Uint8Array(16);
    const cases: [Uint8Array, RegExp, string?][] = [
      [safetensorsFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, data), /hold 12 bytes but shape \[4\] of F32 needs 16/, 'x'],
      [safetensorsFile({ x: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, data), /run past the end of the data/, 'x'],
      [
        safetensorsFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, c: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, data),
        /overlap/,
      ],
      [safetensorsFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, data), /belong to no tensor/],
      [safetensorsFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data), /last 8 bytes/],
      [safetensorsFile({ x: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, data), /shape/],
      [safetensorsFile({ x: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } }, data), /data_offsets/],
      [safetensorsFile({ __metadata__: { n: 3 } }, new Uint8Array()), /__metadata__/],
    ];
    for (const [bytes, pattern, entry] of cases) {
      const e = thrown(() => readCheckpoint(bytes, 'bad.safetensors')) as CorruptCheckpointError;
      expect(e, String(pattern)).toBeInstanceOf(CorruptCheckpointError);
      expect(e.message).toMatch(pattern);
      expect(e.message).toContain('bad.safetensors');
      if (entry) expect(e.entry).toBe(entry);
    }
    const notJson = safetensorsFile({}, new Uint8Array());
    notJson.set(new TextEncoder().encode('{"'), 8);
    expect(thrown(() => readSafetensors(notJson)).message).toMatch(/not valid UTF-8 JSON/);
  });

  it('a header size past the end of the file is corrupt (truncated)', () => {
    const good = encodeSafetensors(tensors);
    const cut = good.subarray(0, 40);
    for (const read of [readSafetensors, readCheckpoint]) {
      const e = thrown(() => read(cut, 'cut.safetensors'));
      expect(e).toBeInstanceOf(CorruptCheckpointError);
      expect(e.message).toMatch(/header size \d+ runs past the end of the file \(40 bytes\)/);
    }
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    huge[8] = 0x7b;
    expect(thrown(() => readCheckpoint(huge))).toBeInstanceOf(CorruptCheckpointError);
  });

  it('unknown and unsupported dtypes are UnsupportedDtypeError', () => {
    for (const dtype of ['F8_E4M3', 'U16', 'C64', 'float32', 'XYZ']) {
      const e = thrown(() => readSafetensors(safetensorsFile({ x: { dtype, shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), 'f.safetensors'));
      expect(e, dtype).toBeInstanceOf(UnsupportedDtypeError);
      expect((e as UnsupportedDtypeError).dtype).toBe(dtype);
      expect(e.message).toContain(dtype);
      expect(e.message).toContain('(x)');
    }
  });

  it('encodeSafetensors checks its input', () => {
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'float32' as const, shape: [3], data: [1, 2] }]]))).toThrow(RangeError);
    expect(() => encodeSafetensors(new Map([['__metadata__', { dtype: 'float32' as const, shape: [1], data: [1] }]]))).toThrow(TypeError);
    expect(() => encodeSafetensors(new Map([['x', { dtype: 'int64' as const, shape: [1], data: [1.5] }]]))).toThrow(RangeError);
  });
});
