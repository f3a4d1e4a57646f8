import { describe, expect, it } from 'vitest';
import { backendsFor } from '@medxfer/train';
import { LOADERS, probeEnvironment } from '../src/backends.js';

describe('browser backends', () => {
  it('can load every browser backend of the shared list, and only those', () => {
    expect(Object.keys(LOADERS).sort()).toEqual(backendsFor('browser').map((b) => b.name).sort());
  });

  it('probes what a browser supports, in the shared order', async () => {
    const env = await probeEnvironment({
      navigator: { hardwareConcurrency: 2 },
      crossOriginIsolated: true,
      SharedArrayBuffer: ArrayBuffer,
      WebAssembly: { validate: () => true },
    });
    expect(env.backends.map((b) => b.name)).toEqual(backendsFor('browser').map((b) => b.name));
    const by = Object.fromEntries(env.backends.map((b) => [b.name, b]));
    expect(by.webgpu!.available).toBe(false);
    expect(by.webgl!.available).toBe(false);
    expect(by.wasm!.available).toBe(true);
    expect(by.wasm!.note).toBe('SIMD, threads available (cross-origin isolated)');
    expect(by.cpu!.available).toBe(true);
    expect(env.crossOriginIsolated).toBe(true);
    expect(env.hardwareConcurrency).toBe(2);
  });

  it('finds a GPU adapter and a WebGL 2 context when the browser has them; no isolation → single-threaded wasm', async () => {
    const env = await probeEnvironment({
      navigator: { gpu: { requestAdapter: async () => ({}) } },
      crossOriginIsolated: false,
      WebAssembly: { validate: () => false },
      OffscreenCanvas: class {
        getContext(kind: string) {
          return kind === 'webgl2' ? { RENDERER: 1, getExtension: () => null, getParameter: () => 'ANGLE (NVIDIA GeForce)' } : null;
        }
      } as never,
    });
    const by = Object.fromEntries(env.backends.map((b) => [b.name, b]));
    expect(by.webgpu!.available).toBe(true);
    expect(by.webgpu!.software).toBeUndefined();
    expect(by.webgl!.available).toBe(true);
    expect(by.webgl!.note).toBe('WebGL 2 (ANGLE (NVIDIA GeForce))');
    expect(by.webgl!.software).toBeUndefined();
    expect(by.wasm!.note).toBe('no SIMD, single-threaded (page not cross-origin isolated)');
    expect(env.crossOriginIsolated).toBe(false);
  });

  it('marks GPU emulation (SwiftShader, a fallback adapter) as software', async () => {
    const env = await probeEnvironment({
      navigator: { gpu: { requestAdapter: async () => ({ info: { isFallbackAdapter: true } }) } },
      OffscreenCanvas: class {
        getContext() {
          return { RENDERER: 1, getExtension: () => ({ UNMASKED_RENDERER_WEBGL: 2 }), getParameter: (p: number) => (p === 2 ? 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)' : 'WebKit WebGL') };
        }
      } as never,
    });
    const by = Object.fromEntries(env.backends.map((b) => [b.name, b]));
    expect(by.webgpu!.software).toBe(true);
    expect(by.webgl!.software).toBe(true);
    expect(by.webgl!.note).toMatch(/software renderer.*SwiftShader/);
  });

  it('reports a failing adapter request instead of throwing', async () => {
    const env = await probeEnvironment({ navigator: { gpu: { requestAdapter: async () => Promise.reject(new Error('blocked')) } } });
    expect(env.backends.find((b) => b.name === 'webgpu')!.note).toMatch(/blocked/);
    expect(env.backends.find((b) => b.name === 'wasm')!.available).toBe(false);
  });
});
