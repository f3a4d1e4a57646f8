#!/usr/bin/env node
// End-to-end test of the web app in a real Chromium (Debian's package; never a downloaded browser):
// build, serve with `vite preview` (COOP/COEP on) on 127.0.0.1, train the demo subset on wasm with
// the defaults, check the metrics, switch to cpu, predict a PNG with Grad-CAM, export and reload the
// model — and record every request the page makes: none may leave the local server, none may be a
// POST/PUT. Screenshots (desktop and 390 px phone width) go to apps/web/e2e/out/.
//
//   npm run -w @medxfer/web e2e              (CHROMIUM=/path/to/chromium to choose the browser)
//
// Prints one line per check, then "e2e: N passed, N failed, N skipped"; with E2E_RESULTS=FILE also
// writes {numPassedTests, numFailedTests, numPendingTests} there. Exits 1 when a check failed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { encodePng, imageAt, openMedMNIST, resizeBilinearPIL, volumeSlices } from '@medxfer/data';
import { writeLargeNpz } from '../../../test-support/large-npz.mjs';
import { executablePath } from './page-server.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(web, 'e2e/out');
const TRAIN_TIMEOUT_MS = Number(process.env.E2E_TRAIN_TIMEOUT_MS ?? 8 * 60_000);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;


const checks = [];
let failedOnce = false;
/** Runs a named check; after the first failure the remaining checks are skipped (they depend on it). */
async function check(name, fn) {
  if (failedOnce) {
    checks.push({ name, status: 'skipped' });
    console.log(`- skip ${name}`);
    return undefined;
  }
  const t0 = Date.now();
  try {
    const detail = await fn();
    checks.push({ name, status: 'passed' });
    console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
    return detail;
  } catch (error) {
    failedOnce = true;
    checks.push({ name, status: 'failed', error: String(error?.stack ?? error) });
    console.log(`✗ ${name}: ${error?.message ?? error}`);
    return undefined;
  }
}
/** A check that runs even after a failure (cleanup-independent facts such as the network record). */
async function checkAlways(name, fn) {
  const was = failedOnce;
  failedOnce = false;
  await check(name, fn);
  failedOnce = was || failedOnce;
}

const assert = (cond, message) => {
  if (!cond) throw new Error(message);
};

let synthetic;
/** Writes a synthetic MedMNIST .npz (the tests' helper: official keys, dtypes, shapes; TypeScript, through tsx) to `out`. */
async function syntheticNpz(flag, seed) {
  if (!synthetic) {
    const { register } = await import('tsx/esm/api');
    register();
    synthetic = await import(pathToFileURL(resolve(web, '../../test-support/synthetic-medmnist.ts')).href);
  }
  const file = join(out, `${flag}.npz`);
  writeFileSync(file, synthetic.syntheticMedMNIST(flag, { seed }));
  return file;
}

