import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { DataError, decodePng, MAX_IMAGE_PIXELS, readNpy, slicesToVolume, type RasterImage } from '@medxfer/data';
import { UsageError } from './errors.js';

/** Reads a PNG or JPEG (by its magic bytes) into RGBA pixels. */
export async function readImage(file: string): Promise<RasterImage & { path: string }> {
  const path = resolve(file);
  const bytes = new Uint8Array(await readFile(path).catch(() => Promise.reject(new UsageError(`${file}: no such image`))));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return { ...decodePng(bytes, path), path };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    try {
      // jpeg-js checks the header's size against maxResolutionInMP before it decodes anything.
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
      return { width: img.width, height: img.height, channels: 4, pixels: img.data, path };
    } catch (cause) {
      throw new UsageError(`${path}: not a readable JPEG (${(cause as Error).message})`);
    }
  }
  throw new UsageError(`${path}: not a PNG or JPEG file`);
}

/**
 * Reads a volume: a `.npy` of uint8 `[D, H, W]`, or a PNG/JPEG grid of a cube's slices (`datasets save`'s; `decoded`:
 * that image, already read).
 */
export async function readVolume(file: string, decoded?: RasterImage): Promise<{ volume: Uint8Array; shape: [number, number, number]; path: string }> {
  const path = resolve(file);
  if (!path.toLowerCase().endsWith('.npy')) {
    const image = decoded ?? (await readImage(file));
    try {
      return { ...slicesToVolume(image, path), path };
    } catch (error) {
      throw error instanceof DataError ? new UsageError(error.message) : error;
    }
  }
  const bytes = new Uint8Array(await readFile(path).catch(() => Promise.reject(new UsageError(`${file}: no such file`))));
  let array: ReturnType<typeof readNpy>;
  try {
    array = readNpy(bytes, path);
  } catch (error) {
    throw error instanceof DataError ? new UsageError(error.message) : error;
  }
  if (array.dtype !== 'u1' || array.shape.length !== 3) throw new UsageError(`${path}: a volume must be uint8 [D, H, W] (as in MedMNIST's 3D files), got ${array.dtype} [${array.shape.join(', ')}]`);
  return { volume: array.data as Uint8Array, shape: array.shape as [number, number, number], path };
}
