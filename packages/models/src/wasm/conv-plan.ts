import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch, type WasmBackendInternals } from './heap.js';
import { heapFloats, invoke, type KernelThreads, type ThreadCall } from './kernel-threads.js';
import type { LayerExports } from './layers-module.js';

// A convolution as one kernel call over a batch's images (wasm/layers.ts convDirect or winograd4Conv) with a
// filter operand made from the filter (panels, a Winograd transform): run on tfjs-wasm's heap on this thread,
// or on the kernel threads, each on its own images. Both run the same call, so they give the same bits. The
// filter gradient likewise, its threads each on their own output channels.

/** Contiguous shares of `n` items (images, groups of channels) over `threads` threads, as [first, count] (some may be empty). */
export function evenShares(n: number, threads: number): [number, number][] {
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
  /** The addend for these images (0 for none): their own rows of a residual, or the one image every image adds. */
  readonly addend: number;
  readonly scratch: number;
}

/** A planned convolution: its filter operand, bias, scratch, and the kernel call for any run of images. */
export interface ConvPlan {
  /** The filter operand (panels or Winograd transform): a key for its layout, its floats, how to make it from the filter. */
  readonly operand: { readonly key: string; readonly floats: number; readonly make: (target: tf.TensorInfo) => void };
  readonly bias?: tf.TensorInfo;
  /** Added to the result before the ReLU: shaped as the output (`perImage`, a residual) or as one image of it. */
  readonly addend?: { readonly tensor: tf.TensorInfo; readonly perImage: boolean };
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

/** Where one threaded call's tensors lie in the shared memory: its inputs, its output and each thread's scratch. */
interface SharedCall {
  readonly inputs: readonly number[];
  readonly out: number;
  readonly scratch: readonly number[];
}

/**
 * Copies `inputs` into the shared memory, runs one kernel call per thread there (what `calls` makes of their
 * offsets), and copies `out` back to the backend's heap.
 */
function onThreads(
  pool: KernelThreads, backend: WasmBackendInternals, inputs: readonly tf.TensorInfo[], out: tf.TensorInfo, scratchWords: number,
  calls: (at: SharedCall) => ThreadCall[],
): void {
  const held: number[] = [];
  const alloc = (bytes: number) => {
    held.push(pool.alloc(bytes));
    return held.at(-1)!;
  };
  try {
    const at = { inputs: inputs.map((t) => alloc(floatsOf(t) * 4)), out: alloc(floatsOf(out) * 4), scratch: Array.from({ length: pool.threads }, () => alloc(scratchWords * 4)) };
    inputs.forEach((t, i) => copyIn(pool, backend, t, at.inputs[i]!));
    pool.run(calls(at));
    heapFloats(backend).set(pool.floats().subarray(at.out / 4, at.out / 4 + floatsOf(out)), heapOffset(backend, out) / 4);
  } finally {
    pool.release(...held);
  }
}

/**
 * `out` = the convolution of `x` on every kernel thread, each on its own images. The same bits as one thread:
 * every output pixel is computed by the same code from the same operands.
 */
export function threadedConv(pool: KernelThreads, backend: WasmBackendInternals, filter: tf.TensorInfo, x: tf.TensorInfo, out: tf.TensorInfo, conv: ConvPlan): void {
  const operand = keptOperand(pool, backend, filter, conv);
  const n = x.shape[0]!;
  const [inImage, outImage] = [floatsOf(x) / n, floatsOf(out) / n];
  const { bias, addend } = conv;
  const inputs = [x, ...(bias ? [bias] : []), ...(addend ? [addend.tensor] : [])];
  onThreads(pool, backend, inputs, out, conv.scratchWords, ({ inputs: [xs, ...rest], out: ys, scratch }) => {
    const biasAt = bias ? rest[0]! : 0;
    const addendAt = addend ? rest.at(-1)! : 0;
    return evenShares(n, pool.threads).map(([first, count], t) => (count === 0 ? null : conv.call({
      x: xs! + first * inImage * 4, y: ys + first * outImage * 4, count, operand, bias: biasAt, scratch: scratch[t]!,
      addend: addend?.perImage ? addendAt + first * outImage * 4 : addendAt,
    })));
  });
}

/** Offsets of one filter-gradient call's operands, and the output channels oa…ob−1 it computes. */
export interface FilterGradShare {
  readonly x: number;
  readonly dy: number;
  readonly dw: number;
  readonly scratch: number;
  readonly oa: number;
  readonly ob: number;
}

/** A planned filter gradient (wasm/layers.ts convFilterGrad, convFilterGradRows or winogradFilterGrad). */
export interface FilterGradPlan {
  readonly scratchWords: number;
  readonly call: (share: FilterGradShare) => NonNullable<ThreadCall>;
}

/**
 * `dw` [kh, kw, ci, co] = the filter gradient of `x` and `dy` on every kernel thread, each on its own groups of 8
 * output channels. The same bits as one thread: each channel is summed in the same order.
 */
export function threadedFilterGrad(pool: KernelThreads, backend: WasmBackendInternals, x: tf.TensorInfo, dy: tf.TensorInfo, dw: tf.TensorInfo, plan: FilterGradPlan): void {
  onThreads(pool, backend, [x, dy], dw, plan.scratchWords, ({ inputs: [xs, dys], out, scratch }) =>
    evenShares(dw.shape[3]! / 8, pool.threads).map(([first, count], t) => (count === 0 ? null : plan.call({
      x: xs!, dy: dys!, dw: out, scratch: scratch[t]!, oa: 8 * first, ob: 8 * (first + count),
    }))));
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
    invoke(kernels, conv.call({
      x: at(x), y: at(out), count: x.shape[0]!, operand: at(operand(scratch)), bias: conv.bias ? at(conv.bias) : 0, scratch: at(scratch([conv.scratchWords])),
      addend: conv.addend ? at(conv.addend.tensor) : 0,
    }));
  });
}
