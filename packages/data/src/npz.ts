import { NpyFormatError } from './errors.js';
import { readNpy, readNpyHeader, type NpyArray, type NpyHeader } from './npy.js';
import { readZip, type ZipArchive, type ZipEntry } from './zip.js';

/** The arrays of an NPZ file, keyed by name without the `.npy` suffix. */
export type NpzArrays = Map<string, NpyArray>;

/** One array of an NPZ archive: its zip entry and its NPY header (its data not read yet). */
export interface NpzEntry {
  readonly entry: ZipEntry;
  readonly header: NpyHeader;
}

/** Bytes that hold any NPY 1.0 header (a 16-bit length after a 10-byte preamble). */
const NPY_HEADER_MAX = 10 + 0xffff;

/**
 * The arrays of an NPZ archive (`keys` limits which), from their NPY headers alone: each header is read by
 * inflating only an entry's first bytes, and an entry whose declared size is not what its header's shape needs is
 * refused, so nothing is inflated on a header's word that the archive contradicts; `check` may refuse one (by
 * throwing) as soon as its header is read. Errors name the file and entry.
 */
export function npzEntries(zip: ZipArchive, keys?: readonly string[], check?: (key: string, header: NpyHeader) => void): Map<string, NpzEntry> {
  const arrays = new Map<string, NpzEntry>();
  for (const entry of zip.entries) {
    if (!entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (keys && !keys.includes(key)) continue;
    const name = `${zip.file}:${entry.name}`;
    const header = readNpyHeader(zip.readPrefix(entry, Math.min(entry.uncompressedSize, NPY_HEADER_MAX)), name);
    const needs = header.dataStart + header.byteCount;
    if (needs !== entry.uncompressedSize) {
      throw new NpyFormatError(name, `shape [${header.shape.join(', ')}] of ${header.dtype} needs ${needs} bytes but the archive declares ${entry.uncompressedSize}`);
    }
    check?.(key, header);
    arrays.set(key, { entry, header });
  }
  return arrays;
}

/**
 * Reads an NPZ (a zip of `.npy` files, stored or deflated) held in memory. `keys` limits which arrays are decoded.
 * Headers are checked first ({@link npzEntries}); `checkHeader` may refuse an array (by throwing) before it is inflated.
 */
export function readNpz(bytes: Uint8Array, file = '<npz>', keys?: readonly string[], checkHeader?: (key: string, header: NpyHeader) => void): NpzArrays {
  const zip = readZip(bytes, file);
  const arrays: NpzArrays = new Map();
  for (const [key, { entry }] of npzEntries(zip, keys, checkHeader)) {
    arrays.set(key, readNpy(zip.read(entry), `${file}:${entry.name}`));
  }
  return arrays;
}