/** Opens a .npz through the page (recognised by its file name), then trains a short notebook recipe on it. */
async function openAndTrainBriefly(page, file, name) {
  await page.selectOption('[data-testid="dataset"]', 'npz');
  await page.selectOption('#npz-flag', '');
  await page.setInputFiles('#npz-input', file);
  await page.waitForFunction((n) => document.getElementById('dataset-summary')?.dataset.status === 'ready' && (document.getElementById('dataset-summary')?.textContent ?? '').includes(n), name, { timeout: 60_000 });
  await page.selectOption('#resize', 'dataset');
  await page.selectOption('#preset', 'notebook');
  await page.fill('#epochs-head', '1');
  await page.fill('#epochs-full', '3');
  await page.fill('#lr-full', '1e-3');
  await page.click('[data-testid="train"]');
  await page.waitForSelector('[data-testid="per-class"]', { timeout: TRAIN_TIMEOUT_MS });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** A real X-ray from the demo test split, upscaled to 112 px, as a PNG file. */
function samplePng(dir) {
  const data = openMedMNIST(new Uint8Array(readFileSync(join(web, 'public/demo/pneumoniamnist-demo.npz'))), { flag: 'pneumoniamnist', verify: false });
  const pixels = resizeBilinearPIL(imageAt(data.splits.test, 0), 28, 28, 1, 112, 112);
  const file = join(dir, 'xray.png');
  writeFileSync(file, encodePng({ width: 112, height: 112, channels: 1, pixels }));
  return file;
}

/** A folder of PNGs, xrays/{normal,pneumonia}/NN.png, 12 per class, from the demo test split (56 px). */
function imageFolder(dir) {
  const data = openMedMNIST(new Uint8Array(readFileSync(join(web, 'public/demo/pneumoniamnist-demo.npz'))), { flag: 'pneumoniamnist', verify: false });
  const root = join(dir, 'xrays');
  rmSync(root, { recursive: true, force: true });
  const test = data.splits.test;
  const written = { normal: 0, pneumonia: 0 };
  for (let i = 0; i < test.count; i++) {
    const cls = test.labels[i] === 0 ? 'normal' : 'pneumonia';
    if (written[cls] >= 12) continue;
    mkdirSync(join(root, cls), { recursive: true });
    const pixels = resizeBilinearPIL(imageAt(test, i), 28, 28, 1, 56, 56);
    writeFileSync(join(root, cls, `${String(written[cls]++).padStart(2, '0')}.png`), encodePng({ width: 56, height: 56, channels: 1, pixels }));
  }
  writeFileSync(join(root, 'notes.txt'), 'not an image: skipped\n');
  return root;
}

let server;
let context;
const userDataDir = mkdtempSync(join(tmpdir(), 'medxfer-e2e-chromium-'));
const requests = [];
const pageErrors = [];
let origin = '';

try {
  mkdirSync(out, { recursive: true });
  await check('chromium is installed', async () => {
    assert(executablePath, "no Chromium found (CHROMIUM, /usr/bin/chromium, chromium-headless-shell); install Debian's: apt-get install -y --no-install-recommends chromium-headless-shell");
    return executablePath;
  });
  await check('vite build', async () => {
    await build({ root: web, logLevel: 'warn' });
    assert(existsSync(join(web, 'dist/index.html')), 'dist/index.html missing after the build');
  });
  await check('vite preview serves with COOP/COEP', async () => {
    const port = await freePort();
    server = await preview({ root: web, logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
    origin = `http://127.0.0.1:${port}`;
    const r = await fetch(`${origin}/`);
    assert(r.ok, `GET / answered ${r.status}`);
    assert(r.headers.get('cross-origin-opener-policy') === 'same-origin', 'COOP header missing');
    assert(r.headers.get('cross-origin-embedder-policy') === 'require-corp', 'COEP header missing');
    return origin;
  });

  let page;
  await check('open the app', async () => {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    // Every request of the page and its worker, wherever it goes.
    context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), type: r.resourceType() }));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`console: ${m.text()}`));
    await page.goto(origin, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid="backend-active"][data-name]:not([data-name=""])', { timeout: 120_000 });
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    assert(isolated === true, 'the page is not cross-origin isolated');
    return `cross-origin isolated, backend ${await page.getAttribute('[data-testid="backend-active"]', 'data-name')}`;
  });

  await check('the demo subset loads (offline, from the app itself)', async () => {
    await page.waitForSelector('[data-testid="dataset-summary"][data-status="ready"] table.counts', { timeout: 60_000 });
    assert((await page.inputValue('[data-testid="dataset"]')) === 'demo', 'dataset source is not the demo');
    const text = await page.textContent('[data-testid="dataset-summary"]');
    assert(/400/.test(text) && /100/.test(text), `unexpected summary: ${text}`);
    return text.slice(0, 90);
  });

  await check('backend select lists the shared backend names', async () => {
    const values = await page.$$eval('[data-testid="backend"] option', (os) => os.map((o) => o.value));
    // The shared list itself (backends.js has no imports, so Node loads it without tfjs).
    const { backendsFor } = await import(pathToFileURL(join(web, 'node_modules/@medxfer/train/dist/backends.js')).href).catch(() =>
      import(pathToFileURL(join(web, '../../node_modules/@medxfer/train/dist/backends.js')).href),
    );
    const expected = backendsFor('browser').map((b) => b.name);
    assert(JSON.stringify(values) === JSON.stringify(expected), `options ${values} ≠ ${expected}`);
    return values.join(', ');
  });

  await check('pick wasm', async () => {
    await page.selectOption('[data-testid="backend"]', 'wasm');
    await page.waitForSelector('[data-testid="backend-active"][data-name="wasm"]', { timeout: 60_000 });
    return await page.textContent('[data-testid="backend-active"]');
  });

  let trainSeconds;
  let pausedAt;
  await check('train with the defaults (pausing once), then show metrics', async () => {
    const t0 = Date.now();
    await page.click('[data-testid="train"]');
    // Pause once the first epoch is done: the batch counter must hold still, then resume.
    await page.waitForFunction(() => /epoch 2\//.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: TRAIN_TIMEOUT_MS });
    await page.click('#pause');
    await page.waitForFunction(() => document.getElementById('progress-text')?.textContent?.startsWith('Paused'), null, { timeout: 30_000 });
    await page.waitForTimeout(1500);
    const held = await page.textContent('#progress-text');
    await page.waitForTimeout(2000);
    assert((await page.textContent('#progress-text')) === held, `training went on while paused: ${held}`);
    assert((await page.textContent('#pause')) === 'Resume', 'the pause button does not offer Resume');
    pausedAt = held;
    await page.click('#pause');
    await page.waitForSelector('[data-testid="metric-acc"]', { timeout: TRAIN_TIMEOUT_MS });
    await page.waitForSelector('[data-testid="metric-auc"]', { timeout: 30_000 });
    trainSeconds = (Date.now() - t0) / 1000;
    const acc = Number(await page.getAttribute('[data-testid="metric-acc"]', 'data-value'));
    const auc = Number(await page.getAttribute('[data-testid="metric-auc"]', 'data-value'));
    assert(acc >= 0 && acc <= 1, `ACC ${acc} not in [0, 1]`);
    assert(auc >= 0 && auc <= 1, `AUC ${auc} not in [0, 1]`);
    const progress = await page.$eval('[data-testid="progress"]', (p) => p.value);
    assert(progress === 1, `progress bar at ${progress}, expected 1`);
    const caption = await page.textContent('#metrics caption');
    assert(/evaluated in/.test(caption), `metrics caption: ${caption}`);
    return `test ACC ${acc.toFixed(3)}, AUC ${auc.toFixed(3)} (${caption.split(' · ').pop()}); train + evaluate took ${trainSeconds.toFixed(1)} s on wasm, 3.5 s of it paused (${await page.textContent('#progress-text')}; held at "${pausedAt}")`;
  });

  await check('tensor count flat across epochs', async () => {
    const flat = await page.getAttribute('[data-testid="tensors"]', 'data-flat');
    const text = await page.textContent('[data-testid="tensors"]');
    assert(flat === 'true', `not flat: ${text}`);
    return text;
  });

  await check("measure each backend's images/s for the current model", async () => {
    await page.click('[data-testid="measure-speed"]');
    await page.waitForFunction(() => /speed measured|measurement failed/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 180_000 });
    const rows = await page.$$eval('#backend-support tbody tr', (trs) =>
      trs.map((tr) => ({ name: tr.dataset.backend, available: tr.children[1].textContent.includes('yes'), infer: Number(tr.querySelector('.speed [data-infer]')?.dataset.infer), train: Number(tr.querySelector('.speed [data-train]')?.dataset.train), text: tr.querySelector('.speed').textContent })),
    );
    const measured = rows.filter((r) => r.available);
    assert(measured.length >= 2 && measured.every((r) => r.infer > 0 && r.train > 0), `speeds: ${JSON.stringify(rows)}`);
    assert((await page.getAttribute('[data-testid="backend-active"]', 'data-name')) === 'wasm', 'the active backend changed');
    return measured.map((r) => `${r.name} ${r.text}`).join('; ');
  });

  await check('screenshots (desktop 1280 px, phone 390 px)', async () => {
    await page.screenshot({ path: join(out, 'desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: join(out, 'phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    assert(overflow <= 0, `the page is ${overflow} px wider than a 390 px phone screen`);
    return `${join(out, 'desktop.png')}, ${join(out, 'phone.png')}`;
  });

  await check('switch the backend to cpu', async () => {
    const before = await page.textContent('[data-testid="backend-active"]');
    await page.selectOption('[data-testid="backend"]', 'cpu');
    await page.waitForSelector('[data-testid="backend-active"][data-name="cpu"]', { timeout: 60_000 });
    const after = await page.textContent('[data-testid="backend-active"]');
    assert(after !== before && after.startsWith('cpu'), `active backend display did not change (${before} → ${after})`);
    return `${before} → ${after}`;
  });

  await check('predict a PNG with a Grad-CAM overlay (on cpu)', async () => {
    await page.setInputFiles('[data-testid="predict-input"]', samplePng(out));
    await page.waitForSelector('[data-testid="prediction"]:not([hidden]) .probs', { timeout: 120_000 });
    const text = await page.textContent('[data-testid="prediction"]');
    assert(/normal|pneumonia/.test(text) && /%/.test(text), `unexpected prediction: ${text}`);
    const painted = await page.$eval('#pred-cam', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i];
      return { width: c.width, sum };
    });
    assert(painted.width === 224 && painted.sum > 0, 'the Grad-CAM canvas is empty');
    await page.locator('[data-testid="prediction"]').screenshot({ path: join(out, 'prediction.png') });
    return text.replace(/\s+/g, ' ').slice(0, 80);
  });

  let downloads = [];
  await check('export the model (downloads)', async () => {
    const seen = [];
    const onDownload = (d) => seen.push(d);
    page.on('download', onDownload);
    await page.click('[data-testid="export"]');
    const deadline = Date.now() + 60_000;
    while (seen.length < 2 && Date.now() < deadline) await page.waitForTimeout(200);
    page.off('download', onDownload);
    assert(seen.length >= 1, 'no download happened');
    for (const d of seen) {
      const path = join(out, d.suggestedFilename());
      await d.saveAs(path);
      downloads.push(path);
    }
    const json = downloads.find((p) => p.endsWith('.json'));
    assert(json, `no model.json among ${downloads.map((p) => p.split('/').pop())}`);
    const model = JSON.parse(readFileSync(json, 'utf8'));
    assert(model.format === 'medxfer-resnet18', `format ${model.format}`);
    assert(model.userDefinedMetadata?.medxfer?.classNames?.join() === 'normal,pneumonia', 'metadata classNames missing');
    const bin = downloads.find((p) => p.endsWith('.bin'));
    assert(bin, 'the weights file was not downloaded');
    return downloads.map((p) => `${p.split('/').pop()} (${readFileSync(p).length} bytes)`).join(', ');
  });

  await check('load the exported model back', async () => {
    await page.setInputFiles('#model-input', downloads);
    await page.waitForFunction(() => document.getElementById('model-info')?.textContent?.includes('loaded from'), null, { timeout: 60_000 });
    await page.click('#evaluate');
    await page.waitForSelector('[data-testid="metric-acc"]', { timeout: 120_000 });
    return await page.textContent('#model-info');
  });

  await check('open a dropped .npz (file-name recognition, then an explicit choice; md5 reported)', async () => {
    await page.selectOption('[data-testid="backend"]', 'wasm');
    await page.waitForSelector('[data-testid="backend-active"][data-name="wasm"]', { timeout: 60_000 });
    await page.selectOption('[data-testid="dataset"]', 'npz');
    const npz = join(web, 'public/demo/pneumoniamnist-demo.npz');
    await page.setInputFiles('#npz-input', npz);
    await page.waitForFunction(() => /cannot tell which MedMNIST dataset/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.selectOption('#npz-flag', 'pneumoniamnist');
    await page.setInputFiles('#npz-input', npz);
    await page.waitForFunction(() => /pneumoniamnist-demo\.npz \(unverified copy\)/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 30_000 });
    return (await page.textContent('[data-testid="dataset-summary"]')).slice(0, 100);
  });

  await check('a .npz with a deflated train_images over 64 MiB opens by offset: inflated once into OPFS, read from there', async () => {
    const file = join(out, 'pathmnist_64.npz');
    await writeLargeNpz(file, { imageShape: [64, 64, 3], classes: 9, counts: { train: 6000, val: 200, test: 300 }, deflate: ['train_images'], seed: 4 });
    await page.selectOption('#npz-flag', '');
    await page.setInputFiles('#npz-input', file);
    await page.waitForFunction(() => /pathmnist_64\.npz \(unverified copy\)/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 120_000 });
    const summary = await page.textContent('[data-testid="dataset-summary"]');
    assert(/inflated once into this browser's storage/.test(summary), `no note on the inflated copy: ${summary.slice(0, 300)}`);
    const rows = await page.$$eval('#dataset-summary table.counts tbody tr', (trs) => trs.map((tr) => tr.children[1]?.textContent));
    assert(JSON.stringify(rows) === JSON.stringify(['6000', '200', '300']), `counts ${JSON.stringify(rows)}`);
    const cached = await page.evaluate(async () => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('medxfer-cache');
      const names = [];
      for await (const [name, handle] of root.entries()) for await (const inner of handle.keys()) names.push(`${name}/${inner}`);
      return names.sort();
    });
    assert(cached.length === 2 && cached[0].endsWith('/train_images.npy') && cached[1].endsWith('/train_images.npy.json'), `OPFS holds ${JSON.stringify(cached)}`);
    return `${cached.join(', ')}`;
  });

  await check('open a folder of images (one sub-folder per class) and evaluate on it', async () => {
    const folder = imageFolder(out);
    await page.selectOption('[data-testid="dataset"]', 'folder');
    await page.setInputFiles('#folder-input', folder);
    await page.waitForFunction(() => /your folder xrays/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    const rows = await page.$$eval('#dataset-summary table.counts tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert(JSON.stringify(rows) === JSON.stringify([['train', '16', '8', '8'], ['val', '4', '2', '2'], ['test', '4', '2', '2']]), `counts ${JSON.stringify(rows)}`);
    await page.click('#evaluate');
    await page.waitForSelector('[data-testid="metric-auc"]', { timeout: 60_000 });
    return `train/val/test 16/4/4 at 64 px; the 28 px model scores ACC ${Number(await page.getAttribute('[data-testid="metric-acc"]', 'data-value')).toFixed(2)} on it`;
  });

  await check('stop a training run', async () => {
    await page.selectOption('[data-testid="dataset"]', 'demo');
    await page.click('#demo-load');
    await page.waitForFunction(() => {
      const box = document.getElementById('dataset-summary');
      return box?.dataset.status === 'ready' && box.textContent?.includes('demo subset (bundled');
    }, null, { timeout: 60_000 });
    await page.click('[data-testid="train"]');
    await page.waitForFunction(() => /batch [2-9]\//.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: 120_000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('progress-text')?.textContent?.startsWith('Stopped'), null, { timeout: 60_000 });
    const info = await page.textContent('#model-info');
    assert(/stopped early/.test(info), `model info: ${info}`);
    assert(!(await page.isDisabled('[data-testid="train"]')), 'Train is not available again after stopping');
    return await page.textContent('#progress-text');
  });

  await check('Grad-CAM localises at 64 px on layer2 (one head-only epoch)', async () => {
    await page.selectOption('#resize', '64');
    await page.fill('#epochs-head', '1');
    await page.fill('#epochs-full', '0');
    await page.click('[data-testid="train"]');
    await page.waitForSelector('[data-testid="metric-auc"]', { timeout: TRAIN_TIMEOUT_MS });
    await page.setInputFiles('[data-testid="predict-input"]', join(out, 'xray.png'));
    // At 64 px layer4 is 2×2; Grad-CAM takes layer2, the deepest stage with a map of at least 7×7 (8×8).
    await page.waitForSelector('#cam-note[data-cells="64"]', { timeout: 60_000 });
    const flat = await page.getAttribute('#cam-note', 'data-flat');
    assert(flat === 'false', `the 8×8 Grad-CAM map is uniform: ${await page.textContent('#cam-note')}`);
    await page.locator('[data-testid="prediction"]').screenshot({ path: join(out, 'prediction-64px.png') });
    return await page.textContent('#cam-note');
  });

  await check('a multi-class RGB set (synthetic DermaMNIST .npz) trains and shows its per-class table and 7×7 confusion matrix', async () => {
    await openAndTrainBriefly(page, await syntheticNpz('dermamnist', 6), 'dermamnist.npz');
    const classes = await page.$$eval('[data-testid="per-class"] tbody tr', (trs) => trs.length);
    const confusion = await page.$$eval('#metrics table.confusion tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td').length));
    assert(classes === 7 && confusion.length === 7 && confusion.every((n) => n === 7), `per-class rows ${classes}, confusion ${JSON.stringify(confusion)}`);
    const acc = Number(await page.getAttribute('[data-testid="metric-acc"]', 'data-value'));
    assert(acc > 2 / 7, `accuracy ${acc} is not above chance`);
    return `test ACC ${acc.toFixed(3)}, AUC ${Number(await page.getAttribute('[data-testid="metric-auc"]', 'data-value')).toFixed(3)}`;
  });

  await check('a multi-label set (synthetic ChestMNIST .npz) trains, reports per label and predicts findings', async () => {
    const file = await syntheticNpz('chestmnist', 5);
    await openAndTrainBriefly(page, file, 'chestmnist.npz');
    const labels = await page.$$eval('[data-testid="per-class"] tbody tr', (trs) => trs.length);
    assert(labels === 14, `per-label table has ${labels} rows, expected 14`);
    const auc = Number(await page.getAttribute('[data-testid="metric-auc"]', 'data-value'));
    assert(auc > 0.7, `mean per-label AUC ${auc}`);
    const metrics = await page.textContent('#metrics');
    assert(/Accuracy \(mean over labels\)/.test(metrics) && /ROC AUC \(micro\)/.test(metrics), `metrics: ${metrics.slice(0, 200)}`);
    assert(!/NaN/.test(metrics), 'a metric shows NaN');
    const data = openMedMNIST(new Uint8Array(readFileSync(file)), { flag: 'chestmnist', verify: false });
    const png = join(out, 'chest.png');
    writeFileSync(png, encodePng({ width: 28, height: 28, channels: 1, pixels: imageAt(data.splits.test, 0) }));
    await page.setInputFiles('[data-testid="predict-input"]', png);
    await page.waitForSelector('[data-testid="prediction"]:not([hidden]) .verdict', { timeout: 60_000 });
    const verdict = await page.textContent('[data-testid="prediction"] .verdict');
    assert(/findings above 0\.5|no finding/.test(verdict), `verdict: ${verdict}`);
    await page.locator('section[aria-labelledby="eval-h"]').screenshot({ path: join(out, 'evaluation-multi-label.png') });
    // Back to the demo subset, which the checks below expect.
    await page.selectOption('[data-testid="dataset"]', 'demo');
    await page.click('#demo-load');
    await page.waitForFunction(() => document.getElementById('dataset-summary')?.dataset.status === 'ready' && /demo subset \(bundled/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    return `mean per-label AUC ${auc.toFixed(3)}; ${verdict.split(' — ')[0]}`;
  });

  await check('a 3D set (synthetic FractureMNIST3D .npz) trains an ACS ResNet-18, shows slice rows, and predicts a volume with Grad-CAM on its middle slices', async () => {
    const file = await syntheticNpz('fracturemnist3d', 8);
    await openAndTrainBriefly(page, file, 'fracturemnist3d.npz');
    const summary = await page.textContent('#dataset-summary');
    assert(/ACS ResNet-18/.test(summary), `dataset notes: ${summary.slice(0, 300)}`);
    const preview = await page.$eval('#dataset-preview', (c) => [c.width, c.height]);
    assert(preview[0] === 28 * 29 - 1, `preview ${preview.join('×')}: not one row of 28 slices per volume`);
    const acc = Number(await page.getAttribute('[data-testid="metric-acc"]', 'data-value'));
    assert(acc > 2 / 3, `accuracy ${acc} is not above chance`);
    const data = openMedMNIST(new Uint8Array(readFileSync(file)), { flag: 'fracturemnist3d', verify: false });
    const png = join(out, 'volume.png');
    writeFileSync(png, encodePng(volumeSlices(imageAt(data.splits.test, 0), [28, 28, 28])));
    await page.setInputFiles('[data-testid="predict-input"]', png);
    await page.waitForSelector('[data-testid="prediction"]:not([hidden]) .verdict', { timeout: 60_000 });
    const verdict = await page.textContent('[data-testid="prediction"] .verdict');
    const camNote = await page.textContent('#cam-note');
    const cam = await page.$eval('#pred-cam', (c) => [c.width, c.height]);
    assert(/middle slices/.test(camNote) && cam[0] > 2 * cam[1], `cam ${cam.join('×')}: ${camNote}`);
    await page.locator('section[aria-labelledby="eval-h"]').screenshot({ path: join(out, 'evaluation-3d.png') });
    await page.selectOption('[data-testid="dataset"]', 'demo');
    await page.click('#demo-load');
    await page.waitForFunction(() => document.getElementById('dataset-summary')?.dataset.status === 'ready' && /demo subset \(bundled/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    return `test ACC ${acc.toFixed(3)}; ${verdict.split(' — ')[0]}; ${camNote.split('(')[1]?.split(')')[0]}`;
  });

  // A real PyTorch checkpoint (torchvision ResNet18, 1000 classes) from the repository's fixtures.
  const pth = join(process.env.MEDXFER_SHARED ?? resolve(web, '../../test-support/shared'), 'fixtures/torch/resnet18-random-seed0.pth');
  if (existsSync(pth)) {
    await check('import torchvision .pth weights and train from them', async () => {
      await page.setInputFiles('#pth-input', pth);
      await page.waitForFunction(() => /resnet18-random-seed0\.pth.*1000 outputs/.test(document.getElementById('pth-info')?.textContent ?? ''), null, { timeout: 60_000 });
      assert((await page.inputValue('#init')) === 'imported', 'the starting weights did not switch to the imported file');
      await page.selectOption('#resize', 'dataset');
      await page.click('[data-testid="train"]');
      await page.waitForSelector('[data-testid="metric-auc"]', { timeout: TRAIN_TIMEOUT_MS });
      const info = await page.textContent('#model-info');
      assert(/starting weights file:resnet18-random-seed0\.pth/.test(info), `model info: ${info}`);
      return (await page.textContent('#pth-info')).slice(0, 120);
    });
  } else console.log(`(not run: import .pth — no fixture at ${pth})`);

  await checkAlways('no page errors', async () => {
    assert(pageErrors.length === 0, pageErrors.join('\n'));
  });

  await checkAlways('no request leaves the local server; none is a POST/PUT', async () => {
    assert(requests.length > 0, 'no requests were recorded');
    const local = (u) => u.startsWith(`${origin}/`) || u.startsWith('data:') || u.startsWith('blob:');
    const foreign = requests.filter((r) => !local(r.url));
    const writes = requests.filter((r) => !['GET', 'HEAD'].includes(r.method));
    assert(foreign.length === 0, `requests to elsewhere: ${foreign.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    assert(writes.length === 0, `non-GET requests: ${writes.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    // The worker's own fetch of the demo file must be in the record, or worker traffic would be unobserved.
    assert(requests.some((r) => r.url.includes('pneumoniamnist-demo.npz')), 'the worker fetch of the demo file was not recorded');
    writeFileSync(join(out, 'requests.json'), `${JSON.stringify(requests, null, 1)}\n`);
    return `${requests.length} requests, all GET to ${origin}`;
  });
  // Only when the user asks for a catalogue dataset does the page fetch anything from elsewhere: a GET of
  // the official file. Here that request is answered inside the browser (it never leaves the machine)
  // with a file that is not the official one, so the download progress and the md5 check are exercised.
  await check('catalogue download goes through the md5 check (request answered locally)', async () => {
    const body = readFileSync(join(web, 'public/demo/pneumoniamnist-demo.npz'));
    const seen = [];
    await context.route('https://zenodo.org/**', (route) => {
      seen.push(`${route.request().method()} ${route.request().url()}`);
      return route.fulfill({ status: 200, body, headers: { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*', 'content-length': String(body.length) } });
    });
    await page.selectOption('[data-testid="dataset"]', 'catalogue');
    await page.selectOption('#catalogue-flag', 'pneumoniamnist');
    await page.selectOption('#catalogue-size', '28');
    await page.click('#catalogue-load');
    await page.waitForFunction(() => /not the official pneumoniamnist\.npz/.test(document.getElementById('dataset-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    assert(seen.length === 1 && seen[0].startsWith('GET https://zenodo.org/records/10519652/files/pneumoniamnist.npz'), `requests: ${seen}`);
    assert((await page.textContent('[data-testid="dataset-summary"]')).includes('demo subset'), 'the previous dataset was not kept after the failed download');
    return seen[0];
  });
} finally {
  await context?.close().catch(() => {});
  await server?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

const count = (s) => checks.filter((c) => c.status === s).length;
const summary = { numPassedTests: count('passed'), numFailedTests: count('failed'), numPendingTests: count('skipped') };
if (process.env.E2E_RESULTS) writeFileSync(process.env.E2E_RESULTS, JSON.stringify({ ...summary, checks }, null, 1));
for (const c of checks.filter((c) => c.status === 'failed')) console.log(`\nFAILED ${c.name}\n${c.error}`);
console.log(`e2e: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${summary.numPendingTests} skipped (${elapsed()})`);
process.exit(summary.numFailedTests > 0 || summary.numPendingTests > 0 ? 1 : 0);
