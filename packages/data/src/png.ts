import UPNG from 'upng-js';
import { DataError } from './errors.js';

/** An 8-bit image in memory, channels interleaved: 1 grey, 3 RGB, 4 RGBA. */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly pixels: Uint8Array;
}

function toRGBA(image: RasterImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (pixels.length !== width * height * channels) {
    throw new DataError('BAD_IMAGE', `image of ${width}×${height}×${channels} needs ${width * height * channels} bytes, got ${pixels.length}`);
  }
  if (channels === 4) return pixels;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = pixels[channels * i]!;
    rgba[4 * i + 1] = pixels[channels * i + (channels === 3 ? 1 : 0)]!;
    rgba[4 * i + 2] = pixels[channels * i + (channels === 3 ? 2 : 0)]!;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** Encodes a lossless PNG. */
export function encodePng(image: RasterImage): Uint8Array {
  const rgba = toRGBA(image);
  const buffer = rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + rgba.byteLength) as ArrayBuffer;
  return new Uint8Array(UPNG.encode([buffer], image.width, image.height, 0));
}

/** Decodes a PNG into RGBA pixels. */
export function decodePng(bytes: Uint8Array, file = '<png>'): RasterImage {
  let decoded: UPNG.Image;
  try {
    decoded = UPNG.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (cause) {
    throw new DataError('BAD_IMAGE', `${file}: not a readable PNG (${(cause as Error).message})`, { cause });
  }
  const rgba = new Uint8Array(UPNG.toRGBA8(decoded)[0]!);
  return { width: decoded.width, height: decoded.height, channels: 4, pixels: rgba };
}
