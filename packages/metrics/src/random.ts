import { MetricsError } from './errors.js';

/** A source of uniform random numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * mulberry32, a small seeded 32-bit PRNG: the same seed gives the same sequence on every
 * JavaScript runtime (Node, Deno, browsers). Not cryptographic.
 *
 * @param seed an integer in [0, 2^32).
 * @throws {MetricsError} if `seed` is not such an integer.
 */
export function mulberry32(seed: number): RandomSource {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new MetricsError('INVALID_OPTION', `mulberry32: seed must be an integer in [0, 2^32), got ${String(seed)}.`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) drawn from `random`. */
export function randomInt(random: RandomSource, n: number): number {
  return Math.floor(random() * n);
}
