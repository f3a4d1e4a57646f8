import { describe, expect, it } from 'vitest';
import type { RasterImage } from '@medxfer/data';
import { resizedPixels, sniffImage, toRGBA } from '../src/image-input.js';

describe('image input', () => {
  it('resizes to grey or RGB pixels for display and overlays', () => {
    const square: RasterImage = { width: 2, height: 2, channels: 4, pixels: Uint8Array.from([255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255]) };
    expect(resizedPixels(square, 1, 2)).toEqual(Uint8Array.from([76, 76, 76, 76])); // PIL's convert('L') of pure red
    expect([...resizedPixels(square, 3, 1)]).toEqual([255, 0, 0]);
    expect(resizedPixels(square, 1, 5)).toHaveLength(25);
  });

  it('recognises PNG and JPEG by their bytes, and expands pixels to RGBA', () => {
    expect(sniffImage(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10]))).toBe('png');
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImage(Uint8Array.from([0x47, 0x49, 0x46]))).toBeUndefined();
    expect([...toRGBA(Uint8Array.from([9, 10]), 2, 1, 1)]).toEqual([9, 9, 9, 255, 10, 10, 10, 255]);
  });
});
