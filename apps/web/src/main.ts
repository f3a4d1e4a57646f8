// The page: plain TypeScript and DOM. It owns no tensors: every computation runs in the worker,
// and the page renders the state that the reducer (state.ts) derives from the worker's replies.
import './style.css';
import { availableSizes, datasetInfo } from '@medxfer/data';
import { confusionTable, historyCharts, prChart, reliabilityChart, rocChart } from './charts.js';
import { createClient } from './client.js';
import { trainableDatasets } from './dataset-tools.js';
import demo from './demo-manifest.json';
import { bytes, duration, esc, num, parseNumber } from './format.js';
import type { DatasetSource, Prediction, SplitEvaluation, TrainConfig } from './protocol.js';
import { canSwitchBackend, canTrain, createStore, defaultBackend, isTraining, progressFraction, tensorsFlat, type AppState } from './state.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const store = createStore();
const dispatch = store.dispatch;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'medxfer-worker' });
const client = createClient(worker, (event) => {
  switch (event.type) {
    case 'download':
      return dispatch({ type: 'dataset/download', loaded: event.loaded, total: event.total });
    case 'status':
      return dispatch({ type: 'message', text: event.text });
    case 'phase':
      return dispatch({ type: 'train/phase', name: event.name });
    case 'batch':
      return dispatch({ type: 'train/batch', progress: event.progress });
    case 'epoch':
      return dispatch({ type: 'train/epoch', record: event.record, numTensors: event.numTensors });
    case 'paused':
      return dispatch({ type: 'train/paused', paused: event.paused });
  }
});

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const BACKEND_KEY = 'medxfer.backend';

// ---------------------------------------------------------------------------------------------
// Actions

async function switchBackend(name: string) {
  dispatch({ type: 'backend/switching', name });
  try {
    const active = await client.request({ type: 'set-backend', name });
    dispatch({ type: 'backend/active', active });
    try {
      localStorage.setItem(BACKEND_KEY, name);
    } catch {
      /* storage may be off */
    }
  } catch (e) {
    dispatch({ type: 'backend/error', name, error: errorText(e) });
  }
}

function limits() {
  return { train: parseNumber($<HTMLInputElement>('limit-train').value) ?? 0, eval: parseNumber($<HTMLInputElement>('limit-eval').value) ?? 0, seed: parseNumber($<HTMLInputElement>('seed').value) ?? 42 };
}

async function openDataset(source: DatasetSource, label: string) {
  if (store.state.dataset.status === 'loading' || isTraining(store.state)) return;
  dispatch({ type: 'dataset/loading', label });
  try {
    const summary = await client.request({ type: 'load-dataset', source, limits: limits() });
    dispatch({ type: 'dataset/ready', summary });
  } catch (e) {
    dispatch({ type: 'dataset/error', error: errorText(e) });
  }
}

const demoSource = (): DatasetSource => ({ kind: 'demo', url: new URL(demo.file, document.baseURI).href, md5: demo.md5 });

