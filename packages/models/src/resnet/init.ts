import { seededRandom, type Random } from '@medxfer/data';

/** Standard normal samples from a seeded source (Box–Muller), so initial weights are the same on every backend. */
export function normal(count: number, std: number, random: Random): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - random.next();
    const v = random.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export const uniform = (count: number, bound: number, random: Random): Float32Array => Float32Array.from({ length: count }, () => random.uniform(-bound, bound));

/** torchvision's conv init: kaiming_normal_(mode='fan_out', nonlinearity='relu'); `taps`: the kernel's k² (3D: k³). */
export const kaimingConv = (outChannels: number, taps: number, count: number, random: Random): Float32Array =>
  normal(count, Math.sqrt(2 / (outChannels * taps)), random);

/** nn.Linear's default init: weight and bias uniform in ±1/√fan_in. */
export function linearInit(inFeatures: number, outFeatures: number, seed: number): { weight: Float32Array; bias: Float32Array } {
  const random = seededRandom(seed);
  const bound = 1 / Math.sqrt(inFeatures);
  return { weight: uniform(inFeatures * outFeatures, bound, random), bias: uniform(outFeatures, bound, random) };
}
