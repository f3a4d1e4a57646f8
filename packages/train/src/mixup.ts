// Mixup (Zhang et al., ICLR 2018) and CutMix (Yun et al., ICCV 2019): each training batch mixed with a shuffled
// copy of itself — blended (mixup) or with a box pasted from the partner (CutMix). Drawn from its own seeded
// stream, so turning it on changes no augmentation draw; applied to the whole batch before it is cut into
// chunks, so the result is the same for any thread count.
import { permutation, type Random } from '@medxfer/data';
import type { Targets } from './task.js';

/**
 * One batch's mix: each image's partner and λ ∈ [0.5, 1], the weight of the image's own content (mixup); or, for
 * CutMix, a box (centre and side as fractions of the image) where the partner's pixels replace the image's.
 */
export interface BatchMix {
  readonly partners: Uint32Array;
  readonly lambda: number;
  readonly box?: { readonly cy: number; readonly cx: number; readonly side: number };
}

/** A CutMix box in pixels, rows [top, bottom) and columns [left, right), clipped to the image. */
interface PixelBox {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** Standard normal (Box–Muller). */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through Gamma(shape + 1)·U^(1/shape). */
export function gammaSample(shape: number, random: Random): number {
  if (shape < 1) return gammaSample(shape + 1, random) * (1 - random.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(random);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - random.next();
    if (Math.log(u) < z * z / 2 + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(α, α) as G₁ / (G₁ + G₂). */
export function betaSample(alpha: number, random: Random): number {
  const a = gammaSample(alpha, random);
  const b = gammaSample(alpha, random);
  return a / (a + b);
}

/** A batch's mix: λ ~ Beta(α, α) folded to max(λ, 1 − λ) (the image keeps its own label as the larger part). */
export function drawMix(count: number, alpha: number, random: Random): BatchMix {
  const lambda = betaSample(alpha, random);
  return { partners: permutation(count, random), lambda: Math.max(lambda, 1 - lambda) };
}

/**
 * A CutMix draw: λ ~ Beta(α, α), a box of side √(1 − λ) of the image's (the partner's share) centred at a
 * uniform point; the box is clipped at the borders, so the share that counts is its area after clipping.
 */
export function drawCutMix(count: number, alpha: number, random: Random): BatchMix {
  const lambda = betaSample(alpha, random);
  const partners = permutation(count, random);
  return { partners, lambda, box: { cy: random.next(), cx: random.next(), side: Math.sqrt(1 - lambda) } };
}

function pixelBox(box: NonNullable<BatchMix['box']>, height: number, width: number): PixelBox {
  const h = Math.round(box.side * height), w = Math.round(box.side * width);
  const cy = Math.floor(box.cy * height), cx = Math.floor(box.cx * width);
  const clip = (v: number, size: number) => Math.min(Math.max(v, 0), size);
  return { top: clip(cy - (h >> 1), height), bottom: clip(cy - (h >> 1) + h, height), left: clip(cx - (w >> 1), width), right: clip(cx - (w >> 1) + w, width) };
}

/**
 * The weight of each image's own content under `mix` for images of `height` × `width` pixels: mixup's λ, or
 * CutMix's share of pixels outside the box — what the targets are mixed by.
 */
export function ownShare(mix: BatchMix, height: number, width: number): number {
  if (!mix.box) return mix.lambda;
  const { top, bottom, left, right } = pixelBox(mix.box, height, width);
  return 1 - ((bottom - top) * (right - left)) / (height * width);
}

/**
 * Mixes a batch in place, `shape` [N, …, H, W, C] (volumes: the box spans every slice): mixup's
 * x_i ← λ·x_i + (1 − λ)·x_partner(i), or CutMix's box of x_partner(i) pasted into x_i.
 */
export function mixImages(images: Float32Array, shape: readonly number[], mix: BatchMix): Float32Array {
  if (mix.box) return cutImages(images, shape, mix.box, mix.partners);
  const count = shape[0]!;
  const size = images.length / count;
  const source = images.slice();
  const { lambda, partners } = mix;
  for (let i = 0; i < count; i++) {
    const own = i * size;
    const other = partners[i]! * size;
    for (let k = 0; k < size; k++) images[own + k] = lambda * source[own + k]! + (1 - lambda) * source[other + k]!;
  }
  return images;
}

function cutImages(images: Float32Array, shape: readonly number[], box: NonNullable<BatchMix['box']>, partners: Uint32Array): Float32Array {
  const [height, width, channels] = shape.slice(-3) as [number, number, number];
  const { top, bottom, left, right } = pixelBox(box, height, width);
  const plane = height * width * channels;
  const planes = images.length / plane / shape[0]!;
  const source = images.slice();
  for (let i = 0; i < shape[0]!; i++) {
    for (let s = 0; s < planes; s++) {
      const own = (i * planes + s) * plane, other = (partners[i]! * planes + s) * plane;
      for (let y = top; y < bottom; y++) {
        const from = (y * width + left) * channels, to = (y * width + right) * channels;
        images.set(source.subarray(other + from, other + to), own + from);
      }
    }
  }
  return images;
}

/**
 * The mixed targets as rows `[count, width]`: λ·y_i + (1 − λ)·y_partner(i) with λ = `share` (the image's own
 * share, {@link ownShare}), where single-label class indices become one-hot rows of `classes` first (soft
 * targets, which `crossEntropy` takes).
 */
export function mixTargets(targets: Targets, classes: number, mix: BatchMix, share = mix.lambda): Targets {
  const count = targets.shape[0]!;
  const width = targets.shape.length === 2 ? targets.shape[1]! : classes;
  const row = (i: number, j: number) => (targets.shape.length === 2 ? targets.data[i * width + j]! : targets.data[i] === j ? 1 : 0);
  const data = new Float32Array(count * width);
  const { partners } = mix;
  for (let i = 0; i < count; i++) for (let j = 0; j < width; j++) data[i * width + j] = share * row(i, j) + (1 - share) * row(partners[i]!, j);
  return { data, shape: [count, width] };
}
