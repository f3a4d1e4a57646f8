import { ModelError } from '../errors.js';
import { activeWasmBackend, type WasmBackendInternals } from './heap.js';

// tfjs-wasm allocates every tensor with its module's `_malloc`, which returns 0 when the heap cannot grow
// (emscripten with memory growth does not abort); tfjs then writes the tensor from address 0. The guard makes
// a failed allocation an error before anything is written, and keeps count of the bytes in use.

/** The most tfjs-wasm's heap can grow to (emscripten's getHeapMax: 4 GiB less one page). */
export const WASM_HEAP_LIMIT = 4_294_901_760;

/** An allocation on the wasm heap failed: the heap would pass {@link WASM_HEAP_LIMIT}. */
export class WasmOutOfMemoryError extends ModelError {
  constructor(
    readonly requestedBytes: number,
    readonly inUseBytes: number,
  ) {
    super('WASM_OUT_OF_MEMORY', `out of memory: the wasm backend needed ${mib(requestedBytes)} more with ${mib(inUseBytes)} in use, past its 4 GiB heap; use a smaller --micro-batch (or a smaller --resize)`);
  }
}

const mib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** What the guard knows of a heap: bytes in use by tensors and kernels' scratch now, and the most since `resetPeak`. */
export interface WasmHeapUsage {
  readonly inUseBytes: number;
  readonly peakBytes: number;
  resetPeak(): void;
}

interface Allocator {
  _malloc(bytes: number): number;
  _free(offset: number): void;
}

const guarded = new WeakMap<object, WasmHeapUsage>();

/**
 * Checks every allocation tfjs-wasm and medxfer's kernels make on the active wasm backend's heap, once per
 * backend: a failed one throws {@link WasmOutOfMemoryError} instead of handing out offset 0. Returns the heap's
 * usage, or undefined when the active backend is not tfjs-wasm. `useMedxferKernels` calls it.
 */
export function guardWasmHeap(backend: WasmBackendInternals | undefined = activeWasmBackend()): WasmHeapUsage | undefined {
  if (!backend) return undefined;
  const module = backend.wasm as unknown as Allocator;
  const existing = guarded.get(module);
  if (existing) return existing;
  // emscripten's `_malloc` and `_free` are stubs that replace themselves with the exports on first use: use them
  // once, then wrap the exports.
  module._free(module._malloc(16));
  const malloc = module._malloc;
  const free = module._free;
  const sizes = new Map<number, number>();
  let inUse = 0;
  let peak = 0;
  module._malloc = (bytes: number) => {
    const offset = malloc(bytes) >>> 0;
    if (offset === 0 && bytes > 0) throw new WasmOutOfMemoryError(bytes, inUse);
    sizes.set(offset, bytes);
    inUse += bytes;
    if (inUse > peak) peak = inUse;
    return offset;
  };
  module._free = (offset: number) => {
    const at = offset >>> 0;
    inUse -= sizes.get(at) ?? 0;
    sizes.delete(at);
    free(offset);
  };
  const usage: WasmHeapUsage = {
    get inUseBytes() {
      return inUse;
    },
    get peakBytes() {
      return peak;
    },
    resetPeak: () => {
      peak = inUse;
    },
  };
  guarded.set(module, usage);
  return usage;
}

/** The heap usage of the active wasm backend, if it is guarded. */
export const wasmHeapUsage = (): WasmHeapUsage | undefined => {
  const backend = activeWasmBackend();
  return backend ? guarded.get(backend.wasm) : undefined;
};
