// Intra-op threads: one call of a medxfer wasm kernel split across threads that share a WebAssembly.Memory.
// tfjs-wasm's heap is shared only in its threaded build (browsers), so the threads work in a shared memory of
// their own: a call copies its operands in, each thread runs the kernel on its share (a convolution's images,
// a filter gradient's output channels), and the result is copied out. Filters (transformed, packed) stay there
// between calls, by tensor data. A worker that dies mid-call would leave its caller waiting: the threads catch
// what a kernel throws and report it, and only close() ends them.
//
// The protocol, in the memory's first CONTROL_BYTES: a generation counter the threads wait on, the count of
// threads still running, an error flag, a stop flag, and per thread one kernel call (function id, arguments).
import { Arena } from './arena.js';
import { heapModuleBuild, instantiateOnHeap, wasmMemoryOf, type HeapModuleBuild, type WasmBackendInternals } from './heap.js';
import { LAYERS, type LayerExports } from './layers-module.js';

const CONTROL_BYTES = 4096;
const GENERATION = 0;
const PENDING = 1;
const FAILED = 2;
const STOP = 3;
const CALLS = 16;
const CALL_INTS = 32;
/** Threads one control block holds, the calling thread included. */
export const MAX_KERNEL_THREADS = Math.floor((CONTROL_BYTES / 4 - CALLS) / CALL_INTS);

/** {@link KernelThreads.minPixelsPerThread}'s default. */
export const DEFAULT_MIN_PIXELS_PER_THREAD = 128;
/** {@link KernelThreads.minMacsPerThread}'s default: 2²⁵, ≈ 1.5 ms of convolution. */
export const DEFAULT_MIN_MACS_PER_THREAD = 2 ** 25;

/** The kernels a thread can run, by id (0: nothing this time). */
const FUNCTIONS = ['convDirect', 'winograd4Conv', 'convFilterGrad', 'convFilterGradRows', 'winogradFilterGrad', 'map2Conv'] as const;
export type ThreadedFunction = (typeof FUNCTIONS)[number];

/** One thread's share of a call: a kernel of wasm/layers.ts and its arguments, or null for none. */
export type ThreadCall = { readonly fn: ThreadedFunction; readonly args: readonly number[] } | null;

/** Runs one kernel call on `kernels` (the thread's own instance of wasm/layers.ts). */
export function invoke(kernels: LayerExports, call: NonNullable<ThreadCall>): void {
  (kernels[call.fn] as (...a: number[]) => void)(...call.args);
}

const controlOf = (memory: WebAssembly.Memory) => new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);

/** A shared memory for kernel threads (4 GiB at most, as the shared builds of the kernels declare). */
export function kernelThreadMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
}

/** The build of the layer kernels that runs on `memory` (every thread must run the same one: same bits). */
export const kernelThreadBuild = (memory: WebAssembly.Memory): HeapModuleBuild | undefined => heapModuleBuild(LAYERS, memory);

/** The base64 module of a build for a shared memory (what a kernel thread instantiates). */
export const sharedLayersModule = (build: HeapModuleBuild): string | undefined => (build === 'relaxed-simd' ? LAYERS.relaxedShared : LAYERS.shared);

function callKernel(kernels: LayerExports, control: Int32Array, index: number): void {
  const at = CALLS + index * CALL_INTS;
  const id = control[at]!;
  if (id === 0) return;
  const args = Array.from(control.subarray(at + 2, at + 2 + control[at + 1]!));
  invoke(kernels, { fn: FUNCTIONS[id - 1]!, args });
}

/**
 * A kernel thread's loop (thread `index` ≥ 1, on a worker): waits for each generation, runs its call, counts
 * itself done. Returns when the stop flag is set. Blocks its thread (Atomics.wait) between calls. `ready` is
 * called once the thread has read the generation it waits past: a call issued before that would be missed
 * and its caller would wait for it forever.
 */
