import { mixSeed, permutation, seededRandom } from './random.js';

export interface BatchPlan {
  batchSize: number;
  /** Shuffle with a seeded permutation per epoch (default true). */
  shuffle?: boolean;
  /** Run seed; the epoch is mixed in so each epoch has its own order. */
  seed?: number;
  epoch?: number;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
}

/** The index lists of one epoch's batches: deterministic for a given seed and epoch. */
export function batchIndices(count: number, plan: BatchPlan): Uint32Array[] {
  if (!Number.isInteger(plan.batchSize) || plan.batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${plan.batchSize}`);
  const order =
    plan.shuffle === false ? Uint32Array.from({ length: count }, (_, i) => i) : permutation(count, seededRandom(mixSeed(plan.seed ?? 0, plan.epoch ?? 0)));
  const batches: Uint32Array[] = [];
  for (let start = 0; start < count; start += plan.batchSize) {
    const batch = order.subarray(start, Math.min(start + plan.batchSize, count));
    if (plan.dropLast && batch.length < plan.batchSize) break;
    batches.push(batch);
  }
  return batches;
}

/**
 * Iterates `make(indices)` over the batches, preparing up to `prefetch` batches ahead so the next
 * one is ready while the consumer works on the current one.
 */
export async function* prefetchBatches<T>(batches: readonly Uint32Array[], make: (indices: Uint32Array, batch: number) => T | Promise<T>, prefetch = 1): AsyncGenerator<T> {
  const pending: Promise<T>[] = [];
  let next = 0;
  const fill = () => {
    while (next < batches.length && pending.length <= prefetch) {
      const b = next++;
      // Started as a microtask: it runs before the consumer resumes, so the next batch is ready (or,
      // when `make` is async, under way) while the consumer works on the current one.
      const made = Promise.resolve().then(() => make(batches[b]!, b));
      made.catch(() => {}); // observed when awaited below; avoids an unhandled rejection meanwhile
      pending.push(made);
    }
  };
  fill();
  while (pending.length > 0) {
    const value = await pending.shift()!;
    fill();
    yield value;
  }
}
