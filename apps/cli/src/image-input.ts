import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { channelStats, decodePng, resizeBilinearPIL, type ImageTransform, type RasterImage } from '@medxfer/data';
import { UsageError } from './errors.js';

/** Reads a PNG or JPEG (by its magic bytes) into RGBA pixels. */
export async function readImage(file: string): Promise<RasterImage & { path: string }> {
  const path = resolve(file);
  const bytes = new Uint8Array(await readFile(path).catch(() => Promise.reject(new UsageError(`${file}: no such image`))));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return { ...decodePng(bytes, path), path };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      return { width: img.width, height: img.height, channels: 4, pixels: img.data, path };
    } catch (cause) {
      throw new UsageError(`${path}: not a readable JPEG (${(cause as Error).message})`);
    }
  }
  throw new UsageError(`${path}: not a PNG or JPEG file`);
}

/** PIL's `convert('L')`: L = (299 R + 587 G + 114 B) / 1000, rounded as PIL does. */
export function toGrey(image: RasterImage): Uint8Array {
  const n = image.width * image.height;
  const grey = new Uint8Array(n);
  const c = image.channels;
  for (let i = 0; i < n; i++) {
    if (c === 1) grey[i] = image.pixels[i]!;
    else grey[i] = (image.pixels[i * c]! * 19595 + image.pixels[i * c + 1]! * 38470 + image.pixels[i * c + 2]! * 7471 + 0x8000) >> 16;
  }
  return grey;
}

/** One image as the model's NHWC float input, through the same resize and normalisation as training. */
export function imageToInput(image: RasterImage, transform: ImageTransform): { data: Float32Array; shape: [number, number, number, number]; resized: Uint8Array } {
  const size = transform.size!;
  const channels = transform.channels ?? 1;
  let src: Uint8Array;
  if (channels === 1) src = toGrey(image);
  else {
    src = new Uint8Array(image.width * image.height * 3);
    for (let i = 0; i < image.width * image.height; i++) for (let k = 0; k < 3; k++) src[i * 3 + k] = image.pixels[i * image.channels + (image.channels === 1 ? 0 : k)]!;
  }
  const resized = resizeBilinearPIL(src, image.height, image.width, channels, size, size);
  const data = new Float32Array(resized.length);
  for (let i = 0; i < resized.length; i++) {
    const v = Math.fround(resized[i]! / 255);
    const { mean, std } = transform.normalization ? channelStats(transform.normalization, i % channels) : { mean: 0, std: 1 };
    data[i] = Math.fround(Math.fround(v - Math.fround(mean)) / Math.fround(std));
  }
  return { data, shape: [1, size, size, channels], resized };
}
