import { NpyFormatError } from './errors.js';
import { readNpy, readNpyHeader, type NpyArray, type NpyHeader } from './npy.js';
import { readZip } from './zip.js';

/** The arrays of an NPZ file, keyed by name without the `.npy` suffix. */
export type NpzArrays = Map<string, NpyArray>;

/** Bytes that hold any NPY 1.0 header (a 16-bit length after a 10-byte preamble). */
const NPY_HEADER_MAX = 10 + 0xffff;

/**
 * Reads an NPZ (a zip of `.npy` files, stored or deflated). `keys` limits which arrays are decoded.
 * Each entry's NPY header is read first, inflating only its first bytes: an entry whose declared size is not
 * what its header's shape needs, or that `checkHeader` refuses (throwing), is refused before it is inflated.
 * Errors name the file and the entry.
 */
export function readNpz(bytes: Uint8Array, file = '<npz>', keys?: readonly string[], checkHeader?: (key: string, header: NpyHeader) => void): NpzArrays {
  const zip = readZip(bytes, file);
  const arrays: NpzArrays = new Map();
  for (const entry of zip.entries) {
    if (!entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (keys && !keys.includes(key)) continue;
    const name = `${file}:${entry.name}`;
    const header = readNpyHeader(zip.readPrefix(entry, Math.min(entry.uncompressedSize, NPY_HEADER_MAX)), name);
    const needs = header.dataStart + header.byteCount;
    if (needs !== entry.uncompressedSize) {
      throw new NpyFormatError(name, `shape [${header.shape.join(', ')}] of ${header.dtype} needs ${needs} bytes but the archive declares ${entry.uncompressedSize}`);
    }
    checkHeader?.(key, header);
    arrays.set(key, readNpy(zip.read(entry), name));
  }
  return arrays;
}
