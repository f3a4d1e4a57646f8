import type { DatasetSplit } from '../dataset.js';
import { DataError } from '../errors.js';
import type { Random } from '../random.js';
import { augmentImage, type Augmentation } from './augment.js';
import { channelStats, IMAGENET_NORMALIZATION, NO_NORMALIZATION, type Normalization } from './normalize.js';
import { resizeBilinearPIL } from './resize.js';
import { augmentVolume, resizeVolume } from './volume.js';

/** How images become model input. */
export interface ImageTransform {
  /** Output side in pixels (PIL-exact bilinear; volumes: trilinear, per axis); default: the split's size. */
  size?: number;
  /** Output channels: 1 keeps grey, 3 repeats it (torchvision's `Grayscale(3)`); default: the source's. */
  channels?: 1 | 3;
  /** Default: none (values in [0, 1]). */
  normalization?: Normalization;
  /** Memory layout of the batch; tfjs convolutions take NHWC (default). Volumes: NDHWC or NCDHW. */
  layout?: 'NHWC' | 'NCHW';
  /** Seeded augmentation, applied after resizing and before normalising (volumes: see `augmentVolume`). Needs `random`. */
  augmentation?: Augmentation;
}

/** A batch of images as floats plus their labels. */
export interface FloatBatch {
  readonly images: Float32Array;
  /** `[n, H, W, C]` or `[n, C, H, W]`; volumes `[n, D, H, W, C]` or `[n, C, D, H, W]`. */
  readonly shape: readonly [number, number, number, number] | readonly [number, number, number, number, number];
  /** `n × labelWidth` label values. */
  readonly labels: Uint8Array;
  readonly indices: ArrayLike<number>;
}

/**
 * Turns the images at `indices` into one float batch: resize → grey to 3 channels → [0, 1] →
 * augment → normalise, the order of the notebook's torchvision `Compose`.
 */
export function makeBatch(split: DatasetSplit, indices: ArrayLike<number>, transform: ImageTransform = {}, random?: Random): FloatBatch {
  if (split.info.dimensions === 3) return makeVolumeBatch(split, indices, transform, random);
  const [h, w] = split.imageShape as [number, number];
  const srcChannels = split.imageShape[2] ?? 1;
  const size = transform.size ?? h;
  const { channels, stats } = checkTransform(transform, srcChannels, random);
  const n = indices.length;
  const plane = size * size;
  const perImage = plane * channels;
  const images = new Float32Array(n * perImage);
  const labels = new Uint8Array(n * split.labelWidth);
  const resized = new Uint8Array(size * size * srcChannels);
  const floats = new Float32Array(size * size * srcChannels);
  const augmented = new Float32Array(size * size * srcChannels);
  const nchw = transform.layout === 'NCHW';
  for (let b = 0; b < n; b++) {
    const index = indices[b]!;
    resizeBilinearPIL(split.images.read(index), h, w, srcChannels, size, size, resized);
    for (let i = 0; i < resized.length; i++) floats[i] = Math.fround(resized[i]! / 255);
    const pixels = transform.augmentation ? augmentImage(floats, size, srcChannels, transform.augmentation, random!, augmented) : floats;
    const base = b * perImage;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) {
        const v = pixels[p * srcChannels + (srcChannels === 1 ? 0 : c)]!;
        const { mean, std } = stats[c]!;
        images[nchw ? base + c * plane + p : base + p * channels + c] = Math.fround(Math.fround(v - mean) / std);
      }
    }
    labels.set(split.labels.subarray(index * split.labelWidth, (index + 1) * split.labelWidth), b * split.labelWidth);
  }
  const shape: [number, number, number, number] = nchw ? [n, channels, size, size] : [n, size, size, channels];
  return { images, shape, labels, indices };
}

/** The output channels and per-channel statistics of `transform` on `srcChannels`-channel input, checked. */
function checkTransform(transform: ImageTransform, srcChannels: number, random: Random | undefined): { channels: number; stats: { mean: number; std: number }[] } {
  const channels = transform.channels ?? srcChannels;
  if (channels !== srcChannels && srcChannels !== 1) {
    throw new DataError('BAD_TRANSFORM', `cannot turn ${srcChannels}-channel images into ${channels} channels`);
  }
  const norm = transform.normalization ?? NO_NORMALIZATION;
  if (norm.mean.length !== 1 && norm.mean.length !== channels) {
    throw new DataError('BAD_TRANSFORM', `normalisation has ${norm.mean.length} channel statistics for ${channels}-channel images`);
  }
  if (transform.augmentation && !random) throw new DataError('BAD_TRANSFORM', 'augmentation needs a seeded random source');
  const stats = Array.from({ length: channels }, (_, c) => channelStats(norm, c)).map(({ mean, std }) => ({ mean: Math.fround(mean), std: Math.fround(std) }));
  return { channels, stats };
}

