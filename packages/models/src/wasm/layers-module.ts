import { LAYERS_RELAXED_SHARED_WASM_BASE64, LAYERS_RELAXED_WASM_BASE64, LAYERS_SHARED_WASM_BASE64, LAYERS_WASM_BASE64 } from './layers-wasm-binary.js';
import { heapModuleBuild, heapModuleFor, wasmMemoryOf, type HeapModuleBuild, type HeapModuleSource, type WasmBackendInternals } from './heap.js';

/** The functions of wasm/layers.ts (pointers are byte offsets into tfjs-wasm's memory; see that file). */
export interface LayerExports {
  gather4(src: number, dst: number, n0: number, n1: number, n2: number, n3: number, s0: number, s1: number, s2: number, s3: number): void;
  gather4Tiled(src: number, dst: number, n0: number, n1: number, n2: number, n3: number, s0: number, s1: number, s2: number, s3: number, k: number): void;
  zero(p: number, bytes: number): void;
  reluGrad(y: number, dy: number, dx: number, n: number): void;
  bnMoments(x: number, rows: number, c: number, mean: number, variance: number, invStd: number, eps: number, scratch: number): void;
  bnApply(x: number, y: number, rows: number, c: number, mean: number, invStd: number, gamma: number, beta: number): void;
  bnGrad(x: number, dy: number, rows: number, c: number, mean: number, invStd: number, gamma: number, dx: number, dGamma: number, dBeta: number, scratch: number): void;
  convDirect(x: number, f: number, y: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number, kh: number, kw: number, strideH: number, strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number, taps: number, bias: number, relu: number, addend: number, addendPerImage: number): void;
  convFilterGrad(x: number, dy: number, dw: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number, kh: number, kw: number, strideH: number, strideW: number, padTop: number, padLeft: number, pairs: number, oa: number, ob: number): void;
  convFilterGradRows(x: number, dy: number, dw: number, n: number, h: number, w: number, ci: number, oh: number, ow: number, co: number, kh: number, kw: number, strideH: number, strideW: number, padTop: number, padLeft: number, geometry: number, oa: number, ob: number): void;
  winograd4Filter(f: number, u: number, ci: number, co: number, scratch: number): void;
  map2Filter(f: number, u: number, ci: number, co: number, scratch: number): void;
  map2Conv(x: number, u: number, y: number, n: number, ci: number, co: number, bias: number, relu: number, scratch: number, block: number, addend: number, addendPerImage: number): void;
  winograd4Conv(x: number, u: number, y: number, n: number, h: number, w: number, ci: number, co: number, bias: number, relu: number, scratch: number, block: number, addend: number, addendPerImage: number): void;
  winogradFilterGrad(x: number, dy: number, dw: number, n: number, h: number, w: number, ci: number, co: number, scratch: number, block: number, oa: number, ob: number): void;
  maxPoolGrad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, strideH: number, strideW: number, padTop: number, padLeft: number): void;
}

export const LAYERS: HeapModuleSource = {
  plain: LAYERS_WASM_BASE64,
  shared: LAYERS_SHARED_WASM_BASE64,
  relaxed: LAYERS_RELAXED_WASM_BASE64,
  relaxedShared: LAYERS_RELAXED_SHARED_WASM_BASE64,
};

/** The layer kernels on the backend's heap, or null where they cannot run (no WebAssembly SIMD). */
export const layerKernelsFor = (backend: WasmBackendInternals) => heapModuleFor<LayerExports>(LAYERS, backend);

/** Which build of the layer kernels runs on the backend's heap (relaxed SIMD: fused multiply-adds in the convolutions). */
export function layerKernelsBuild(backend: WasmBackendInternals): HeapModuleBuild | undefined {
  const memory = wasmMemoryOf(backend);
  return memory ? heapModuleBuild(LAYERS, memory) : undefined;
}

/** The layer kernels for a kernel that has no fallback, or an error naming it. */
export function layerKernelsOrThrow(kernel: string, backend: WasmBackendInternals): LayerExports {
  const kernels = layerKernelsFor(backend);
  if (!kernels) throw new Error(`${kernel}: this wasm backend cannot run it (needs WebAssembly SIMD)`);
  return kernels;
}
