import * as tf from '@tensorflow/tfjs-core';

// What kernels written in WebAssembly need of tfjs-backend-wasm: its memory (the heap every tensor lives
// in) and where in it a tensor's data starts. Not tfjs's public API: typed here once, checked at run time.

/** The parts of tfjs-backend-wasm's BackendWasm that kernels running on its heap use. */
export interface WasmBackendInternals {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory; HEAPF32?: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
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

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A WebAssembly module built twice (scripts/build-wasm.mjs): for an unshared and for a shared memory, base64. */
export interface HeapModuleSource {
  readonly plain: string;
  readonly shared: string;
}

const instances = new WeakMap<HeapModuleSource, WeakMap<WebAssembly.Memory, object | null>>();

/**
 * The module's exports, instantiated once per memory with that memory imported (as `env.memory`), or null
 * where it cannot be (no WebAssembly SIMD).
 */
export function instantiateOnHeap<Exports extends object>(source: HeapModuleSource, memory: WebAssembly.Memory): Exports | null {
  let perMemory = instances.get(source);
  if (!perMemory) instances.set(source, (perMemory = new WeakMap()));
  let exports = perMemory.get(memory);
  if (exports === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    try {
      const bytes = decodeBase64(shared ? source.shared : source.plain);
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
    } catch {
      exports = null;
    }
    perMemory.set(memory, exports);
  }
  return exports as Exports | null;
}

/** The module on the backend's heap, or null where it cannot run there. */
export function heapModuleFor<Exports extends object>(source: HeapModuleSource, backend: WasmBackendInternals): Exports | null {
  const memory = wasmMemoryOf(backend);
  return memory ? instantiateOnHeap<Exports>(source, memory) : null;
}