/**
 * A 3D split's volumes at `indices` as one float batch `[n, S, S, S, C]` (or `[n, C, S, S, S]`): trilinear resize
 * to `size³` → [0, 1] → augment → grey repeated to `channels` → normalise.
 */
function makeVolumeBatch(split: DatasetSplit, indices: ArrayLike<number>, transform: ImageTransform, random: Random | undefined): FloatBatch {
  const shape = split.imageShape as [number, number, number];
  const size = transform.size ?? shape[0];
  const { channels, stats } = checkTransform(transform, 1, random);
  const n = indices.length;
  const per = size ** 3 * channels;
  const images = new Float32Array(n * per);
  const labels = new Uint8Array(n * split.labelWidth);
  const scratch = new Float32Array(size ** 3);
  for (let b = 0; b < n; b++) {
    const index = indices[b]!;
    writeVolume(split.images.read(index), shape, { size, channels, stats, ncdhw: transform.layout === 'NCHW' }, images.subarray(b * per, (b + 1) * per), transform.augmentation && { augmentation: transform.augmentation, random: random!, scratch });
    labels.set(split.labels.subarray(index * split.labelWidth, (index + 1) * split.labelWidth), b * split.labelWidth);
  }
  const batchShape: [number, number, number, number, number] = transform.layout === 'NCHW' ? [n, channels, size, size, size] : [n, size, size, size, channels];
  return { images, shape: batchShape, labels, indices };
}

interface VolumeLayout {
  readonly size: number;
  readonly channels: number;
  readonly stats: readonly { mean: number; std: number }[];
  readonly ncdhw: boolean;
}

/** One uint8 volume → resized to size³ → [0, 1] → augmented → channels → normalised, into `out`. */
function writeVolume(volume: Uint8Array, shape: readonly [number, number, number], layout: VolumeLayout, out: Float32Array, augment?: { augmentation: Augmentation; random: Random; scratch: Float32Array }): void {
  const { size, channels, stats, ncdhw } = layout;
  const voxels = size ** 3;
  const resized = resizeVolume(volume, shape, size);
  const values = augment ? augmentVolume(resized, size, augment.augmentation, augment.random, augment.scratch) : resized;
  for (let p = 0; p < voxels; p++) {
    const v = Math.fround(values[p]!);
    for (let c = 0; c < channels; c++) {
      const { mean, std } = stats[c]!;
      out[ncdhw ? c * voxels + p : p * channels + c] = Math.fround(Math.fround(v - mean) / std);
    }
  }
}

/**
 * One uint8 volume `[d, h, w]` (a file's, not a dataset's) as model input `[1, size, size, size, channels]`, through
 * the same steps as a dataset batch.
 */
export function volumeToInput(volume: Uint8Array, shape: readonly [number, number, number], transform: ImageTransform & { size: number }): { data: Float32Array; shape: [number, number, number, number, number] } {
  if (volume.length !== shape[0] * shape[1] * shape[2]) throw new DataError('BAD_TRANSFORM', `a volume of shape [${shape.join(', ')}] has ${shape[0] * shape[1] * shape[2]} voxels, got ${volume.length}`);
  const { channels, stats } = checkTransform({ ...transform, augmentation: undefined }, 1, undefined);
  const data = new Float32Array(transform.size ** 3 * channels);
  writeVolume(volume, shape, { size: transform.size, channels, stats, ncdhw: false }, data);
  return { data, shape: [1, transform.size, transform.size, transform.size, channels] };
}

/**
 * The input pipeline medxfer's models take for images of `channels` channels at `size` px: grey images as one
 * channel in [0, 1] (the notebook's grey → RGB + ImageNet normalisation is folded into the model's grey stem,
 * exactly), colour images as RGB with ImageNet normalisation.
 */
export function inputTransform(channels: number, size: number): ImageTransform {
  return channels === 1 ? { size, channels: 1 } : { size, channels: 3, normalization: IMAGENET_NORMALIZATION };
}

/** The input pipeline of a saved model, from what its metadata says (`input`: `rgb`, `grey` or `single`). */
export function transformForModel(metadata: { readonly input: string; readonly inputSize: number; readonly normalization: Normalization }): ImageTransform {
  if (metadata.input === 'rgb') return { size: metadata.inputSize, channels: 3, normalization: metadata.normalization };
  if (metadata.input === 'grey') return { size: metadata.inputSize, channels: 1 };
  return { size: metadata.inputSize, channels: 1, normalization: metadata.normalization };
}
