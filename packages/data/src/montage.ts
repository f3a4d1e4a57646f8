import { imageAt, type DatasetSplit } from './dataset.js';
import { DataError } from './errors.js';
import type { RasterImage } from './png.js';
import { permutation, seededRandom } from './random.js';
import { toGrey } from './transforms/raster.js';

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

/**
 * A grid of a 2D split's images, chosen at random with a seed (MedMNIST's `montage`). For a 3D split, one row
 * per volume (`length` of them), holding its depth slices from left to right (MedMNIST's `montage3d` shows the
 * same as one animation frame per slice).
 */
export function montage(split: DatasetSplit, options: MontageOptions = {}): RasterImage {
  const length = options.length ?? 10;
  if (!Number.isInteger(length) || length < 1) throw new DataError('BAD_OPTION', `montage length must be a positive integer, got ${length}`);
  const volumes = split.info.dimensions === 3;
  const fits = volumes ? length : length * length;
  const chosen = options.indices ?? permutation(split.count, seededRandom(options.seed ?? 0)).subarray(0, Math.min(fits, split.count));
  if (chosen.length > fits) throw new DataError('BAD_OPTION', volumes ? `${chosen.length} volumes do not fit ${length} rows` : `${chosen.length} images do not fit a ${length}×${length} grid`);
  if (volumes) return volumeRows(split, chosen, options.gap ?? 0);
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

/** The volumes at `chosen`, one row each of their depth slices. */
function volumeRows(split: DatasetSplit, chosen: ArrayLike<number>, gap: number): RasterImage {
  const [d, h, w] = split.imageShape as [number, number, number];
  const width = d * w + (d - 1) * gap;
  const height = chosen.length * h + Math.max(chosen.length - 1, 0) * gap;
  const pixels = new Uint8Array(width * height);
  for (let k = 0; k < chosen.length; k++) placeSlices(imageAt(split, chosen[k]!), [d, h, w], d, gap, pixels, width, k * (h + gap));
  return { width, height, channels: 1, pixels };
}

/** Copies a volume's depth slices into `pixels` (`width` wide) as a grid of `columns`, starting at row `top`. */
function placeSlices(volume: Uint8Array, [d, h, w]: readonly [number, number, number], columns: number, gap: number, pixels: Uint8Array, width: number, top: number): void {
  for (let z = 0; z < d; z++) {
    const ox = (z % columns) * (w + gap);
    const oy = top + Math.floor(z / columns) * (h + gap);
    for (let y = 0; y < h; y++) pixels.set(volume.subarray((z * h + y) * w, (z * h + y + 1) * w), (oy + y) * width + ox);
  }
}

/**
 * One volume `[d, h, w]` as a near-square grid of its depth slices (`columns` default ⌈√d⌉), left to right, top
 * to bottom: how `datasets save` writes a 3D image as one PNG.
 */
export function volumeSlices(volume: Uint8Array, shape: readonly [number, number, number], options: { columns?: number; gap?: number } = {}): RasterImage {
  const [d, h, w] = shape;
  if (volume.length !== d * h * w) throw new DataError('BAD_OPTION', `a volume of shape [${shape.join(', ')}] has ${d * h * w} voxels, got ${volume.length}`);
  const columns = options.columns ?? Math.ceil(Math.sqrt(d));
  const gap = options.gap ?? 0;
  const rows = Math.ceil(d / columns);
  const width = columns * w + (columns - 1) * gap;
  const height = rows * h + (rows - 1) * gap;
  const pixels = new Uint8Array(width * height);
  placeSlices(volume, shape, columns, gap, pixels, width, 0);
  return { width, height, channels: 1, pixels };
}

/**
 * A cubic volume back from its slice grid as {@link volumeSlices} lays it out (what `datasets save` writes):
 * the side s is the one with s·⌈√s⌉ = width and ⌈s / ⌈√s⌉⌉·s = height. Colour is turned grey.
 */
export function slicesToVolume(image: RasterImage, name = 'the image'): { volume: Uint8Array; shape: [number, number, number] } {
  let side = 0;
  for (let s = 1; s * Math.ceil(Math.sqrt(s)) <= image.width; s++) {
    const columns = Math.ceil(Math.sqrt(s));
    if (s * columns === image.width && Math.ceil(s / columns) * s === image.height) side = s;
  }
  if (side === 0) throw new DataError('BAD_OPTION', `${name} (${image.width}×${image.height}) is not a grid of a cube's slices as \`datasets save\` writes them (e.g. 168×140 for 28³, 512×512 for 64³)`);
  const grey = toGrey(image);
  const columns = Math.ceil(Math.sqrt(side));
  const volume = new Uint8Array(side ** 3);
  for (let z = 0; z < side; z++) {
    const ox = (z % columns) * side;
    const oy = Math.floor(z / columns) * side;
    for (let y = 0; y < side; y++) volume.set(grey.subarray((oy + y) * image.width + ox, (oy + y) * image.width + ox + side), (z * side + y) * side);
  }
  return { volume, shape: [side, side, side] };
}
