// Volumes `[D, H, W]` as model input: resizing per axis, seeded augmentation, slices.
import type { Random } from '../random.js';
import { bilinear, jitterIntensity, volumeSampler, type Augmentation } from './augment.js';

/**
 * Small flips, axial rotations and shifts for volumes (MedMNIST 3D's shapes and CT crops): an {@link Augmentation}
 * read as {@link augmentVolume} does.
 */
export const VOLUME_AUGMENTATION: Augmentation = { hflip: 0.5, rotate: 10, translate: 0.05 };

/** One axis of linear interpolation with half-pixel centres (PyTorch's `align_corners=False`, no antialiasing). */
function linearTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const x = Math.max((o + 0.5) * scale - 0.5, 0);
    const x0 = Math.min(Math.floor(x), inSize - 1);
    lo[o] = x0;
    hi[o] = Math.min(x0 + 1, inSize - 1);
    frac[o] = x - x0;
  }
  return { lo, hi, frac };
}

/** Linear interpolation along one axis of a C-order array `[outer, n, inner]` to `[outer, m, inner]`. */
function resizeAxis(src: Float32Array, outer: number, n: number, inner: number, m: number): Float32Array {
  if (n === m) return src;
  const { lo, hi, frac } = linearTaps(n, m);
  const out = new Float32Array(outer * m * inner);
  for (let a = 0; a < outer; a++) {
    for (let o = 0; o < m; o++) {
      const f = frac[o]!;
      const p = (a * n + lo[o]!) * inner;
      const q = (a * n + hi[o]!) * inner;
      const t = (a * m + o) * inner;
      for (let i = 0; i < inner; i++) out[t + i] = src[p + i]! + f * (src[q + i]! - src[p + i]!);
    }
  }
  return out;
}

/**
 * A uint8 volume `[d, h, w]` as floats in [0, 1] resized to `size³` by trilinear interpolation: PyTorch's
 * `F.interpolate(v / 255, size, mode='trilinear', align_corners=False)` (separable, one axis at a time).
 */
export function resizeVolume(volume: Uint8Array, shape: readonly [number, number, number], size: number): Float32Array {
  const floats = new Float32Array(volume.length);
  for (let i = 0; i < volume.length; i++) floats[i] = volume[i]! / 255;
  return resizeVolumeValues(floats, shape, size);
}

/** Float values `[d, h, w]` resized to `size³` the same way (e.g. a Grad-CAM map onto its volume). */
export function resizeVolumeValues(values: Float32Array, shape: readonly [number, number, number], size: number): Float32Array {
  const [d, h, w] = shape;
  const alongW = resizeAxis(values, d * h, w, 1, size);
  const alongH = resizeAxis(alongW, d, h, size, size);
  return resizeAxis(alongH, 1, d, size * size, size);
}

/**
 * The volume form of an {@link Augmentation}, on a volume `size³` of floats in [0, 1], written into `out`: `hflip`
 * flips left–right (the width axis), `rotate` turns about the depth axis (in the axial plane), `cropScale` zooms in
 * by √scale along every axis (a square crop of that area fraction in each plane, as for images), `translate`
 * shifts along each axis; one trilinear resampling, zero or edge fill (`fill`); then brightness and contrast.
 */
export function augmentVolume(src: Float32Array, size: number, aug: Augmentation, random: Random, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const flip = aug.hflip !== undefined && random.next() < aug.hflip ? -1 : 1;
  const angle = aug.rotate ? (random.uniform(-aug.rotate, aug.rotate) * Math.PI) / 180 : 0;
  const zoom = aug.cropScale ? Math.sqrt(random.uniform(aug.cropScale[0], aug.cropScale[1])) : 1;
  const [tz, ty, tx] = [0, 1, 2].map(() => (aug.translate ? random.uniform(-aug.translate, aug.translate) * size : 0)) as [number, number, number];
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const c0 = (size - 1) / 2;
  const at = volumeSampler(aug.fill, size, (z, y, x) => src[(z * size + y) * size + x]!);
  for (let z = 0; z < size; z++) {
    const fz = (z - c0) * zoom + c0 + tz;
    const z0 = Math.floor(fz);
    const az = fz - z0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        // Inverse map: output voxel → source coordinates (zoom, flip, rotate about the centre, then shift).
        const u = (x - c0) * zoom * flip;
        const v = (y - c0) * zoom;
        const fx = cos * u - sin * v + c0 + tx;
        const fy = sin * u + cos * v + c0 + ty;
        const plane = (zz: number) => bilinear((yy, xx) => at(zz, yy, xx), fy, fx);
        out[(z * size + y) * size + x] = (1 - az) * plane(z0) + az * plane(z0 + 1);
      }
    }
  }
  return jitterIntensity(out, aug, random);
}
