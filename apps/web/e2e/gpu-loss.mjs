#!/usr/bin/env node
// GPU loss in the web app, in Debian's Chromium on SwiftShader: the WebGL context is lost in the middle of a
// training run (WEBGL_lose_context) and the WebGPU device is destroyed under a model (device.destroy()). Each
// time the page must say so in plain words, the worker must move to wasm with the model's weights, and the work
// must go on: the run finishes with every epoch, the prediction is the one the model gave before.
//
//   npm run -w @medxfer/web e2e:gpu-loss          (CHROMIUM=/path/to/chromium to choose the browser)
//
// Prints one line per check, then "gpu-loss: N passed, N failed". Exits 1 when a check failed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { encodePng, imageAt, openMedMNIST, resizeBilinearPIL } from '@medxfer/data';
import { readFileSync, writeFileSync } from 'node:fs';
import { launchChromium, web } from './page-server.mjs';

const results = [];
let failed = false;
async function check(name, fn) {
  if (failed) {
    results.push(false);
    console.log(`- ${name}: not run (an earlier check failed)`);
    return;
  }
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push(true);
    console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s)${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    failed = true;
    results.push(false);
    console.log(`✗ ${name}: ${error?.stack ?? error}`);
    if (pageState) console.log(`  page: ${JSON.stringify(await pageState().catch((e) => String(e)))}`);
  }
}
const assert = (cond, message) => {
  if (!cond) throw new Error(message);
};

/** A demo test X-ray as a 56 px PNG. */
function samplePng(dir) {
  const data = openMedMNIST(new Uint8Array(readFileSync(join(web, 'public/demo/pneumoniamnist-demo.npz'))), { flag: 'pneumoniamnist', verify: false });
  const file = join(dir, 'xray.png');
  writeFileSync(file, encodePng({ width: 56, height: 56, channels: 1, pixels: resizeBilinearPIL(imageAt(data.splits.test, 0), 28, 28, 1, 56, 56) }));
  return file;
}

let pageState;
const logs = [];
/** What the page shows, for a failure's message. */
const stateOf = (page) => async () => ({
  ...(await page.evaluate(() => Object.fromEntries(['status', 'progress-text', 'backend-error', 'backend-active', 'model-info'].map((id) => [id, document.getElementById(id)?.textContent ?? null])))),
  logs: logs.slice(-8),
});

const active = (page) => page.getAttribute('[data-testid="backend-active"]', 'data-name');
async function choose(page, backend) {
  await page.selectOption('[data-testid="backend"]', backend);
  await page.waitForSelector(`[data-testid="backend-active"][data-name="${backend}"]`, { timeout: 60_000 });
}
async function predict(page, png) {
  await page.evaluate(() => document.querySelector('[data-testid="prediction"]')?.setAttribute('hidden', ''));
  await page.setInputFiles('[data-testid="predict-input"]', []);
  await page.setInputFiles('[data-testid="predict-input"]', png);
  await page.waitForSelector('[data-testid="prediction"]:not([hidden]) .probs', { timeout: 240_000 });
  return (await page.textContent('[data-testid="prediction"] .probs')).replace(/\s+/g, ' ').trim();
}
const loseGpu = async (page) => {
  const worker = page.workers().find((w) => w.url().includes('worker'));
  assert(worker, 'no worker found');
  return worker.evaluate(() => globalThis.medxferDebug.loseGpu());
};

const scratch = mkdtempSync(join(tmpdir(), 'medxfer-gpu-loss-'));
let server;
let browser;
try {
  let page;
  await check('build, serve and open the app in Chromium with a software GPU', async () => {
    const outDir = join(scratch, 'dist');
    await build({ root: web, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ root: web, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false } });
    browser = await launchChromium();
    page = await browser.newPage();
    pageState = stateOf(page);
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => logs.push(`worker ${m.type()}: ${m.text()}`)));
    await page.goto(server.resolvedUrls.local[0], { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="backend-active"][data-name]:not([data-name=""])', { timeout: 120_000 });
    await page.click('details.limits summary');
    await page.fill('#limit-train', '32');
    await page.fill('#limit-eval', '32');
    await page.click('#demo-load');
    await page.waitForFunction(() => /train\D+32/.test(document.getElementById('dataset-summary')?.textContent ?? '') && document.getElementById('dataset-summary')?.dataset.status === 'ready', null, { timeout: 60_000 });
    return `backend ${await active(page)}`;
  });

  await check('WebGL context lost mid-run: the page says so, and the run finishes on wasm with every epoch', async () => {
    await choose(page, 'webgl');
    await page.selectOption('#preset', 'notebook');
    await page.fill('#epochs-head', '1');
    await page.fill('#epochs-full', '1');
    await page.click('[data-testid="train"]');
    await page.waitForFunction(() => /epoch 2\//.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: 300_000 });
    const how = await loseGpu(page);
    await page.waitForSelector('[data-testid="metric-auc"]', { timeout: Number(process.env.GPU_LOSS_TIMEOUT_MS ?? 300_000) });
    const error = await page.textContent('#backend-error');
    assert(/WebGL context was lost/.test(error) && /wasm/.test(error), `the page did not say what happened: "${error}"`);
    assert((await active(page)) === 'wasm', `backend after the loss: ${await active(page)}`);
    const info = await page.textContent('#model-info');
    assert(/2 epochs/.test(info), `the run did not finish both epochs: ${info}`);
    return `${how}; ${error.slice(0, 90)}…; ${info.replace(/\s+/g, ' ').slice(0, 80)}`;
  });

  await check('WebGPU device destroyed under the model: the prediction is the one wasm gives', async () => {
    const png = samplePng(scratch);
    const onWasm = await predict(page, png);
    await choose(page, 'webgpu');
    const how = await loseGpu(page);
    const afterLoss = await predict(page, png);
    const error = await page.textContent('#backend-error');
    assert(/GPU device was lost/.test(error), `the page did not say what happened: "${error}"`);
    assert((await active(page)) === 'wasm', `backend after the loss: ${await active(page)}`);
    assert(afterLoss === onWasm, `prediction changed: ${onWasm} → ${afterLoss}`);
    return `${how}; ${afterLoss}`;
  });

  await check('WebGPU chosen again starts on a fresh device and predicts the same', async () => {
    const png = join(scratch, 'xray.png');
    const onWasm = await predict(page, png);
    await choose(page, 'webgpu');
    const onGpu = await predict(page, png);
    assert(onGpu === onWasm, `webgpu ${onGpu} vs wasm ${onWasm}`);
    return onGpu;
  });
} finally {
  await browser?.close().catch(() => {});
  server?.httpServer.close();
}
const passed = results.filter(Boolean).length;
console.log(`gpu-loss: ${passed} passed, ${results.length - passed} failed`);
process.exit(results.every(Boolean) ? 0 : 1);
