import { setFlagsFromString } from 'node:v8';
import { decodeBase64 } from '../wasm/heap.js';
import { LAYERS_RELAXED_WASM_BASE64 } from '../wasm/layers-wasm-binary.js';

/**
 * Turns on WebAssembly relaxed SIMD in Node 20 (its V8 has it behind --experimental-wasm-relaxed-simd; Node
 * 22 and browsers have it on), so medxfer's wasm convolution kernels run their fused multiply-add build
 * (≈ 20% faster than multiply-then-add). Call it before the wasm backend runs a kernel; a process-wide V8
 * flag, worker threads included. Returns whether the relaxed build can now run.
 */
export function enableRelaxedSimd(): boolean {
  const bytes = decodeBase64(LAYERS_RELAXED_WASM_BASE64);
  if (WebAssembly.validate(bytes)) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}
