import { Zip, ZipDeflate, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CorruptArchiveError, crc32, readNpz, readZip, UnsafeEntryNameError } from '@medxfer/data';
import { pneumoniaBytes } from './helpers.js';

/** A zip64 archive built by hand: one stored entry whose sizes and offset live in zip64 extra fields. */
function zip64(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = strToU8(name);
  const parts: Uint8Array[] = [];
  const le = (size: number, value: number | bigint) => {
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    if (size === 2) v.setUint16(0, Number(value), true);
    else if (size === 4) v.setUint32(0, Number(value), true);
    else v.setBigUint64(0, BigInt(value), true);
    return b;
  };
  const crc = crc32(data);
  const localExtra = [le(2, 1), le(2, 16), le(8, data.length), le(8, data.length)];
  const local = [le(4, 0x04034b50), le(2, 45), le(2, 0), le(2, 0), le(4, 0), le(4, crc), le(4, 0xffffffff), le(4, 0xffffffff), le(2, nameBytes.length), le(2, 20), nameBytes, ...localExtra, data];
  parts.push(...local);
  const cdOffset = local.reduce((n, p) => n + p.length, 0);
  const cdExtra = [le(2, 1), le(2, 24), le(8, data.length), le(8, data.length), le(8, 0)];
  const central = [le(4, 0x02014b50), le(2, 45), le(2, 45), le(2, 0), le(2, 0), le(4, 0), le(4, crc), le(4, 0xffffffff), le(4, 0xffffffff), le(2, nameBytes.length), le(2, 28), le(2, 0), le(2, 0), le(2, 0), le(4, 0), le(4, 0xffffffff), nameBytes, ...cdExtra];
  parts.push(...central);
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  const eocd64Offset = cdOffset + cdSize;
  parts.push(le(4, 0x06064b50), le(8, 44), le(2, 45), le(2, 45), le(4, 0), le(4, 0), le(8, 1), le(8, 1), le(8, cdSize), le(8, cdOffset));
  parts.push(le(4, 0x07064b50), le(4, 0), le(8, eocd64Offset), le(4, 1));
  parts.push(le(4, 0x06054b50), le(2, 0), le(2, 0), le(2, 0xffff), le(2, 0xffff), le(4, 0xffffffff), le(4, 0xffffffff), le(2, 0));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

function streamedZip(files: Record<string, Uint8Array>): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    chunks.push(chunk);
  });
  for (const [name, data] of Object.entries(files)) {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    entry.push(data, true);
  }
  zip.end();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, at), (at += c.length);
  return out;
}

describe('readZip', () => {
  const payload = strToU8('hello zip '.repeat(50));

  it('reads stored and deflated entries', () => {
    const archive = readZip(zipSync({ 'a.txt': [payload, { level: 0 }], 'b.txt': [payload, { level: 9 }] }));
    expect(archive.entries.map((e) => [e.name, e.method])).toEqual([['a.txt', 0], ['b.txt', 8]]);
    expect(archive.read('a.txt')).toEqual(payload);
    expect(archive.read('b.txt')).toEqual(payload);
  });

  it('reads entries written with data descriptors (streamed zips)', () => {
    const bytes = streamedZip({ 'x.bin': payload });
    expect(bytes[6]! & 8).toBe(8); // general-purpose flag bit 3: sizes follow the data
    expect(readZip(bytes).read('x.bin')).toEqual(payload);
  });

  it('reads zip64 archives', () => {
    const archive = readZip(zip64('big.bin', payload));
    expect(archive.entries[0]).toMatchObject({ name: 'big.bin', compressedSize: payload.length, uncompressedSize: payload.length });
    expect(archive.read('big.bin')).toEqual(payload);
  });

  it('refuses entry names that climb out', () => {
    for (const name of ['../evil.npy', '/etc/passwd', 'a/../../b', 'C:/x']) {
      expect(() => readZip(zipSync({ [name]: payload }), 'evil.zip')).toThrow(UnsafeEntryNameError);
    }
  });

  it('names truncated and corrupt archives', () => {
    const good = zipSync({ 'b.txt': [payload, { level: 9 }] });
    expect(() => readZip(good.subarray(0, good.length - 30), 't.zip')).toThrow(/t\.zip: the end of the archive is missing/);
    expect(() => readZip(strToU8('definitely not a zip file at all'), 'n.zip')).toThrow(/n\.zip: not a zip archive/);
    const corrupt = good.slice();
    const entry = readZip(good).entries[0]!;
    for (let i = 0; i < 8; i++) corrupt[entry.dataOffset + 2 + i] ^= 0xa5;
    expect(() => readZip(corrupt, 'c.zip').read('b.txt')).toThrow(CorruptArchiveError);
    expect(() => readZip(corrupt, 'c.zip').read('b.txt')).toThrow(/c\.zip: entry b\.txt/);
  });
});

describe('readNpz on the shared PneumoniaMNIST', () => {
  it('has the six arrays with the official shapes', () => {
    const arrays = readNpz(pneumoniaBytes(), 'pneumoniamnist.npz');
    const shapes = Object.fromEntries([...arrays].map(([k, a]) => [k, [a.dtype, ...a.shape]]));
    expect(shapes).toEqual({
      train_images: ['u1', 4708, 28, 28],
      train_labels: ['u1', 4708, 1],
      val_images: ['u1', 524, 28, 28],
      val_labels: ['u1', 524, 1],
      test_images: ['u1', 624, 28, 28],
      test_labels: ['u1', 624, 1],
    });
  });

  it('reports a truncated file by name', () => {
    const bytes = pneumoniaBytes();
    expect(() => readNpz(bytes.subarray(0, bytes.length / 2), 'half.npz')).toThrow(/half\.npz: the end of the archive is missing/);
  });
});
