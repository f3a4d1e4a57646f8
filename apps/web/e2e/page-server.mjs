// What the in-browser suites share: Debian's Chromium (never a downloaded browser), the flags that give WebGL 2 and
// WebGPU on SwiftShader without a GPU, and a page under e2e/ built by Vite and served on 127.0.0.1 (a secure,
// cross-origin isolated context: WebGPU and wasm threads need both).
import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

export const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-headless-shell', '/usr/lib/chromium/chromium-headless-shell'].filter(Boolean);
export const executablePath = candidates.find((p) => existsSync(p));

/**
 * WebGL 2 through ANGLE on SwiftShader, and WebGPU on SwiftShader's Vulkan (the fallback adapter): the flags
 * that give both in a headless Chromium without a GPU.
 */
export const SOFTWARE_GPU_FLAGS = ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];

/** Builds the page in `e2e/<name>/` with `files` copied under `fixtures/`, serves it; resolves to its origin and a close(). */
export async function servePage(name, files = []) {
  if (!executablePath) throw new Error(`no Chromium found (tried ${candidates.join(', ')}); apt-get install -y --no-install-recommends chromium-headless-shell`);
  const root = join(web, 'e2e', name);
  const outDir = mkdtempSync(join(tmpdir(), `medxfer-${name}-`));
  await build({ root, configFile: join(web, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  if (files.length) mkdirSync(join(outDir, 'fixtures'));
  for (const f of files) cpSync(f, join(outDir, 'fixtures', basename(f)));
  const server = await preview({ root, configFile: join(web, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false } });
  return { origin: server.resolvedUrls.local[0], close: () => new Promise((r) => server.httpServer.close(r)) };
}

/** A fresh Chromium with the software GPU flags (a GPU backend then starts with a GPU process of its own). */
export const launchChromium = () => chromium.launch({ executablePath, args: ['--no-sandbox', ...SOFTWARE_GPU_FLAGS] });
