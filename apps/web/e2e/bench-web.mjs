#!/usr/bin/env node
// The browser bench: ResNet18 images/s per tfjs backend in Debian's Chromium — wasm on one thread and threaded,
// WebGL 2 and WebGPU (both on SwiftShader, Chromium's software GPU, here) — in the Node bench's record format
// (bench/run.mjs), with `runtime: "chromium"`. Each backend runs in a browser of its own; a backend that fails
// gets `imgPerS: null` and its error.
//
//   npm run bench:web -- [--sizes 28,64] [--modes infer,train] [--backends wasm-1,wasm-threads,webgl,webgpu]
//                        [--batch 32] [--steps 3] [--warmup 1] [--timeout 200] [--json out.json]
// --timeout: seconds one case may take before its backend is recorded as hanging (its later cases are not run).
//
// Records go to bench/out/bench-web-<time>.json (git-ignored) and to --json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, servePage, web } from './page-server.mjs';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '28,64' },
    modes: { type: 'string', default: 'infer,train' },
    backends: { type: 'string', default: 'wasm-1,wasm-threads,webgl,webgpu' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    json: { type: 'string' },
    timeout: { type: 'string', default: '200' },
  },
});

/** The backend and wasm thread count of each variant (`threads: 0`: as many as the page's cores). */
const VARIANTS = { 'wasm-1': ['wasm', 1], 'wasm-threads': ['wasm', 0], webgl: ['webgl'], webgpu: ['webgpu'] };
const cases = args.sizes.split(',').flatMap((size) =>
  args.modes.split(',').map((mode) => ({ size: Number(size), mode, batch: Number(args.batch), steps: Number(args.steps), warmup: Number(args.warmup) })),
);

const server = await servePage('bench');
const records = [];
try {
  for (const variant of args.backends.split(',')) {
    const [backend, threads] = VARIANTS[variant] ?? [];
    if (!backend) throw new Error(`unknown backend variant "${variant}"; choose from ${Object.keys(VARIANTS).join(', ')}`);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.origin, { waitUntil: 'load' });
      await page.waitForFunction(() => typeof globalThis.bench === 'function', null, { timeout: 60_000 });
      const count = threads === 0 ? await page.evaluate(() => navigator.hardwareConcurrency) : threads;
      const started = Date.now();
      // One case at a time, each with its own time limit: a backend that hangs is recorded as such, and its later
      // cases are not tried.
      let hung;
      for (const c of cases) {
        const failed = (error) => [{ impl: 'medxfer', runtime: 'chromium', backend, ...c, imgPerS: null, error }];
        if (hung) {
          records.push(...failed(`not run: ${hung}`).map((r) => ({ ...r, variant })));
          continue;
        }
        const timedOut = new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${args.timeout} s (the backend hangs)`)), Number(args.timeout) * 1000).unref());
        const got = await Promise.race([page.evaluate(([b, one, t]) => globalThis.bench(b, [one], t), [backend, c, count]), timedOut]).catch((error) => {
          hung = String(error.message).split('\n')[0];
          return failed(hung);
        });
        records.push(...got.map((r) => ({ ...r, variant })));
      }
      console.log(`${variant}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}

const head = ['variant', 'backend', 'size', 'mode', 'batch', 'threads', 'img/s', 'ms/step', 'note'];
const rows = records.map((r) => [r.variant, r.backend, `${r.size}`, r.mode, `${r.batch}`, `${r.threads ?? ''}`, r.imgPerS === null ? 'fails' : r.imgPerS.toFixed(1), r.imgPerS === null ? '' : ((1000 * r.batch) / r.imgPerS).toFixed(0), r.error ?? r.detail ?? '']);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
for (const row of [head, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
const out = resolve(web, '../../bench/out');
mkdirSync(out, { recursive: true });
const file = join(out, `bench-web-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(records, null, 2));
if (args.json) writeFileSync(args.json, JSON.stringify(records, null, 2));
console.log(`records: ${file}${args.json ? ` and ${args.json}` : ''}`);
