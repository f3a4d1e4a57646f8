// Mixup (Zhang et al., ICLR 2018): each training batch mixed with a shuffled copy of itself. Drawn from its own
// seeded stream, so turning it on changes no augmentation draw; applied to the whole batch before it is cut
// into chunks, so the result is the same for any thread count.
import { permutation, type Random } from '@medxfer/data';
import type { Targets } from './task.js';

/** One batch's mix: each image's partner, and λ ∈ [0.5, 1], the weight of the image's own content. */
export interface BatchMix {
  readonly partners: Uint32Array;
  readonly lambda: number;
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

/** x_i ← λ·x_i + (1 − λ)·x_partner(i) for a batch of `count` images laid out one after another, in place. */
export function mixImages(images: Float32Array, count: number, mix: BatchMix): Float32Array {
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

/**
 * The mixed targets as rows `[count, width]`: λ·y_i + (1 − λ)·y_partner(i), where single-label class indices
 * become one-hot rows of `classes` first (soft targets, which `crossEntropy` takes).
 */
export function mixTargets(targets: Targets, classes: number, mix: BatchMix): Targets {
  const count = targets.shape[0]!;
  const width = targets.shape.length === 2 ? targets.shape[1]! : classes;
  const row = (i: number, j: number) => (targets.shape.length === 2 ? targets.data[i * width + j]! : targets.data[i] === j ? 1 : 0);
  const data = new Float32Array(count * width);
  const { lambda, partners } = mix;
  for (let i = 0; i < count; i++) for (let j = 0; j < width; j++) data[i * width + j] = lambda * row(i, j) + (1 - lambda) * row(partners[i]!, j);
  return { data, shape: [count, width] };
}
