import type { RasterImage } from '../png.js';
import { channelStats } from './normalize.js';
import type { ImageTransform } from './pipeline.js';
import { resizeBilinearPIL } from './resize.js';

/** PIL's `convert('L')`: L = (299 R + 587 G + 114 B) / 1000 in PIL's fixed point, rounded as PIL rounds. */
export function toGrey(image: RasterImage): Uint8Array {
  const n = image.width * image.height;
  const c = image.channels;
  if (c === 1) return image.pixels.slice(0, n);
  const grey = new Uint8Array(n);
  for (let i = 0; i < n; i++) grey[i] = (image.pixels[i * c]! * 19595 + image.pixels[i * c + 1]! * 38470 + image.pixels[i * c + 2]! * 7471 + 0x8000) >> 16;
  return grey;
}

/** Interleaved RGB bytes (grey repeated, alpha dropped). */
export function toRGB(image: RasterImage): Uint8Array {
  const n = image.width * image.height;
  const c = image.channels;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = image.pixels[i * c + (c === 1 ? 0 : k)]!;
  return rgb;
}

/** True when every pixel has R = G = B (a grey image stored as colour, as most X-ray PNGs and JPEGs). */
export function isGrey(image: RasterImage): boolean {
  const c = image.channels;
  if (c === 1) return true;
  for (let i = 0, n = image.width * image.height; i < n; i++) {
    const r = image.pixels[i * c]!;
    if (image.pixels[i * c + 1] !== r || image.pixels[i * c + 2] !== r) return false;
  }
  return true;
}

/**
 * One decoded image (any size, PNG/JPEG pixels) as model input `[1, size, size, channels]` (NHWC floats),
 * through the same steps as a dataset batch: grey or RGB, PIL-exact resize, /255, normalisation.
 * `resized` is the resized 8-bit image (for overlays).
 */
export function rasterToInput(image: RasterImage, transform: ImageTransform & { size: number }): { data: Float32Array; shape: [number, number, number, number]; resized: Uint8Array } {
  const { size } = transform;
  const channels = transform.channels ?? 1;
  const src = channels === 1 ? toGrey(image) : toRGB(image);
  const resized = resizeBilinearPIL(src, image.height, image.width, channels, size, size);
  const data = new Float32Array(resized.length);
  const stats = Array.from({ length: channels }, (_, c) => (transform.normalization ? channelStats(transform.normalization, c) : { mean: 0, std: 1 }));
  for (let i = 0; i < resized.length; i++) {
    const { mean, std } = stats[i % channels]!;
    data[i] = Math.fround(Math.fround(Math.fround(resized[i]! / 255) - Math.fround(mean)) / Math.fround(std));
  }
  return { data, shape: [1, size, size, channels], resized };
}
