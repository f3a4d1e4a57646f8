// A split's images, read one at a time: from memory, or by offset from a file that stays on disk.
import { UnknownDatasetError } from './errors.js';
import type { RandomAccessFile } from './random-access.js';

/** The images of a split. Reading one costs that image's bytes, wherever the split lives. */
export interface SplitImages {
  readonly count: number;
  /** Bytes per image: the product of the split's `imageShape`. */
  readonly imageBytes: number;
  /** Image `index` (0 ≤ index < count). The bytes may be a view of the whole split: do not modify them. */
  read(index: number): Uint8Array;
  /** All images in one array, when they are held in memory. */
  readonly bytes?: Uint8Array;
}

function checkIndex(index: number, count: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new UnknownDatasetError(`image ${index} is out of range 0..${count - 1}`);
}

/** Images held in one array, `imageBytes` each. */
export function imagesInMemory(bytes: Uint8Array, imageBytes: number): SplitImages {
  const count = imageBytes > 0 ? bytes.length / imageBytes : 0;
  return {
    count,
    imageBytes,
    bytes,
    read(index) {
      checkIndex(index, count);
      return bytes.subarray(index * imageBytes, (index + 1) * imageBytes);
    },
  };
}

/** `count` images of `imageBytes` each, stored one after another from byte `offset` of `file`. */
export function imagesInFile(file: RandomAccessFile, offset: number, count: number, imageBytes: number): SplitImages {
  return {
    count,
    imageBytes,
    read(index) {
      checkIndex(index, count);
      return file.read(offset + index * imageBytes, imageBytes);
    },
  };
}

/** The images at `indices` of `images`, in that order: copied when in memory, else read through. */
export function selectImages(images: SplitImages, indices: ArrayLike<number>): SplitImages {
  for (let k = 0; k < indices.length; k++) checkIndex(indices[k]!, images.count);
  if (!images.bytes) {
    const chosen = Uint32Array.from(indices);
    return { count: chosen.length, imageBytes: images.imageBytes, read: (k) => (checkIndex(k, chosen.length), images.read(chosen[k]!)) };
  }
  const out = new Uint8Array(indices.length * images.imageBytes);
  for (let k = 0; k < indices.length; k++) out.set(images.read(indices[k]!), k * images.imageBytes);
  return imagesInMemory(out, images.imageBytes);
}

/** Each image passed through `map` (to `imageBytes` bytes) as it is read. */
export function mapImages(images: SplitImages, imageBytes: number, map: (image: Uint8Array) => Uint8Array): SplitImages {
  return { count: images.count, imageBytes, read: (index) => map(images.read(index)) };
}

/** All images in one array (a copy unless already in memory): for small splits only. */
export function allImageBytes(images: SplitImages): Uint8Array {
  if (images.bytes) return images.bytes;
  const out = new Uint8Array(images.count * images.imageBytes);
  for (let i = 0; i < images.count; i++) out.set(images.read(i), i * images.imageBytes);
  return out;
}
