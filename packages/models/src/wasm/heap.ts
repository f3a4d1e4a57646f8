import * as tf from '@tensorflow/tfjs-core';

// What kernels written in WebAssembly need of tfjs-backend-wasm: its memory (the heap every tensor lives
// in) and where in it a tensor's data starts. Not tfjs's public API: typed here once, checked at run time.

/** The parts of tfjs-backend-wasm's BackendWasm that kernels running on its heap use. */
export interface WasmBackendInternals {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory; HEAPF32?: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

/** The data identity of a tensor (changes when a variable is assigned). */
export const dataIdOf = (t: tf.Tensor | tf.TensorInfo): object => (t as unknown as { dataId: object }).dataId;

/** The active backend as tfjs-wasm's internals, or undefined when it is not tfjs-wasm. */
export function activeWasmBackend(): WasmBackendInternals | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
  return backend.dataIdMap && backend.wasm ? (backend as WasmBackendInternals) : undefined;
}

/** tfjs-wasm's memory: the plain/SIMD build exports it, the threaded build keeps its shared one on the module. */
export function wasmMemoryOf(backend: WasmBackendInternals): WebAssembly.Memory | undefined {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, t: tf.TensorInfo | tf.Tensor): number {
  const entry = backend.dataIdMap.get(dataIdOf(t));
  if (!entry) throw new Error('heapOffset: the tensor does not live on this wasm backend');
  return entry.memoryOffset;
}

/** Bytes of a base64 text (the embedded WebAssembly builds). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A WebAssembly module as scripts/build-wasm.mjs builds it, base64: for an unshared and for a shared memory,
 * and optionally both again with relaxed SIMD (fused multiply-add), preferred where the runtime has it.
 */
export interface HeapModuleSource {
  readonly plain: string;
  readonly shared: string;
  readonly relaxed?: string;
  readonly relaxedShared?: string;
}

/** Which build of a module runs: with relaxed SIMD, or with SIMD only. */
export type HeapModuleBuild = 'relaxed-simd' | 'simd';

const instances = new WeakMap<HeapModuleSource, WeakMap<WebAssembly.Memory, { exports: object; build: HeapModuleBuild } | null>>();

function instantiate(base64: string | undefined, memory: WebAssembly.Memory): object | null {
  if (!base64) return null;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(base64)), { env: { memory } }).exports;
  } catch {
    return null; // the runtime lacks a feature of this build (SIMD, relaxed SIMD)
  }
}

function instanceOn(source: HeapModuleSource, memory: WebAssembly.Memory) {
  let perMemory = instances.get(source);
  if (!perMemory) instances.set(source, (perMemory = new WeakMap()));
  let entry = perMemory.get(memory);
  if (entry === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const relaxed = instantiate(shared ? source.relaxedShared : source.relaxed, memory);
    const plain = relaxed ? null : instantiate(shared ? source.shared : source.plain, memory);
    entry = relaxed ? { exports: relaxed, build: 'relaxed-simd' } : plain ? { exports: plain, build: 'simd' } : null;
    perMemory.set(memory, entry);
  }
  return entry;
}

/**
 * The module's exports, instantiated once per memory with that memory imported (as `env.memory`), or null
 * where it cannot be (no WebAssembly SIMD).
 */
export function instantiateOnHeap<Exports extends object>(source: HeapModuleSource, memory: WebAssembly.Memory): Exports | null {
  return (instanceOn(source, memory)?.exports as Exports | undefined) ?? null;
}

/** The build of the module that runs on this memory, or undefined where none can. */
export const heapModuleBuild = (source: HeapModuleSource, memory: WebAssembly.Memory): HeapModuleBuild | undefined => instanceOn(source, memory)?.build;

/** The module on the backend's heap, or null where it cannot run there. */
export function heapModuleFor<Exports extends object>(source: HeapModuleSource, backend: WasmBackendInternals): Exports | null {
  const memory = wasmMemoryOf(backend);
  return memory ? instantiateOnHeap<Exports>(source, memory) : null;
}

/** Runs `run` with a maker of scratch tensors on the backend's heap, all freed at the end, errors included. */
export function withScratch<T>(backend: WasmBackendInternals, run: (scratch: (shape: number[], dtype?: 'float32' | 'int32') => tf.TensorInfo) => T): T {
  const made: tf.TensorInfo[] = [];
  try {
    return run((shape, dtype = 'float32') => {
      const t = backend.makeOutput(shape, dtype);
      made.push(t);
      return t;
    });
  } finally {
    for (const t of made) backend.disposeData(t.dataId);
  }
}
