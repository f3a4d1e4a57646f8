import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

// No polyfills and no aliases. A Node builtin imported by the page or a @medxfer package is an
// error (Vite would otherwise swap in an empty "__vite-browser-external" module and only warn).
// A third-party dependency may import one only where its own package.json "browser" field maps it
// for browsers (seedrandom, under tfjs-core, maps "crypto" to false): that is the package's own
// browser build, not a polyfill.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (id: string) => id.startsWith('node:') || builtins.has(id) || builtins.has(id.split('/')[0]!);

function browserFieldOf(file: string): Record<string, unknown> | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const browser = JSON.parse(readFileSync(manifest, 'utf8')).browser;
      return typeof browser === 'object' && browser !== null ? browser : undefined;
    }
  }
  return undefined;
}

export const allowed: string[] = [];
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  enforce: 'pre',
  resolveId(id, importer) {
    if (!isBuiltin(id)) return null;
    const ours = !importer || !importer.includes('/node_modules/') || importer.includes('/node_modules/@medxfer/');
    if (!ours && importer && browserFieldOf(importer)?.[id] !== undefined) {
      allowed.push(`${id} (from ${importer.slice(importer.lastIndexOf('/node_modules/') + 14)}, mapped by its "browser" field)`);
      return null;
    }
    this.error(`${importer ?? 'the page'} imports the Node builtin "${id}": the core entries must bundle for browsers without polyfills`);
  },
  buildEnd() {
    for (const a of new Set(allowed)) this.info?.(`third-party builtin import handled by its package: ${a}`);
  },
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'info',
  plugins: [noNodeBuiltins],
  build: { target: 'es2022', modulePreload: false, minify: false, reportCompressedSize: false, chunkSizeWarningLimit: 5000 },
});
