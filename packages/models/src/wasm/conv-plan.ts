import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch, type WasmBackendInternals } from './heap.js';
import { heapFloats, type KernelThreads, type ThreadCall } from './kernel-threads.js';
import type { LayerExports } from './layers-module.js';

// A convolution as one kernel call over a batch's images (wasm/layers.ts convDirect or winogradConv) with a
// filter operand made from the filter (panels, a Winograd transform): run on tfjs-wasm's heap on this thread,
// or on the kernel threads, each on its own images. Both run the same call, so they give the same bits.

/** Contiguous shares of `n` images over `threads` threads, as [first image, count] (some may be empty). */
export function imageShares(n: number, threads: number): [number, number][] {
  const base = Math.floor(n / threads);
  const extra = n % threads;
  let first = 0;
  return Array.from({ length: threads }, (_, t) => {
    const count = base + (t < extra ? 1 : 0);
    const share: [number, number] = [first, count];
    first += count;
    return share;
  });
}

/** Offsets (in the memory the call runs on) of one call's operands: `count` images at x and y. */
export interface ShareOffsets {
  readonly x: number;
  readonly y: number;
  readonly count: number;
  readonly operand: number;
  /** 0 for none. */
  readonly bias: number;
  readonly scratch: number;
}

/** A planned convolution: its filter operand, bias, scratch, and the kernel call for any run of images. */
export interface ConvPlan {
  /** The filter operand (panels or Winograd transform): a key for its layout, its floats, how to make it from the filter. */
  readonly operand: { readonly key: string; readonly floats: number; readonly make: (target: tf.TensorInfo) => void };
  readonly bias?: tf.TensorInfo;
  /** 4-byte words of scratch each call needs. */
  readonly scratchWords: number;
  readonly call: (share: ShareOffsets) => NonNullable<ThreadCall>;
}

const floatsOf = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape);

/** Copies `t`'s data from the backend's heap into the shared memory at `offset`. */
function copyIn(pool: KernelThreads, backend: WasmBackendInternals, t: tf.TensorInfo, offset: number): void {
  const from = heapOffset(backend, t) / 4;
  pool.floats().set(heapFloats(backend).subarray(from, from + floatsOf(t)), offset / 4);
}

/** The filter operand kept in the shared memory, made on the backend's heap the first time. */
function keptOperand(pool: KernelThreads, backend: WasmBackendInternals, filter: tf.TensorInfo, conv: ConvPlan): number {
  pool.sweep(backend);
  const { key, floats, make } = conv.operand;
  return pool.keptOperand(filter.dataId, `${filter.shape}:${key}`, floats * 4, (offset) => withScratch(backend, (scratch) => {
    const made = scratch([floats]);
    make(made);
    copyIn(pool, backend, made, offset);
  }));
}

/**
 * `out` = the convolution of `x` on every kernel thread: x (and the bias) copied into the shared memory, each
 * thread's images convolved there, the result copied back. The same bits as one thread: every output pixel
 * is computed by the same code from the same operands.
 */
export function threadedConv(pool: KernelThreads, backend: WasmBackendInternals, filter: tf.TensorInfo, x: tf.TensorInfo, out: tf.TensorInfo, conv: ConvPlan): void {
  const operand = keptOperand(pool, backend, filter, conv);
  const n = x.shape[0]!;
  const [inImage, outImage] = [floatsOf(x) / n, floatsOf(out) / n];
  const shares = imageShares(n, pool.threads);
  const xs = pool.alloc(floatsOf(x) * 4);
  const ys = pool.alloc(floatsOf(out) * 4);
  const bias = conv.bias ? pool.alloc(floatsOf(conv.bias) * 4) : 0;
  const scratch = shares.map(() => pool.alloc(conv.scratchWords * 4));
  try {
    copyIn(pool, backend, x, xs);
    if (conv.bias) copyIn(pool, backend, conv.bias, bias);
    pool.run(shares.map(([first, count], t) => (count === 0 ? null : conv.call({
      x: xs + first * inImage * 4, y: ys + first * outImage * 4, count, operand, bias, scratch: scratch[t]!,
    }))));
    heapFloats(backend).set(pool.floats().subarray(ys / 4, ys / 4 + floatsOf(out)), heapOffset(backend, out) / 4);
  } finally {
    pool.release(xs, ys, ...(bias ? [bias] : []), ...scratch);
  }
}

/**
 * `out` = the convolution of `x` on this thread, on the backend's heap, with the operand `operand(scratch)`
 * gives (made there, or kept by the caller).
 */
export function convOnHeap(
  backend: WasmBackendInternals, kernels: LayerExports, conv: ConvPlan, x: tf.TensorInfo, out: tf.TensorInfo,
  operand: (scratch: (shape: number[]) => tf.TensorInfo) => tf.TensorInfo,
): void {
  withScratch(backend, (scratch) => {
    const at = (t: tf.TensorInfo) => heapOffset(backend, t);
    const { fn, args } = conv.call({
      x: at(x), y: at(out), count: x.shape[0]!, operand: at(operand(scratch)), bias: conv.bias ? at(conv.bias) : 0, scratch: at(scratch([conv.scratchWords])),
    });
    (kernels[fn] as (...a: number[]) => void)(...args);
  });
}