export function serveKernelThread(memory: WebAssembly.Memory, kernels: LayerExports, index: number, ready: () => void): void {
  const control = controlOf(memory);
  let seen = Atomics.load(control, GENERATION);
  ready();
  for (;;) {
    Atomics.wait(control, GENERATION, seen);
    seen = Atomics.load(control, GENERATION);
    if (Atomics.load(control, STOP)) return;
    try {
      callKernel(kernels, control, index);
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    if (Atomics.sub(control, PENDING, 1) === 1) Atomics.notify(control, PENDING);
  }
}

/**
 * Kernel threads over one shared memory: the calling thread (index 0) and `threads − 1` others that run
 * {@link serveKernelThread}. Made by a runtime adapter (`startKernelThreads` in `@medxfer/models/node`).
 */
export class KernelThreads {
  /** The layer kernels on the shared memory, for this thread. */
  readonly kernels: LayerExports;
  /** Which build of them every thread runs: with relaxed SIMD where the runtime has it, else SIMD only. */
  readonly build: HeapModuleBuild;
  private readonly control: Int32Array;
  private readonly arena: Arena;
  /** Filter operands kept between calls: by tensor data, then by transform and shape. */
  private readonly kept = new Map<object, Map<string, number>>();
  private closed = false;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** Threads that share each call, the calling one included. */
    readonly threads: number,
    private readonly stopThreads: () => Promise<void>,
    /**
     * Output pixels per thread below which a convolution stays on the calling thread, unless its share has
     * {@link minMacsPerThread} multiply-adds: copying its operands and waking the threads cost more than half
     * of a small convolution (ResNet18's deepest layers at 28 px). 0 splits every call that can be.
     */
    readonly minPixelsPerThread = DEFAULT_MIN_PIXELS_PER_THREAD,
    /**
     * Multiply-adds per thread from which a convolution splits whatever its pixels: a deep layer on few pixels
     * but many channels (ResNet18's 2×2 × 512-channel maps at 64 px, batch 32: 64 pixels and ≈ 67 M a thread).
     */
    readonly minMacsPerThread = DEFAULT_MIN_MACS_PER_THREAD,
  ) {
    if (threads < 1 || threads > MAX_KERNEL_THREADS) throw new RangeError(`kernel threads: 1 to ${MAX_KERNEL_THREADS}, got ${threads}`);
    this.control = controlOf(memory);
    this.arena = new Arena(memory, CONTROL_BYTES);
    const kernels = instantiateOnHeap<LayerExports>(LAYERS, memory);
    const build = kernelThreadBuild(memory);
    if (!kernels || !build) throw new Error('kernel threads need WebAssembly SIMD and threads');
    this.kernels = kernels;
    this.build = build;
  }

  /** `bytes` of the shared memory for one call's operands; give them back with {@link release}. */
  alloc(bytes: number): number {
    return this.arena.alloc(bytes);
  }

  release(...offsets: number[]): void {
    for (const offset of offsets) this.arena.release(offset);
  }

  /** The shared memory as float32 (a new view: the memory may have grown). */
  floats(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  /**
   * The offset of a filter operand kept for tensor data `dataId` under `key` (a transform and shape): made
   * by `fill(offset)` on first use, freed by {@link sweep} once the data is gone.
   */
  keptOperand(dataId: object, key: string, bytes: number, fill: (offset: number) => void): number {
    let byKey = this.kept.get(dataId);
    const kept = byKey?.get(key);
    if (kept !== undefined) return kept;
    const offset = this.arena.alloc(bytes);
    try {
      fill(offset);
    } catch (error) {
      this.arena.release(offset);
      throw error;
    }
    if (!byKey) this.kept.set(dataId, (byKey = new Map()));
    byKey.set(key, offset);
    return offset;
  }

  /** Frees the operands of tensor data the backend no longer has. */
  sweep(backend: WasmBackendInternals): void {
    for (const [dataId, byKey] of this.kept) {
      if (backend.dataIdMap.has(dataId)) continue;
      for (const offset of byKey.values()) this.arena.release(offset);
      this.kept.delete(dataId);
    }
  }

  /** Bytes of the shared memory in use (kept operands; a call's operands while it runs). */
  get bytesInUse(): number {
    return this.arena.inUse;
  }

  /** Runs `calls[t]` on thread t, all at once, and returns when every one is done (calls[0] runs here). */
  run(calls: readonly ThreadCall[]): void {
    if (this.closed) throw new Error('kernel threads: closed');
    if (calls.length !== this.threads) throw new Error(`kernel threads: ${calls.length} calls for ${this.threads} threads`);
    const control = this.control;
    for (let t = 1; t < this.threads; t++) {
      const at = CALLS + t * CALL_INTS;
      const call = calls[t];
      control[at] = call ? FUNCTIONS.indexOf(call.fn) + 1 : 0;
      control[at + 1] = call?.args.length ?? 0;
      if (call) control.set(call.args, at + 2);
    }
    Atomics.store(control, FAILED, 0);
    Atomics.store(control, PENDING, this.threads - 1);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    const own = calls[0];
    try {
      if (own) invoke(this.kernels, own);
    } finally {
      for (let left = Atomics.load(control, PENDING); left !== 0; left = Atomics.load(control, PENDING)) Atomics.wait(control, PENDING, left);
    }
    if (Atomics.load(control, FAILED)) throw new Error('kernel threads: a kernel failed on a worker thread');
  }

  /** Stops the other threads and forgets the kept operands. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    this.kept.clear();
    await this.stopThreads();
  }
}

let active: KernelThreads | undefined;

/**
 * Makes `threads` the kernel threads that medxfer's wasm kernels split their work across (undefined: back to
 * one thread). Convolutions (Conv2D, FusedConv2D, and the input gradient Conv2DBackpropInput) use them on
 * batches of two images or more, each thread on its own images; the filter gradient (Conv2DBackpropFilter)
 * on its own output channels. The results are the same bits as on one thread. BatchNorm and the layout
 * kernels still run on the calling thread.
 */
export function setKernelThreads(threads: KernelThreads | undefined): void {
  active = threads;
}

/** The kernel threads in use, if any. */
export const activeKernelThreads = (): KernelThreads | undefined => active;

/** Float32 view of the backend's heap (a new view: the heap may have grown). */
export const heapFloats = (backend: WasmBackendInternals): Float32Array => new Float32Array(wasmMemoryOf(backend)!.buffer);
