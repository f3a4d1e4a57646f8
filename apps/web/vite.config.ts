import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) lets WebAssembly use threads (SharedArrayBuffer). Served by
 * both the dev server and `vite preview`; a production host must send the same two headers.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset URLs: the built app works from any folder of a static host.
  base: './',
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  // The workspace packages are consumed as npm users get them (their package.json exports → dist/).
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  worker: { format: 'es' },
  // Dev server: pre-bundle tfjs and its backends in one go (one copy of tfjs-core, no reload when the
  // worker first imports a backend). The deep import is @medxfer/models' gradient registration.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients.js',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 3000, reportCompressedSize: false },
});
