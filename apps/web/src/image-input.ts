// Images → pictures for the page, and the input pipeline of a loaded model. Pure (no DOM): the worker
// decodes files into RasterImages and calls these. Model input itself comes from @medxfer/data's
// `rasterToInput` (the same grey conversion, PIL-exact resize and normalisation as training and as
// the CLI's `predict`).
import { resizeBilinearPIL, toGrey, toRGB, type RasterImage } from '@medxfer/data';

/** The image's pixels with `channels` channels (1: grey, 3: RGB), resized to `size` × `size`. */
export function resizedPixels(image: RasterImage, channels: 1 | 3, size: number): Uint8Array {
  const src = channels === 1 ? toGrey(image) : toRGB(image);
  return resizeBilinearPIL(src, image.height, image.width, channels, size, size);
}

/** Interleaved 1/3/4-channel bytes as RGBA for an ImageData. */
export function toRGBA(pixels: Uint8Array, width: number, height: number, channels: number): Uint8ClampedArray {
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) out[i * 4 + k] = pixels[i * channels + (channels === 1 ? 0 : k)]!;
    out[i * 4 + 3] = channels === 4 ? pixels[i * 4 + 3]! : 255;
  }
  return out;
}

/** What kind of image a file is, by its first bytes. */
export function sniffImage(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}
