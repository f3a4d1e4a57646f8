import { imageAt, type DatasetSplit } from './dataset.js';
import { DataError } from './errors.js';
import type { RasterImage } from './png.js';
import { permutation, seededRandom } from './random.js';

export interface MontageOptions {
  /** The grid is length × length images (default 10). */
  length?: number;
  /** Seed of the random choice of images (default 0); ignored when `indices` is given. */
  seed?: number;
  /** Exactly which images to show, in order (at most length²). */
  indices?: ArrayLike<number>;
  /** Pixels between tiles (default 0, as MedMNIST's montage). */
  gap?: number;
}

/** A grid of a 2D split's images, chosen at random with a seed (MedMNIST's `montage`). */
export function montage(split: DatasetSplit, options: MontageOptions = {}): RasterImage {
  if (split.info.dimensions === 3) throw new DataError('UNSUPPORTED', `${split.info.flag} is 3D; montages are for 2D datasets`);
  const length = options.length ?? 10;
  if (!Number.isInteger(length) || length < 1) throw new DataError('BAD_OPTION', `montage length must be a positive integer, got ${length}`);
  const chosen = options.indices ?? permutation(split.count, seededRandom(options.seed ?? 0)).subarray(0, Math.min(length * length, split.count));
  if (chosen.length > length * length) throw new DataError('BAD_OPTION', `${chosen.length} images do not fit a ${length}×${length} grid`);
  const [h, w] = split.imageShape as [number, number];
  const channels = (split.imageShape[2] ?? 1) as 1 | 3;
  const gap = options.gap ?? 0;
  const width = length * w + (length - 1) * gap;
  const height = length * h + (length - 1) * gap;
  const pixels = new Uint8Array(width * height * channels);
  for (let k = 0; k < chosen.length; k++) {
    const image = imageAt(split, chosen[k]!);
    const ox = (k % length) * (w + gap);
    const oy = Math.floor(k / length) * (h + gap);
    for (let y = 0; y < h; y++) pixels.set(image.subarray(y * w * channels, (y + 1) * w * channels), ((oy + y) * width + ox) * channels);
  }
  return { width, height, channels, pixels };
}
