import * as tf from '@tensorflow/tfjs-core';
import { heapModuleFor, heapOffset, instantiateOnHeap, type HeapModuleSource, type WasmBackendInternals as WasmBackend } from '@medxfer/models/internal';
import { OPTIM_SHARED_WASM_BASE64, OPTIM_WASM_BASE64 } from './optim-wasm-binary.js';

/** Name of the fused Adam kernel: inputs `{ p, g, m, v }`, outputs `[p', m', v']`, attributes {@link AdamKernelAttrs}. */
export const ADAM_KERNEL = 'MedxferAdam';
/** Name of the fused EMA kernel: inputs `{ average, value }`, output average·decay + value·(1 − decay), attributes {@link EmaKernelAttrs}. */
export const EMA_KERNEL = 'MedxferEma';

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

export interface EmaKernelAttrs {
  decay: number;
  oneMinusDecay: number;
}

/** The functions of wasm/optim.ts (pointers are byte offsets into the memory). */
export interface OptimExports {
  adam(p: number, g: number, m: number, v: number, outP: number, outM: number, outV: number, n: number, ...scalars: number[]): void;
  ema(a: number, w: number, out: number, n: number, decay: number, oneMinusDecay: number): void;
}

const OPTIM: HeapModuleSource = { plain: OPTIM_WASM_BASE64, shared: OPTIM_SHARED_WASM_BASE64 };

/** The kernels instantiated on a wasm memory (tfjs's heap), shared or not, or null where they cannot be (no SIMD). */
export const kernelsOn = (memory: WebAssembly.Memory) => instantiateOnHeap<OptimExports>(OPTIM, memory);

function checkSameShape(kernel: string, inputs: readonly tf.TensorInfo[]): void {
  const [first] = inputs;
  for (const t of inputs) {
    if (t.dtype !== 'float32' || t.shape.length !== first!.shape.length || t.shape.some((d, i) => d !== first!.shape[i])) {
      throw new Error(`${kernel}: the inputs must be float32 tensors of one shape, got ${inputs.map((x) => `${x.dtype}[${x.shape}]`).join(', ')}`);
    }
  }
}

function usableKernels(kernel: string, backend: WasmBackend): OptimExports {
  const kernels = heapModuleFor<OptimExports>(OPTIM, backend);
  if (!kernels) throw new Error(`${kernel}: this wasm backend cannot run it (needs WebAssembly SIMD)`);
  return kernels;
}

const sizeOf = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

function adamKernelFunc({ inputs, backend, attrs }: { inputs: Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>; backend: WasmBackend; attrs: AdamKernelAttrs }): tf.TensorInfo[] {
  const { p, g, m, v } = inputs;
  checkSameShape(ADAM_KERNEL, [p, g, m, v]);
  const kernels = usableKernels(ADAM_KERNEL, backend);
  const outs = [p, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const a = attrs;
  kernels.adam(at(p), at(g), at(m), at(v), at(outs[0]!), at(outs[1]!), at(outs[2]!), sizeOf(p), a.b1, a.c1, a.b2, a.c2, a.sqrtBias2, a.eps, a.stepSize, a.decay, a.l2);
  return outs;
}

function emaKernelFunc({ inputs, backend, attrs }: { inputs: Record<'average' | 'value', tf.TensorInfo>; backend: WasmBackend; attrs: EmaKernelAttrs }): tf.TensorInfo {
  const { average, value } = inputs;
  checkSameShape(EMA_KERNEL, [average, value]);
  const kernels = usableKernels(EMA_KERNEL, backend);
  const out = backend.makeOutput([...average.shape], 'float32');
  kernels.ema(heapOffset(backend, average), heapOffset(backend, value), heapOffset(backend, out), sizeOf(average), attrs.decay, attrs.oneMinusDecay);
  return out;
}

/**
 * Registers the fused kernels for tfjs's wasm backend (once) and says whether the active backend can run
 * them. Each reads its inputs in the backend's heap and writes new tensors in one pass (4 lanes of
 * WebAssembly SIMD), instead of one pass over memory per tensor op (~14 for an Adam step, 3 for an EMA step).
 */
export function wasmKernelsAvailable(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  for (const [kernelName, kernelFunc] of [[ADAM_KERNEL, adamKernelFunc], [EMA_KERNEL, emaKernelFunc]] as const) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  return heapModuleFor<OptimExports>(OPTIM, tf.backend() as unknown as WasmBackend) !== null;
}