function readTrainConfig(): TrainConfig | string {
  const int = (id: string, min: number) => {
    const v = parseNumber($<HTMLInputElement>(id).value);
    return v !== undefined && Number.isInteger(v) && v >= min ? v : undefined;
  };
  const rate = (id: string) => {
    const v = parseNumber($<HTMLInputElement>(id).value);
    return v !== undefined && v > 0 && v < 10 ? v : undefined;
  };
  const label = (id: string) => document.querySelector(`label[for="${id}"]`)?.textContent ?? id;
  const preset = $<HTMLSelectElement>('preset').value as TrainConfig['preset'];
  const fields = preset === 'notebook' ? ['epochs-head', 'epochs-full'] : ['freeze-epochs', 'epochs'];
  for (const f of fields) if (int(f, 0) === undefined) return `${label(f)}: a whole number ≥ 0`;
  for (const f of preset === 'notebook' ? ['lr-head', 'lr-full'] : ['base-lr']) if (rate(f) === undefined) return `${label(f)}: a positive number such as 1e-3`;
  if (int('batch-size', 1) === undefined) return 'Batch size: a whole number ≥ 1';
  if (int('seed', 0) === undefined) return 'Seed: a whole number ≥ 0';
  const total = preset === 'notebook' ? int('epochs-head', 0)! + int('epochs-full', 0)! : int('freeze-epochs', 0)! + int('epochs', 0)!;
  if (total === 0) return 'Train at least one epoch';
  const resizeValue = $<HTMLSelectElement>('resize').value;
  const resize = resizeValue === 'dataset' ? Math.max(28, store.state.dataset.summary?.size ?? 28) : Number(resizeValue);
  return {
    preset,
    epochsHead: int('epochs-head', 0) ?? 1,
    lrHead: rate('lr-head') ?? 1e-3,
    epochsFull: int('epochs-full', 0) ?? 3,
    lrFull: rate('lr-full') ?? 1e-3,
    freezeEpochs: int('freeze-epochs', 0) ?? 1,
    epochs: int('epochs', 0) ?? 3,
    baseLr: rate('base-lr') ?? 2e-3,
    batchSize: int('batch-size', 1)!,
    resize,
    seed: int('seed', 0)!,
    init: $<HTMLSelectElement>('init').value as TrainConfig['init'],
  };
}

async function startTraining() {
  const config = readTrainConfig();
  $('train-error').textContent = typeof config === 'string' ? config : '';
  if (typeof config === 'string' || !canTrain(store.state)) return;
  const total = config.preset === 'notebook' ? config.epochsHead + config.epochsFull : config.freezeEpochs + config.epochs;
  dispatch({ type: 'train/start', totalEpochs: total });
  try {
    const result = await client.request({ type: 'train', config });
    dispatch({ type: 'train/done', result });
    if (!result.stopped) await runEvaluation();
  } catch (e) {
    dispatch({ type: 'train/error', error: errorText(e) });
  }
}

async function runEvaluation() {
  dispatch({ type: 'eval/start' });
  try {
    dispatch({ type: 'eval/done', result: await client.request({ type: 'evaluate' }) });
  } catch (e) {
    dispatch({ type: 'eval/error', error: errorText(e) });
  }
}

async function predict(file: File) {
  if (!store.state.model) {
    $('predict-error').textContent = 'Train or load a model first.';
    return;
  }
  $('predict-error').textContent = '';
  dispatch({ type: 'predict/start' });
  try {
    dispatch({ type: 'predict/done', result: await client.request({ type: 'predict', file }) });
  } catch (e) {
    dispatch({ type: 'predict/error', error: errorText(e) });
  }
}

async function exportModel() {
  try {
    const { artifacts, name } = await client.request({ type: 'export' });
    // tfjs's own download handler (tf.io.browserDownloads, routed from downloads://) writes NAME.json +
    // NAME.weights.bin, which tf.io.browserFiles reads back. Loaded on first use only.
    const tf = await import('@tensorflow/tfjs-core');
    const [handler] = tf.io.getSaveHandlers(`downloads://${name}`);
    if (!handler?.save) throw new Error('this browser cannot save downloads');
    await handler.save(artifacts);
    dispatch({ type: 'message', text: `exported ${name}.json and ${name}.weights.bin to your downloads` });
  } catch (e) {
    $('model-error').textContent = errorText(e);
  }
}

async function loadModelFiles(files: File[]) {
  $('model-error').textContent = '';
  try {
    dispatch({ type: 'model/ready', model: await client.request({ type: 'load-model', files }) });
  } catch (e) {
    $('model-error').textContent = errorText(e);
  }
}

async function importWeights(file: File) {
  $('pth-info').textContent = `reading ${file.name}…`;
  try {
    const r = await client.request({ type: 'import-weights', file });
    dispatch({ type: 'weights/imported', source: r.source, note: r.note });
    const init = $<HTMLSelectElement>('init');
    init.querySelector<HTMLOptionElement>('option[value="imported"]')!.disabled = false;
    init.value = 'imported';
  } catch (e) {
    $('pth-info').textContent = errorText(e);
  }
}

