import { readNpy, type NpyArray } from './npy.js';
import { readZip } from './zip.js';

/** The arrays of an NPZ file, keyed by name without the `.npy` suffix. */
export type NpzArrays = Map<string, NpyArray>;

/**
 * Reads an NPZ (a zip of `.npy` files, stored or deflated). `keys` limits which arrays are decoded.
 * Errors name the file and the entry.
 */
export function readNpz(bytes: Uint8Array, file = '<npz>', keys?: readonly string[]): NpzArrays {
  const zip = readZip(bytes, file);
  const arrays: NpzArrays = new Map();
  for (const entry of zip.entries) {
    if (!entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (keys && !keys.includes(key)) continue;
    arrays.set(key, readNpy(zip.read(entry), `${file}:${entry.name}`));
  }
  return arrays;
}
