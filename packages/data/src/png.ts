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
/** The most pixels an image may have (64 MP: a 8000 × 8000 scan): larger ones are refused before decoding. */
export const MAX_IMAGE_PIXELS = 64_000_000;

/** Width and height from a PNG's IHDR chunk, without decoding (undefined when the header is not a PNG's). */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || bytes[12] !== 0x49 || bytes[13] !== 0x48 || bytes[14] !== 0x44 || bytes[15] !== 0x52) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Refuses an image of more than {@link MAX_IMAGE_PIXELS} pixels, by its header, before anything is allocated. */
export function checkImageSize(width: number, height: number, file: string): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError('BAD_IMAGE', `${file}: ${width} × ${height} pixels is more than medxfer reads (${MAX_IMAGE_PIXELS / 1e6} MP); scale it down first`);
  }
}

export function decodePng(bytes: Uint8Array, file = '<png>'): RasterImage {
  const size = pngSize(bytes);
  if (size) checkImageSize(size.width, size.height, file);
  let decoded: UPNG.Image;
  try {
    decoded = UPNG.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (cause) {
    throw new DataError('BAD_IMAGE', `${file}: not a readable PNG (${(cause as Error).message})`, { cause });
  }
  const rgba = new Uint8Array(UPNG.toRGBA8(decoded)[0]!);
  return { width: decoded.width, height: decoded.height, channels: 4, pixels: rgba };
}