/** Files of a dropped folder, with their paths, read from the drop's entries (synchronously grabbed). */
async function droppedFiles(items: DataTransferItemList): Promise<{ path: string; file: File }[]> {
  const entries = [...items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  const out: { path: string; file: File }[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return out;
}

function dropZone(id: string, onDrop: (event: DragEvent) => void) {
  const zone = $(id);
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onDrop(e);
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

function drawRGBA(canvas: HTMLCanvasElement, width: number, height: number, rgba: Uint8ClampedArray) {
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
}

function renderBackend(s: AppState) {
  const env = s.environment;
  const select = $<HTMLSelectElement>('backend');
  if (env && select.options.length === 0) {
    for (const b of env.backends) {
      const o = new Option(`${b.name}${!b.available ? ' (not available)' : b.software ? ' (software GPU, slow)' : ''}`, b.name);
      o.disabled = !b.available;
      select.add(o);
    }
    const body = $('backend-support').querySelector('tbody')!;
    body.innerHTML = env.backends
      .map((b) => `<tr><th scope="row">${esc(b.name)}</th><td>${b.available ? '✓ yes' : '✗ no'}</td><td title="${esc(b.description)}">${esc(b.note)}</td></tr>`)
      .join('');
    $('isolation').textContent = env.crossOriginIsolated
      ? `Cross-origin isolated: WebAssembly threads can run (${env.hardwareConcurrency} logical cores).`
      : 'Not cross-origin isolated (COOP/COEP headers missing): wasm runs single-threaded.';
  }
  if (s.backend.active && !s.backend.switchingTo) select.value = s.backend.active.name;
  select.disabled = !canSwitchBackend(s);
  $('backend-active').textContent = s.backend.switchingTo ? `switching to ${s.backend.switchingTo}…` : s.backend.active ? `${s.backend.active.name} (${s.backend.active.detail})` : 'none yet';
  $('backend-active').dataset.name = s.backend.switchingTo ? '' : (s.backend.active?.name ?? '');
  $('backend-error').textContent = s.backend.error ?? '';
}

function renderDataset(s: AppState) {
  const d = s.dataset;
  const dl = $('download');
  dl.hidden = !(d.status === 'loading' && d.download);
  if (d.download) {
    const p = $<HTMLProgressElement>('download-progress');
    if (d.download.total) p.value = d.download.loaded / d.download.total;
    else p.removeAttribute('value');
    $('download-text').textContent = `${bytes(d.download.loaded)}${d.download.total ? ` of ${bytes(d.download.total)}` : ''}`;
  }
  for (const id of ['demo-load', 'catalogue-load', 'npz-input', 'folder-input']) ($(id) as HTMLButtonElement).disabled = d.status === 'loading' || isTraining(s);
  const box = $('dataset-summary');
  box.dataset.status = d.status;
  if (d.status === 'loading') {
    box.innerHTML = `<p class="hint">Opening ${esc(d.label ?? '')}…</p>`;
    return;
  }
  const sum = d.summary;
  const error = d.error ? `<p class="form-error">${esc(d.error)}</p>` : '';
  if (!sum) {
    box.innerHTML = error || '<p class="hint">No dataset yet.</p>';
    return;
  }
  const head = sum.classNames.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = (['train', 'val', 'test'] as const)
    .map((k) => `<tr><th scope="row">${k}</th><td>${sum.splits[k].count}</td>${sum.splits[k].classCounts.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('');
  box.innerHTML =
    `${error}<p class="ready"><strong>${esc(sum.label)}</strong> — ${esc(sum.task)}, ${sum.size} px, ${sum.channels === 1 ? 'grey' : 'colour'}` +
    `${sum.md5 ? `, md5 <code>${esc(sum.md5)}</code> (${esc(sum.checksum)})` : ''}</p>` +
    `<div class="summary-grid"><table class="counts"><caption>Images per split and class</caption><thead><tr><th scope="col">split</th><th scope="col">images</th>${head}</tr></thead><tbody>${rows}</tbody></table>` +
    `<canvas id="dataset-preview" class="preview" role="img" aria-label="A montage of training images"></canvas></div>` +
    sum.notes.map((n) => `<p class="hint">${esc(n)}</p>`).join('');
  if (sum.preview) drawRGBA($<HTMLCanvasElement>('dataset-preview'), sum.preview.width, sum.preview.height, sum.preview.rgba);
}

function renderTraining(s: AppState, prev: AppState | undefined) {
  const t = s.training;
  const training = isTraining(s);
  $<HTMLButtonElement>('train').disabled = !canTrain(s);
  const pause = $<HTMLButtonElement>('pause');
  pause.disabled = !(t.status === 'running' || t.status === 'paused');
  pause.textContent = t.status === 'paused' ? 'Resume' : 'Pause';
  pause.setAttribute('aria-pressed', String(t.status === 'paused'));
  $<HTMLButtonElement>('stop').disabled = !(t.status === 'running' || t.status === 'paused');
  for (const el of $('train-form').querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) el.disabled = training;
  const bar = $<HTMLProgressElement>('progress');
  bar.value = progressFraction(s);
  const p = t.progress;
  let text = 'Not started.';
  if (t.status === 'error') text = `Failed: ${t.error}`;
  else if (p && training) {
    text =
      `${t.status === 'paused' ? 'Paused — ' : t.status === 'stopping' ? 'Stopping — ' : ''}phase ${p.phase} · epoch ${p.epoch}/${p.totalEpochs} · batch ${p.batch}/${p.batches} · ` +
      `loss ${num(p.loss)} · ${Math.round(p.imgPerS)} img/s · ETA ${duration(p.etaSeconds)}`;
  } else if (training) text = 'Preparing…';
  else if (t.result) text = `${t.status === 'stopped' ? 'Stopped' : 'Done'}: ${t.result.history.length} epoch(s) in ${duration(t.result.seconds)} on ${s.backend.active?.name ?? '?'}.`;
  $('progress-text').textContent = text;
  if (!prev || prev.training.history !== t.history || prev.training.totalEpochs !== t.totalEpochs) {
    const charts = historyCharts(t.history, t.totalEpochs || 1);
    $('chart-loss').innerHTML = charts.loss;
    $('chart-acc').innerHTML = charts.acc;
    $('chart-auc').innerHTML = charts.auc;
  }
  const tensors = t.tensors.length ? `tf.memory().numTensors after each epoch: ${t.tensors.join(', ')}` : '';
  const around = t.result ? ` · with the model, before training ${t.result.tensorsBefore}, after ${t.result.tensorsAfter}` : '';
  $('tensors').textContent = tensors ? `${tensors}${around} — ${tensorsFlat(s) ? 'flat (no leaks)' : 'NOT flat'}` : '';
  $('tensors').dataset.flat = String(tensorsFlat(s));
}

const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy (ACC)',
  rocAuc: 'ROC AUC',
  sensitivity: 'Sensitivity (recall)',
  specificity: 'Specificity',
  precision: 'Precision (PPV)',
  npv: 'NPV',
  f1: 'F1',
  balancedAccuracy: 'Balanced accuracy',
  mcc: 'MCC',
  cohensKappa: "Cohen's kappa",
  averagePrecision: 'Average precision',
  brier: 'Brier score',
  logLoss: 'Log loss',
  ece: 'ECE (10 bins)',
};
const ORDER = ['accuracy', 'rocAuc', 'sensitivity', 'specificity', 'precision', 'npv', 'f1', 'balancedAccuracy', 'mcc', 'cohensKappa', 'averagePrecision', 'brier', 'logLoss', 'ece'];

function metricsTable(e: SplitEvaluation, seconds?: number): string {
  const testid = (name: string) => (name === 'accuracy' ? ' data-testid="metric-acc"' : name === 'rocAuc' ? ' data-testid="metric-auc"' : '');
  let rows: string;
  if (e.metrics) {
    const byName = new Map(e.metrics.map((m) => [m.name, m]));
    rows = ORDER.filter((n) => byName.has(n))
      .map((n) => {
        const m = byName.get(n)!;
        const ci = m.ci && Number.isFinite(m.ci.lower) ? `${num(m.ci.lower)} – ${num(m.ci.upper)}` : '–';
        return `<tr><th scope="row">${esc(METRIC_LABELS[n] ?? n)}</th><td${testid(n)} data-value="${m.value}">${num(m.value)}</td><td>${ci}</td></tr>`;
      })
      .join('');
  } else {
    rows =
      `<tr><th scope="row">Accuracy (ACC)</th><td data-testid="metric-acc" data-value="${e.acc}">${num(e.acc)}</td><td>–</td></tr>` +
      `<tr><th scope="row">AUC (mean one-vs-rest)</th><td data-testid="metric-auc" data-value="${e.auc}">${num(e.auc)}</td><td>–</td></tr>` +
      (e.perClassAuc ?? []).map((a, c) => `<tr><th scope="row">AUC ${esc(e.classNames[c])}</th><td>${num(a)}</td><td>–</td></tr>`).join('');
  }
  const rule = e.task === 'binary-class' ? `positive (${esc(e.classNames[1])}) when p &gt; 0.5, as MedMNIST` : 'argmax, as MedMNIST';
  return (
    `<table class="metrics"><caption>${e.split} split, ${e.count} images · ${rule}${e.metrics ? ' · 95% CIs from 1000 stratified bootstrap resamples' : ''}${seconds !== undefined ? ` · val and test evaluated in ${seconds.toFixed(1)} s` : ''}</caption>` +
    `<thead><tr><th scope="col">metric</th><th scope="col">value</th><th scope="col">95% CI</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function renderEvaluation(s: AppState, prev: AppState | undefined) {
  const ev = s.evaluation;
  $<HTMLButtonElement>('evaluate').disabled = !s.model || s.dataset.status !== 'ready' || isTraining(s) || ev.status === 'running';
  if (prev && prev.evaluation === ev) return;
  const box = $('metrics');
  const charts = $('eval-charts');
  if (ev.status === 'running') {
    box.innerHTML = '<p class="hint">Evaluating…</p>';
    return;
  }
  if (ev.status === 'error') {
    box.innerHTML = `<p class="form-error">${esc(ev.error)}</p>`;
    charts.innerHTML = '';
    return;
  }
  if (!ev.result) {
    box.innerHTML = '<p class="hint">Metrics appear here after training (or press Evaluate).</p>';
    charts.innerHTML = '';
    return;
  }
  const e = ev.result[ev.split];
  box.innerHTML = metricsTable(e, ev.result.seconds);
  const parts: string[] = [];
  if (e.roc) parts.push(`<figure>${rocChart(e.roc.x, e.roc.y, e.roc.auc)}</figure>`);
  if (e.pr) parts.push(`<figure>${prChart(e.pr.x, e.pr.y, e.pr.ap, e.pr.prevalence)}</figure>`);
  if (e.reliability) parts.push(`<figure>${reliabilityChart(e.reliability)}</figure>`);
  charts.innerHTML = parts.join('');
  if (e.confusion.length) box.insertAdjacentHTML('beforeend', `<div class="confusion-wrap">${confusionTable(e.confusion, e.classNames)}</div>`);
}

function renderPrediction(s: AppState, prev: AppState | undefined) {
  $<HTMLInputElement>('predict-input').disabled = !s.model || isTraining(s);
  if (prev && prev.prediction === s.prediction) return;
  const box = $('prediction');
  const pr = s.prediction;
  if (pr.status === 'error') $('predict-error').textContent = pr.error ?? '';
  if (pr.status !== 'ready' || !pr.result) {
    box.hidden = pr.status !== 'running';
    if (pr.status === 'running') box.innerHTML = '<p class="hint">Predicting…</p>';
    return;
  }
  const r: Prediction = pr.result;
  const bars = r.classNames
    .map((c, i) => {
      const p = r.probabilities[i]!;
      return `<li class="${i === r.predicted ? 'top' : ''}"><span class="cls">${esc(c)}</span><span class="bar" style="--p:${p}"></span><span class="pct">${(p * 100).toFixed(1)}%</span></li>`;
    })
    .join('');
  box.innerHTML =
    `<p><strong>${esc(r.classNames[r.predicted])}</strong> (${(r.probabilities[r.predicted]! * 100).toFixed(1)}%) — ${esc(r.fileName)}</p>` +
    `<ul class="probs" aria-label="Class probabilities">${bars}</ul>` +
    `<div class="cam"><figure><canvas id="pred-image" role="img" aria-label="The image as resized for the model"></canvas><figcaption>image</figcaption></figure>` +
    `<figure><canvas id="pred-cam" role="img" aria-label="Grad-CAM heat-map overlay for ${esc(r.classNames[r.camClass])}"></canvas><figcaption>Grad-CAM: ${esc(r.classNames[r.camClass])}</figcaption></figure></div>` +
    `<p class="hint" id="cam-note" data-cells="${r.camCells}" data-flat="${r.camFlat}">${
      r.camCells === 1
        ? `At ${r.inputSize} px input, ResNet18's layer4 is a single cell, so Grad-CAM cannot localise (the map is uniform). Train at 64 px or more (224 px gives a 7×7 map).`
        : r.camFlat
          ? `Grad-CAM (layer4, ${r.camGrid} grid) found no region that raised the score of ${esc(r.classNames[r.camClass])}: the map is uniform.`
          : `Red areas raised the score of ${esc(r.classNames[r.camClass])} most (Grad-CAM on layer4's ${r.camGrid} grid).`
    } Not a diagnosis.</p>`;
  drawRGBA($<HTMLCanvasElement>('pred-image'), r.display.size, r.display.size, r.display.image);
  drawRGBA($<HTMLCanvasElement>('pred-cam'), r.display.size, r.display.size, r.display.overlay);
  box.hidden = false;
}

function renderModel(s: AppState) {
  const m = s.model;
  $<HTMLButtonElement>('export').disabled = !m || isTraining(s);
  $<HTMLInputElement>('model-input').disabled = isTraining(s);
  $<HTMLInputElement>('pth-input').disabled = isTraining(s);
  $('model-info').innerHTML = m
    ? `<strong>${esc(m.origin)}</strong>: ResNet18, ${m.input} input ${m.inputSize} px, classes ${m.classNames.map(esc).join(', ')}; dataset ${esc(m.dataset)}; starting weights ${esc(m.weightsSource)}.`
    : 'No model yet: train one, or load one you exported before.';
  if (s.weights) $('pth-info').textContent = `${s.weights.source}: ${s.weights.note}`;
}

function render(s: AppState, prev?: AppState) {
  renderBackend(s);
  if (!prev || prev.dataset !== s.dataset || prev.training.status !== s.training.status) renderDataset(s);
  renderTraining(s, prev);
  renderEvaluation(s, prev);
  renderPrediction(s, prev);
  renderModel(s);
  if (s.message !== prev?.message) $('status').textContent = s.message ?? '';
}

// ---------------------------------------------------------------------------------------------
// Wiring

function showSource(kind: string) {
  for (const el of document.querySelectorAll<HTMLElement>('[data-source]')) el.hidden = el.dataset.source !== kind;
}

function fillCatalogue() {
  const flag = $<HTMLSelectElement>('catalogue-flag');
  for (const d of trainableDatasets()) flag.add(new Option(`${d.pythonClass} — ${d.task}, ${d.labels.length} classes`, d.flag));
  flag.value = 'pneumoniamnist';
  const npzFlag = $<HTMLSelectElement>('npz-flag');
  for (const d of trainableDatasets()) npzFlag.add(new Option(d.pythonClass, d.flag));
  const updateSizes = () => {
    const info = datasetInfo(flag.value);
    const size = $<HTMLSelectElement>('catalogue-size');
    size.innerHTML = '';
    for (const s of availableSizes(info)) size.add(new Option(`${s} px`, String(s)));
    $('catalogue-info').textContent = `${info.description.slice(0, 220)}${info.description.length > 220 ? '…' : ''} (${info.splits.train}/${info.splits.val}/${info.splits.test} images; ${info.licence})`;
  };
  flag.addEventListener('change', updateSizes);
  updateSizes();
}

function wire() {
  const datasetSelect = $<HTMLSelectElement>('dataset');
  datasetSelect.addEventListener('change', () => showSource(datasetSelect.value));
  $('demo-load').addEventListener('click', () => void openDataset(demoSource(), 'the demo subset'));
  $('catalogue-load').addEventListener('click', () => {
    const flag = $<HTMLSelectElement>('catalogue-flag').value;
    const size = Number($<HTMLSelectElement>('catalogue-size').value);
    void openDataset({ kind: 'catalogue', flag, size }, `${flag} ${size} px`);
  });
  const npz = $<HTMLInputElement>('npz-input');
  const openNpz = (file: File) => {
    const flag = $<HTMLSelectElement>('npz-flag').value;
    void openDataset({ kind: 'npz', file, ...(flag ? { flag } : {}) }, file.name);
  };
  npz.addEventListener('change', () => {
    const file = npz.files?.[0];
    if (file) openNpz(file);
    npz.value = '';
  });
  dropZone('npz-drop', (e) => {
    const file = e.dataTransfer?.files[0];
    if (file) openNpz(file);
  });
  const folder = $<HTMLInputElement>('folder-input');
  const folderSize = () => Number($<HTMLSelectElement>('folder-size').value);
  folder.addEventListener('change', () => {
    const files = [...(folder.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    if (files.length) void openDataset({ kind: 'folder', files, size: folderSize(), seed: limits().seed }, `${files.length} files`);
    folder.value = '';
  });
  dropZone('folder-drop', (e) => {
    if (!e.dataTransfer) return;
    void droppedFiles(e.dataTransfer.items).then((files) => {
      if (files.length) void openDataset({ kind: 'folder', files, size: folderSize(), seed: limits().seed }, `${files.length} files`);
    });
  });

  $<HTMLSelectElement>('backend').addEventListener('change', (e) => void switchBackend((e.target as HTMLSelectElement).value));

  const preset = $<HTMLSelectElement>('preset');
  preset.addEventListener('change', () => {
    for (const el of document.querySelectorAll<HTMLElement>('[data-preset]')) el.hidden = el.dataset.preset !== preset.value;
  });
  $('train-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void startTraining();
  });
  $('pause').addEventListener('click', () => client.control({ type: store.state.training.status === 'paused' ? 'resume' : 'pause' }));
  $('stop').addEventListener('click', () => {
    dispatch({ type: 'train/stopping' });
    client.control({ type: 'stop' });
  });
  $('evaluate').addEventListener('click', () => void runEvaluation());
  for (const id of ['split-test', 'split-val']) $(id).addEventListener('change', (e) => dispatch({ type: 'eval/split', split: (e.target as HTMLInputElement).value as 'val' | 'test' }));

  const predictInput = $<HTMLInputElement>('predict-input');
  predictInput.addEventListener('change', () => {
    const file = predictInput.files?.[0];
    if (file) void predict(file);
    predictInput.value = ''; // the same file again is a new prediction
  });
  dropZone('predict-drop', (e) => {
    const file = e.dataTransfer?.files[0];
    if (file) void predict(file);
  });
  $('export').addEventListener('click', () => void exportModel());
  const modelInput = $<HTMLInputElement>('model-input');
  modelInput.addEventListener('change', () => {
    const files = [...(modelInput.files ?? [])];
    if (files.length) void loadModelFiles(files);
    modelInput.value = '';
  });
  const pth = $<HTMLInputElement>('pth-input');
  pth.addEventListener('change', () => {
    const file = pth.files?.[0];
    if (file) void importWeights(file);
    pth.value = '';
  });
  // Files dropped outside a drop zone would replace the page: refuse them.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

async function start() {
  fillCatalogue();
  wire();
  store.subscribe(render);
  render(store.state);
  const environment = await client.request({ type: 'environment' });
  dispatch({ type: 'environment', environment });
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(BACKEND_KEY);
  } catch {
    saved = null;
  }
  // The user's last choice, else the fastest available of the shared list (webgpu, webgl, wasm, cpu), GPU emulation skipped.
  const first = defaultBackend(environment.backends, saved);
  await switchBackend(first);
  if (!store.state.backend.active && first !== 'cpu') await switchBackend('cpu');
  await openDataset(demoSource(), 'the demo subset');
}

void start();
