import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, entry: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url));

const packages = ['data', 'models', 'train', 'metrics'];

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the consumer test checks the built packages.
    alias: packages.flatMap((pkg) => [
      { find: new RegExp(`^@medxfer/${pkg}/node$`), replacement: src(pkg, 'node') },
      { find: new RegExp(`^@medxfer/${pkg}/internal$`), replacement: src(pkg, 'internal') },
      { find: new RegExp(`^@medxfer/${pkg}$`), replacement: src(pkg, 'index') },
    ]),
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // As the CLI does (enableRelaxedSimd): Node 20 has WebAssembly relaxed SIMD behind a flag, and medxfer's
    // wasm kernels run their fused multiply-add build where it is on; test/wasm-kernels.test.ts checks both builds.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
