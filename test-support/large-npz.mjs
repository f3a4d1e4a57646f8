// Writes MedMNIST-shaped npz files of any size, seeded and streamed to disk (never whole in memory): for the
// large-file checks (.ci/large-files.sh) and the loader bench. Zip64 throughout; each entry stored or deflated.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32, createDeflateRaw } from 'node:zlib';
import { seededRandom } from '@medxfer/data';

const SPLITS = ['train', 'val', 'test'];
const MiB = 2 ** 20;

function npyHeader(shape) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/**
 * The images of a split in pieces of about 8 MiB, each image `labels[i]`-dependent: a mean brightness of
 * 40 + 150·label/(classes−1) plus seeded noise in [0, 64) — learnable, and nearly incompressible like real scans.
 */
function* imageChunks(count, imageBytes, labels, classes, next) {
  const noise = new Uint8Array(16 * MiB);
  for (let i = 0; i < noise.length; i += 4) new DataView(noise.buffer).setUint32(i, Math.floor(next() * 2 ** 32));
  const perChunk = Math.max(1, Math.floor((8 * MiB) / imageBytes));
  for (let start = 0; start < count; start += perChunk) {
    const n = Math.min(perChunk, count - start);
    const chunk = new Uint8Array(n * imageBytes);
    for (let k = 0; k < n; k++) {
      const base = 40 + Math.round((150 * labels[start + k]) / Math.max(1, classes - 1));
      const from = Math.floor(next() * (noise.length - imageBytes));
      for (let p = 0, o = k * imageBytes; p < imageBytes; p++) chunk[o + p] = base + (noise[from + p] & 63);
    }
    yield chunk;
  }
}

/** Local header with a zip64 extra field; sizes and CRC are patched in once the entry is written. */
function localHeader(name, method, crc, compressed, uncompressed) {
  const nameBytes = Buffer.from(name);
  const out = Buffer.alloc(30 + nameBytes.length + 20);
  out.writeUInt32LE(0x04034b50, 0);
  out.writeUInt16LE(45, 4);
  out.writeUInt16LE(method, 8);
  out.writeUInt32LE(crc, 14);
  out.writeUInt32LE(0xffffffff, 18);
  out.writeUInt32LE(0xffffffff, 22);
  out.writeUInt16LE(nameBytes.length, 26);
  out.writeUInt16LE(20, 28);
  nameBytes.copy(out, 30);
  out.writeUInt16LE(1, 30 + nameBytes.length);
  out.writeUInt16LE(16, 32 + nameBytes.length);
  out.writeBigUInt64LE(BigInt(uncompressed), 34 + nameBytes.length);
  out.writeBigUInt64LE(BigInt(compressed), 42 + nameBytes.length);
  return out;
}

function centralHeader(e) {
  const nameBytes = Buffer.from(e.name);
  const out = Buffer.alloc(46 + nameBytes.length + 28);
  out.writeUInt32LE(0x02014b50, 0);
  out.writeUInt16LE(45, 4);
  out.writeUInt16LE(45, 6);
  out.writeUInt16LE(e.method, 10);
  out.writeUInt32LE(e.crc, 16);
  out.writeUInt32LE(0xffffffff, 20);
  out.writeUInt32LE(0xffffffff, 24);
  out.writeUInt16LE(nameBytes.length, 28);
  out.writeUInt16LE(28, 30);
  out.writeUInt32LE(0xffffffff, 42);
  nameBytes.copy(out, 46);
  const x = 46 + nameBytes.length;
  out.writeUInt16LE(1, x);
  out.writeUInt16LE(24, x + 2);
  out.writeBigUInt64LE(BigInt(e.uncompressed), x + 4);
  out.writeBigUInt64LE(BigInt(e.compressed), x + 12);
  out.writeBigUInt64LE(BigInt(e.offset), x + 20);
  return out;
}

function endRecords(count, cdOffset, cdSize) {
  const out = Buffer.alloc(56 + 20 + 22);
  out.writeUInt32LE(0x06064b50, 0);
  out.writeBigUInt64LE(44n, 4);
  out.writeUInt16LE(45, 12);
  out.writeUInt16LE(45, 14);
  out.writeBigUInt64LE(BigInt(count), 24);
  out.writeBigUInt64LE(BigInt(count), 32);
  out.writeBigUInt64LE(BigInt(cdSize), 40);
  out.writeBigUInt64LE(BigInt(cdOffset), 48);
  out.writeUInt32LE(0x07064b50, 56);
  out.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64);
  out.writeUInt32LE(1, 72);
  out.writeUInt32LE(0x06054b50, 76);
  out.writeUInt16LE(0xffff, 84);
  out.writeUInt16LE(0xffff, 86);
  out.writeUInt32LE(0xffffffff, 88);
  out.writeUInt32LE(0xffffffff, 92);
  return out;
}

/**
 * Writes `path`: an npz with `{split}_images` (uint8, `[n, ...imageShape]`) and `{split}_labels` (uint8, `[n, 1]`)
 * for `counts`, seeded by `seed`; entries named in `deflate` are deflated (zlib level 1), the others stored.
 * Returns the entries written ({ name, method, uncompressed, compressed }) and the file's size.
 */
export async function writeLargeNpz(path, { imageShape, classes, counts, deflate = [], seed = 1 }) {
  const next = seededRandom(seed).next;
  const imageBytes = imageShape.reduce((a, b) => a * b, 1);
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'w');
  const entries = [];
  let at = 0;
  const write = async (bytes) => {
    await handle.write(bytes, 0, bytes.length, at);
    at += bytes.length;
  };
  const entry = async (key, header, chunks) => {
    const name = `${key}.npy`;
    const method = deflate.includes(key) ? 8 : 0;
    const offset = at;
    const placeholder = localHeader(name, method, 0, 0, 0);
    await write(placeholder);
    let crc = 0;
    let uncompressed = 0;
    let compressed = 0;
    const deflater = method === 8 ? createDeflateRaw({ level: 1 }) : undefined;
    const drained = deflater
      ? (async () => {
          for await (const piece of deflater) {
            compressed += piece.length;
            await write(piece);
          }
        })()
      : undefined;
    for (const chunk of [header, ...chunks]) {
      crc = crc32(chunk, crc);
      uncompressed += chunk.length;
      if (!deflater) {
        compressed += chunk.length;
        await write(chunk);
      } else if (!deflater.write(chunk)) await new Promise((resolve) => deflater.once('drain', resolve));
    }
    if (deflater) {
      deflater.end();
      await drained;
    }
    await handle.write(localHeader(name, method, crc, compressed, uncompressed), 0, placeholder.length, offset);
    entries.push({ name, method, crc, uncompressed, compressed, offset });
  };
  for (const split of SPLITS) {
    const n = counts[split];
    const labels = Uint8Array.from({ length: n }, () => Math.floor(next() * classes));
    await entry(`${split}_images`, npyHeader([n, ...imageShape]), imageChunks(n, imageBytes, labels, classes, next));
    await entry(`${split}_labels`, npyHeader([n, 1]), [labels]);
  }
  const cdOffset = at;
  for (const e of entries) await write(centralHeader(e));
  await write(endRecords(entries.length, cdOffset, at - cdOffset));
  await handle.close();
  return { entries: entries.map(({ name, method, uncompressed, compressed }) => ({ name, method, uncompressed, compressed })), size: at };
}
