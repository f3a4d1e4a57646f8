// Writes a zip archive of stored (uncompressed) entries: what torch's checkpoint format and NumPy's .npz use.
import { crc32 } from './crc32.js';

const le16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/**
 * A zip archive of `files` (name, bytes), stored without compression, each entry's data aligned to 64 bytes
 * (as torch.save aligns tensor records, so readers may map them in place). Archives over 4 GiB are refused.
 */
export function encodeStoredZip(files: readonly (readonly [string, Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: number[][] = [];
  let offset = 0;
  const push = (bytes: Uint8Array | number[]) => {
    const u8 = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    parts.push(u8);
    offset += u8.length;
  };
  for (const [name, data] of files) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    // Padding in the local header's extra field puts the data on a 64-byte boundary.
    const pad = (64 - ((offset + 30 + nameBytes.length + 4) % 64)) % 64;
    const extra = [...le16(0x5346), ...le16(pad), ...new Array<number>(pad).fill(0)];
    const local = offset;
    push([...le32(0x04034b50), ...le16(20), ...le16(0), ...le16(0), ...le16(0), ...le16(0), ...le32(crc), ...le32(data.length), ...le32(data.length), ...le16(nameBytes.length), ...le16(extra.length)]);
    push(nameBytes);
    push(extra);
    push(data);
    central.push([...le32(0x02014b50), ...le16(20), ...le16(20), ...le16(0), ...le16(0), ...le16(0), ...le16(0), ...le32(crc), ...le32(data.length), ...le32(data.length), ...le16(nameBytes.length), ...le16(0), ...le16(0), ...le16(0), ...le16(0), ...le32(0), ...le32(local), ...nameBytes]);
  }
  const cdStart = offset;
  for (const entry of central) push(entry);
  if (offset > 0xffffffff) throw new RangeError('encodeStoredZip: archives over 4 GiB need zip64, which this writer does not do');
  push([...le32(0x06054b50), ...le16(0), ...le16(0), ...le16(files.length), ...le16(files.length), ...le32(offset - cdStart), ...le32(cdStart), ...le16(0)]);
  const out = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}
