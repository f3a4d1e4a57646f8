import { describe, expect, it } from 'vitest';
import { encodeNpy, NpyFormatError, readNpy } from '@medxfer/data';

/** Builds an NPY file by hand: preamble, header text, raw bytes (independent of encodeNpy). */
function npy(header: string, body: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let text = header;
  text += ' '.repeat((64 - ((pre + text.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(pre + text.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), pre);
  out.set(body, pre + text.length);
  return out;
}
const bytesOf = (values: number[]) => Uint8Array.from(values);

describe('readNpy', () => {
  it('reads every integer dtype in both byte orders', () => {
    // int16 -2, 258 little endian: fe ff 02 01; big endian: ff fe 01 02
    expect(Array.from(readNpy(npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", bytesOf([0xfe, 0xff, 0x02, 0x01]))).data as ArrayLike<number>)).toEqual([-2, 258]);
    expect(Array.from(readNpy(npy("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", bytesOf([0xff, 0xfe, 0x01, 0x02]))).data as ArrayLike<number>)).toEqual([-2, 258]);
    expect(Array.from(readNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", bytesOf([0, 127, 255]))).data as ArrayLike<number>)).toEqual([0, 127, 255]);
    expect(Array.from(readNpy(npy("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", bytesOf([0xff, 0x80]))).data as ArrayLike<number>)).toEqual([-1, -128]);
    expect(Array.from(readNpy(npy("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", bytesOf([0xff, 0xff]))).data as ArrayLike<number>)).toEqual([65535]);
    expect(Array.from(readNpy(npy("{'descr': '>u4', 'fortran_order': False, 'shape': (1,), }", bytesOf([0, 0, 1, 0]))).data as ArrayLike<number>)).toEqual([256]);
    expect(Array.from(readNpy(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", bytesOf([0xff, 0xff, 0xff, 0xff]))).data as ArrayLike<number>)).toEqual([-1]);
    expect(Array.from(readNpy(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", bytesOf([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).data as ArrayLike<number>)).toEqual([-2n]);
    expect(Array.from(readNpy(npy("{'descr': '>u8', 'fortran_order': False, 'shape': (1,), }", bytesOf([0, 0, 0, 1, 0, 0, 0, 0]))).data as ArrayLike<number>)).toEqual([2n ** 32n]);
    expect(Array.from(readNpy(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", bytesOf([1, 0]))).data as ArrayLike<number>)).toEqual([1, 0]);
  });

  it('reads floats: f2 (widened), f4 and big-endian f8', () => {
    // f2: 0x3c00 = 1, 0xc000 = -2, 0x7c00 = inf, 0x0001 = 2^-24 (subnormal)
    const half = readNpy(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", bytesOf([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00])));
    expect(Array.from(half.data as ArrayLike<number>)).toEqual([1, -2, Infinity, 2 ** -24]);
    expect(half.dtype).toBe('f2');
    // f4 1.5 = 0x3fc00000
    expect(Array.from(readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", bytesOf([0, 0, 0xc0, 0x3f]))).data as ArrayLike<number>)).toEqual([1.5]);
    // f8 -0.25 = 0xbfd0000000000000, big endian
    expect(Array.from(readNpy(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", bytesOf([0xbf, 0xd0, 0, 0, 0, 0, 0, 0]))).data as ArrayLike<number>)).toEqual([-0.25]);
  });

  it('reads format versions 2 and 3 and scalar / empty shapes', () => {
    const v2 = readNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }", bytesOf([7, 9]), 2));
    expect(v2.shape).toEqual([2, 1]);
    const v3 = readNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", bytesOf([42]), 3));
    expect(v3.shape).toEqual([]);
    expect(Array.from(v3.data as ArrayLike<number>)).toEqual([42]);
    expect(readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", new Uint8Array(0))).data.length).toBe(0);
  });

  it('transposes Fortran order into C order', () => {
    // A 2×3 array [[1,2,3],[4,5,6]] stored column-major: 1 4 2 5 3 6
    const f = readNpy(npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", bytesOf([1, 4, 2, 5, 3, 6])));
    expect(Array.from(f.data as ArrayLike<number>)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('round-trips through encodeNpy', () => {
    const data = Float32Array.from([0.1, -2, 3e30]);
    const back = readNpy(encodeNpy(data, [3, 1]));
    expect(back.shape).toEqual([3, 1]);
    expect(back.data).toEqual(data);
    expect((encodeNpy(data, [3]).length - 12) % 64).toBe(0); // header padded: data starts on a 64-byte boundary
  });

  it('names the problem for bad input', () => {
    expect(() => readNpy(bytesOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy')).toThrow(/x\.npy: not an NPY file/);
    const claimsMore = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(8));
    expect(() => readNpy(claimsMore, 'short.npy')).toThrow(NpyFormatError);
    expect(() => readNpy(claimsMore, 'short.npy')).toThrow(/short\.npy: shape \[4\] of f4 needs 16 data bytes but only 8 are present \(truncated file\)/);
    expect(() => readNpy(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'c.npy')).toThrow(/dtype "<c8" is not supported/);
    const truncatedHeader = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)).subarray(0, 30);
    expect(() => readNpy(truncatedHeader, 'h.npy')).toThrow(/h\.npy: NPY header claims/);
    expect(() => readNpy(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), 's.npy')).toThrow(/structured dtypes are not supported/);
  });
});
