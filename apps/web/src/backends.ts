// The browser backends: what this browser supports, and how each is loaded. The names and their
// order come from @medxfer/train's one list (`backendsFor('browser')`); this module only knows how
// to import each backend package (lazily: a backend's code is fetched when first chosen).
import * as tf from '@tensorflow/tfjs-core';
import { useMedxferKernels } from '@medxfer/models';
import { backendInfo, backendsFor } from '@medxfer/train';
import type { ActiveBackend, BackendSupport, Environment } from './protocol.js';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** Imports the backend's package (which registers it with tfjs). One entry per browser backend. */
export const LOADERS: Record<string, () => Promise<void>> = {
  webgpu: async () => void (await import('@tensorflow/tfjs-backend-webgpu')),
  webgl: async () => void (await import('@tensorflow/tfjs-backend-webgl')),
  wasm: async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm files are the app's own assets (same origin), never fetched from a CDN.
    wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd });
  },
  cpu: async () => void (await import('@tensorflow/tfjs-backend-cpu')),
};

/** A module that uses a SIMD instruction (i8x16.splat): valid only where WebAssembly SIMD is supported. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

interface Globals {
  readonly navigator?: { gpu?: { requestAdapter(): Promise<{ isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } } | null> }; hardwareConcurrency?: number };
  readonly crossOriginIsolated?: boolean;
  readonly WebAssembly?: { validate(bytes: Uint8Array): boolean };
  readonly OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): unknown };
  readonly SharedArrayBuffer?: unknown;
}

/** Renderers that emulate a GPU on the CPU. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

interface WebGLish {
  getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
  getParameter(p: number): unknown;
  readonly RENDERER: number;
}

/** The GL renderer's name (unmasked where the browser allows). */
function rendererOf(gl: WebGLish): string {
  try {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  } catch {
    return '';
  }
}

/** What this browser supports, per backend of the shared list (fastest first). Never throws. */
export async function probeEnvironment(g: Globals = globalThis as unknown as Globals): Promise<Environment> {
  const isolated = g.crossOriginIsolated === true && g.SharedArrayBuffer !== undefined;
  const cores = g.navigator?.hardwareConcurrency ?? 1;
  const probes: Record<string, () => Promise<[boolean, string, boolean?]>> = {
    webgpu: async () => {
      if (!g.navigator?.gpu) return [false, 'no WebGPU in this browser'];
      try {
        const adapter = await g.navigator.gpu.requestAdapter();
        if (!adapter) return [false, 'WebGPU present but no GPU adapter'];
        const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
        return fallback ? [true, 'software fallback adapter (slower than wasm)', true] : [true, 'GPU adapter found'];
      } catch (e) {
        return [false, `WebGPU adapter request failed (${(e as Error).message})`];
      }
    },
    webgl: async () => {
      if (!g.OffscreenCanvas) return [false, 'no OffscreenCanvas in workers'];
      try {
        const gl = new g.OffscreenCanvas(1, 1).getContext('webgl2') as WebGLish | null;
        if (!gl) return [false, 'no WebGL 2 context (GPU disabled?)'];
        const renderer = rendererOf(gl);
        return SOFTWARE_GL.test(renderer) ? [true, `WebGL 2 on a software renderer (${renderer}): slower than wasm`, true] : [true, `WebGL 2${renderer ? ` (${renderer})` : ''}`];
      } catch {
        return [false, 'no WebGL 2 context'];
      }
    },
    wasm: async () => {
      if (!g.WebAssembly) return [false, 'no WebAssembly'];
      let simd = false;
      try {
        simd = g.WebAssembly.validate(SIMD_PROBE);
      } catch {
        simd = false;
      }
      const threads = isolated ? 'threads available (cross-origin isolated)' : 'single-threaded (page not cross-origin isolated)';
      return [true, `${simd ? 'SIMD' : 'no SIMD'}, ${threads}`];
    },
    cpu: async () => [true, 'plain JavaScript, always available (slowest)'],
  };
  const backends: BackendSupport[] = [];
  for (const b of backendsFor('browser')) {
    const probe = probes[b.name];
    const [available, note, software] = probe ? await probe() : [false, 'this app does not know how to load it'];
    backends.push({ name: b.name, description: b.description, available, note, ...(software ? { software } : {}) });
  }
  return { backends, crossOriginIsolated: isolated, hardwareConcurrency: cores };
}

/** Loads (first time) and activates a backend by its shared-list name; the previous one stays usable. */
export async function activate(name: string): Promise<ActiveBackend> {
  const info = backendInfo(name);
  if (!info || !info.runtimes.includes('browser')) throw new Error(`unknown browser backend "${name}"; choose one of ${backendsFor('browser').map((b) => b.name).join(', ')}`);
  const load = LOADERS[name];
  if (!load) throw new Error(`no loader for backend ${name}`);
  await load();
  const previous = tf.getBackend();
  let ok = false;
  try {
    ok = await tf.setBackend(info.tfjsName);
  } catch {
    ok = false;
  }
  if (!ok) {
    if (previous && previous !== info.tfjsName) await tf.setBackend(previous);
    throw new Error(`${name} failed to initialise in this browser`);
  }
  await tf.ready();
  // medxfer's WebAssembly kernels: an explicit, global step (see useMedxferKernels).
  if (name === 'wasm') useMedxferKernels();
  return { name, detail: await describe(name) };
}

/**
 * Why the threaded build may use fewer threads than the machine has: tfjs-wasm caps its thread pool at half the
 * logical cores (its init_with_threads_count: min(requested, 8, hardwareConcurrency / 2)), and medxfer's own
 * kernels — the convolutions, most of a step — run on one thread either way.
 */
function threadsNote(threads: number, cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1): string {
  const cap = threads < cores ? `; tfjs-wasm uses at most half of the ${cores} logical cores` : '';
  return `${cap}; medxfer's convolution kernels run on one`;
}

async function describe(name: string): Promise<string> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const threads = wasm.getThreadsCount();
    return `${simd ? 'SIMD' : 'no SIMD'}, ${threaded ? `${threads} thread${threads === 1 ? '' : 's'} (threaded build${threadsNote(threads)})` : '1 thread'}`;
  }
  if (name === 'webgl') return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}`;
  if (name === 'webgpu') return 'WebGPU';
  return 'plain JavaScript';
}
