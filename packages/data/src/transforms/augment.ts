import type { Random } from '../random.js';

/** Seeded augmentation suited to radiographs; every field is off unless set. */
export interface Augmentation {
  /** Probability of a horizontal flip. */
  hflip?: number;
  /** Maximum rotation in degrees (uniform in ±rotate). */
  rotate?: number;
  /** Random resized crop: the crop's area is a uniform fraction in [scale[0], scale[1]] (aspect 3/4–4/3). */
  cropScale?: readonly [number, number];
  /** Maximum shift as a fraction of the side (uniform in ±translate, each axis). */
  translate?: number;
  /** Brightness offset, uniform in ±brightness (values in [0, 1]). */
  brightness?: number;
  /** Contrast factor, uniform in [1 - contrast, 1 + contrast], around the image mean. */
  contrast?: number;
  /**
   * What the warp reads outside the image: `zero` (default) black, `edge` the nearest border pixel
   * (border replication, so a rotated or shifted radiograph gains no black wedges).
   */
  fill?: 'zero' | 'edge';
}

/** A light preset for chest X-rays: small rotations, crops and shifts, mild intensity changes. */
export const XRAY_AUGMENTATION: Augmentation = { hflip: 0.5, rotate: 10, cropScale: [0.85, 1], translate: 0.05, brightness: 0.1, contrast: 0.1 };

const clamp = (c: number, size: number) => (c < 0 ? 0 : c >= size ? size - 1 : c);
const outside = (c: number, size: number) => c < 0 || c >= size;

/** `read` (row, column) on the `size`² grid, outside it as `fill` says. */
export function planeSampler(fill: Augmentation['fill'], size: number, read: (y: number, x: number) => number): (y: number, x: number) => number {
  if (fill === 'edge') return (y, x) => read(clamp(y, size), clamp(x, size));
  return (y, x) => (outside(y, size) || outside(x, size) ? 0 : read(y, x));
}

/** `read` (depth, row, column) on the `size`³ grid, outside it as `fill` says. */
export function volumeSampler(fill: Augmentation['fill'], size: number, read: (z: number, y: number, x: number) => number): (z: number, y: number, x: number) => number {
  if (fill === 'edge') return (z, y, x) => read(clamp(z, size), clamp(y, size), clamp(x, size));
  return (z, y, x) => (outside(z, size) || outside(y, size) || outside(x, size) ? 0 : read(z, y, x));
}

/**
 * Applies a random geometric warp (flip, rotation, crop, shift; one bilinear resampling, zero or edge fill)
 * and intensity change to an image `[size, size, channels]` of floats in [0, 1], writing into `out`.
 */
export function augmentImage(src: Float32Array, size: number, channels: number, aug: Augmentation, random: Random, out = new Float32Array(src.length)): Float32Array {
  const flip = aug.hflip !== undefined && random.next() < aug.hflip ? -1 : 1;
  const angle = aug.rotate ? (random.uniform(-aug.rotate, aug.rotate) * Math.PI) / 180 : 0;
  let sx = 1;
  let sy = 1;
  if (aug.cropScale) {
    const area = random.uniform(aug.cropScale[0], aug.cropScale[1]);
    const ratio = Math.exp(random.uniform(Math.log(3 / 4), Math.log(4 / 3)));
    sx = Math.min(1, Math.sqrt(area * ratio));
    sy = Math.min(1, Math.sqrt(area / ratio));
  }
  const tx = aug.translate ? random.uniform(-aug.translate, aug.translate) * size : 0;
  const ty = aug.translate ? random.uniform(-aug.translate, aug.translate) * size : 0;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const c0 = (size - 1) / 2;
  let channel = 0;
  const at = planeSampler(aug.fill, size, (yy, xx) => src[(yy * size + xx) * channels + channel]!);
  // Inverse map: output pixel → source coordinates (scale, rotate, flip about the centre, then shift).
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x - c0) * sx * flip;
      const v = (y - c0) * sy;
      const fx = cos * u - sin * v + c0 + tx;
      const fy = sin * u + cos * v + c0 + ty;
      for (channel = 0; channel < channels; channel++) out[(y * size + x) * channels + channel] = bilinear(at, fy, fx);
    }
  }
  return jitterIntensity(out, aug, random);
}

/** `at` (row, column) sampled bilinearly at the point (fy, fx). */
export function bilinear(at: (y: number, x: number) => number, fy: number, fx: number): number {
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const ax = fx - x0;
  const ay = fy - y0;
  return (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) + ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
}

/** The intensity part of an augmentation, in place: contrast around the mean, brightness offset, clipped to [0, 1]. */
export function jitterIntensity(values: Float32Array, aug: Augmentation, random: Random): Float32Array {
  if (!aug.brightness && !aug.contrast) return values;
  const b = aug.brightness ? random.uniform(-aug.brightness, aug.brightness) : 0;
  const k = aug.contrast ? random.uniform(1 - aug.contrast, 1 + aug.contrast) : 1;
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  for (let i = 0; i < values.length; i++) values[i] = Math.min(1, Math.max(0, (values[i]! - mean) * k + mean + b));
  return values;
}
