import * as tf from '@tensorflow/tfjs-core';
import { ADAM_WASM_BASE64 } from './adam-wasm-binary.js';

/** Name of the fused Adam kernel: inputs `{ p, g, m, v }`, outputs `[p', m', v']`, attributes {@link AdamKernelAttrs}. */
export const ADAM_KERNEL = 'MedxferAdam';

/** The scalars of one fused Adam step (float32, as the tensor-op path rounds them). */
export interface AdamKernelAttrs {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  sqrtBias2: number;
  eps: number;
  stepSize: number;
  /** Multiplies p before the step (decoupled weight decay); 1 for none. */
  decay: number;
  /** Coefficient of p added to the gradient (L2 weight decay); 0 for none. */
  l2: number;
}

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmBackend {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

type AdamFn = (p: number, g: number, m: number, v: number, outP: number, outM: number, outV: number, n: number, ...scalars: number[]) => void;

const instances = new WeakMap<WebAssembly.Memory, AdamFn | null>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The kernel instantiated on the backend's memory, or null where it cannot be (no SIMD, a shared memory of the threaded build). */
function kernelFor(backend: WasmBackend): AdamFn | null {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let fn = instances.get(memory);
  if (fn === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(ADAM_WASM_BASE64)), { env: { memory } });
      fn = instance.exports.adam as AdamFn;
    } catch {
      fn = null;
    }
    instances.set(memory, fn);
  }
  return fn;
}

/**
 * Registers the fused Adam kernel for tfjs's wasm backend (once) and says whether the active backend
 * can run it. It reads p, g, m, v in the backend's heap and writes three new tensors in one pass (4 lanes
 * of WebAssembly SIMD), instead of the ~14 separate tensor ops, each a pass over memory, of the op path.
 */
export function adamKernelAvailable(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  if (!tf.getKernel(ADAM_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: adamKernelFunc as unknown as tf.KernelFunc });
  }
  return kernelFor(tf.backend() as unknown as WasmBackend) !== null;
}

function adamKernelFunc({ inputs, backend, attrs }: { inputs: Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>; backend: WasmBackend; attrs: AdamKernelAttrs }): tf.TensorInfo[] {
  const { p, g, m, v } = inputs;
  for (const t of [g, m, v]) {
    if (t.dtype !== 'float32' || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`${ADAM_KERNEL}: p, g, m, v must be float32 tensors of one shape, got ${[p, g, m, v].map((x) => `${x.dtype}[${x.shape}]`).join(', ')}`);
    }
  }
  const fn = kernelFor(backend);
  if (!fn) throw new Error(`${ADAM_KERNEL}: this wasm backend cannot run it (needs WebAssembly SIMD and an unshared memory)`);
  const outs = [p, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const n = p.shape.reduce((a, b) => a * b, 1);
  const a = attrs;
  fn(at(p), at(g), at(m), at(v), at(outs[0]!), at(outs[1]!), at(outs[2]!), n, a.b1, a.c1, a.b2, a.c2, a.sqrtBias2, a.eps, a.stepSize, a.decay, a.l2);
  return outs;
}
