// The page: plain TypeScript and DOM. It owns no tensors: every computation runs in the worker,
// and the page renders the state that the reducer (state.ts) derives from the worker's replies.
import './style.css';
import { availableSizes, datasetInfo } from '@medxfer/data';
import { formatMetric, metricLabel, type TaskReport } from '@medxfer/metrics';
import { confusionTable, historyCharts, prCurvesChart, reliabilityChart, rocCurvesChart } from './charts.js';
import { createClient } from './client.js';
import { trainableDatasets } from './dataset-tools.js';
import { PRESET_FIELDS } from './presets.js';
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
    case 'speed':
      return dispatch({ type: 'speed/record', record: event.record });
    case 'backend-lost':
      return dispatch({ type: 'backend/lost', active: event.active, message: event.message });
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

async function measureSpeed() {
  dispatch({ type: 'speed/start' });
  try {
    await client.request({ type: 'measure-speed' });
    dispatch({ type: 'speed/done' });
  } catch (e) {
    dispatch({ type: 'speed/done', error: errorText(e) });
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

const totalEpochs = (c: TrainConfig): number =>
  ({ notebook: c.epochsHead + c.epochsFull, 'fine-tune': c.freezeEpochs + c.epochs, scratch: c.scratchEpochs, 'medmnist-v2': c.v2Epochs })[c.preset];

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
  const { epochs: fields, rates } = PRESET_FIELDS[preset];
  for (const f of fields) if (int(f, 0) === undefined) return `${label(f)}: a whole number ≥ 0`;
  for (const f of rates) if (rate(f) === undefined) return `${label(f)}: a positive number such as 1e-3`;
  if (int('batch-size', 1) === undefined) return 'Batch size: a whole number ≥ 1';
  if (int('seed', 0) === undefined) return 'Seed: a whole number ≥ 0';
  const total = fields.reduce((n, f) => n + int(f, 0)!, 0);
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
    scratchEpochs: int('scratch-epochs', 0) ?? 24,
    scratchLr: rate('scratch-lr') ?? 2e-3,
    v2Epochs: int('v2-epochs', 0) ?? 100,
    v2Lr: rate('v2-lr') ?? 1e-3,
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
  dispatch({ type: 'train/start', totalEpochs: totalEpochs(config) });
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
  $('pth-error').textContent = '';
  try {
    const r = await client.request({ type: 'import-weights', file });
    dispatch({ type: 'weights/imported', source: r.source, note: r.note });
    const init = $<HTMLSelectElement>('init');
    init.querySelector<HTMLOptionElement>('option[value="imported"]')!.disabled = false;
    init.value = 'imported';
  } catch (e) {
    // A refused file is an error the user must see (and a screen reader announce), not a hint.
    $('pth-info').textContent = '';
    $('pth-error').textContent = errorText(e);
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

const rendered: { environment?: AppState['environment']; speed?: AppState['speed'] } = {};

/** The support table: what each backend is, and its measured speed (once measured). */
function renderSupport(s: AppState) {
  rendered.environment = s.environment;
  rendered.speed = s.speed;
  const speedOf = (name: string) => {
    const r = s.speed.records[name];
    if (!r) return s.speed.running ? '…' : '';
    if (r.error) return `failed: ${esc(r.error)}`;
    const f = (v: number | null) => (v === null ? '–' : v >= 10 ? v.toFixed(0) : v.toFixed(1));
    return `<span data-infer="${r.infer}" data-train="${r.train}">${f(r.infer)} · ${f(r.train)}</span> <small>at ${r.volume ? `${r.size}³ (${esc(r.volume)})` : `${r.size} px`}</small>`;
  };
  $('backend-support').querySelector('tbody')!.innerHTML = s.environment!.backends
    .map((b) => `<tr data-backend="${esc(b.name)}"><th scope="row">${esc(b.name)}</th><td>${b.available ? '✓ yes' : '✗ no'}</td><td title="${esc(b.description)}">${esc(b.note)}</td><td class="speed">${b.available ? speedOf(b.name) : ''}</td></tr>`)
    .join('');
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
    $('isolation').textContent = env.crossOriginIsolated
      ? `Cross-origin isolated: WebAssembly threads can run (${env.hardwareConcurrency} logical cores).`
      : 'Not cross-origin isolated (COOP/COEP headers missing): wasm runs single-threaded.';
  }
  if (env && (env !== rendered.environment || s.speed !== rendered.speed)) renderSupport(s);
  if (s.backend.active && !s.backend.switchingTo) select.value = s.backend.active.name;
  select.disabled = !canSwitchBackend(s);
  $<HTMLButtonElement>('measure-speed').disabled = !canSwitchBackend(s);
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
      `loss ${num(p.loss)} · ${Math.round(p.imgPerS)} img/s · ETA ${p.etaScope === 'phase' ? `this phase ${duration(p.etaSeconds)}` : duration(p.etaSeconds)}`;
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

/** The summary metrics of a split's report, with their CIs; ACC and AUC carry test ids (the e2e test reads them). */
function metricsTable(e: SplitEvaluation, seconds?: number): string {
  const r = e.report;
  const testid = (key: string) => (key === 'accuracy' || key === 'meanLabelAccuracy' ? ' data-testid="metric-acc"' : key === 'rocAuc' || key === 'macroAuc' ? ' data-testid="metric-auc"' : '');
  const rows = Object.entries(r.summary)
    .map(([key, value]) => {
      const ci = r.ci?.[key];
      const interval = ci && Number.isFinite(ci.lower) ? `${num(ci.lower)} – ${num(ci.upper)}` : '–';
      return `<tr><th scope="row">${esc(metricLabel(key))}</th><td${testid(key)} data-value="${value}">${esc(formatMetric(value))}</td><td>${interval}</td></tr>`;
    })
    .join('');
  const boot = r.bootstrap ? ` · 95% CIs from ${r.bootstrap.samples} ${r.bootstrap.stratified ? 'stratified ' : ''}bootstrap resamples` : '';
  const undefinedNotes = Object.entries(r.undefinedMetrics).map(([k, why]) => `<li>${esc(metricLabel(k))}: undefined — ${esc(why)}</li>`).join('');
  return (
    `<table class="metrics"><caption>${e.split} split, ${e.count} images · ${esc(r.rule)}${boot}${seconds !== undefined ? ` · val and test evaluated in ${seconds.toFixed(1)} s` : ''}</caption>` +
    `<thead><tr><th scope="col">metric</th><th scope="col">value</th><th scope="col">95% CI</th></tr></thead><tbody>${rows}</tbody></table>` +
    (undefinedNotes ? `<ul class="hint" data-testid="undefined-metrics">${undefinedNotes}</ul>` : '')
  );
}

/** One row per class (one-vs-rest) or label, for every task but binary (whose summary says it all). */
function perClassTable(r: TaskReport): string {
  if (r.task === 'binary-class') return '';
  const multi = r.task === 'multi-label';
  const head = [multi ? 'label' : 'class', multi ? 'positives' : 'support', 'AUC', 'AP', 'sensitivity', 'specificity', 'precision', 'F1', ...(multi ? ['TP', 'FP', 'FN', 'TN'] : [])];
  const rows = r.perClass
    .map((c) => `<tr><th scope="row">${esc(c.name)}</th><td>${c.support}</td>${[c.rocAuc, c.averagePrecision, c.sensitivity, c.specificity, c.precision, c.f1].map((v) => `<td>${esc(formatMetric(v))}</td>`).join('')}${multi ? [c.confusion.tp, c.confusion.fp, c.confusion.fn, c.confusion.tn].map((v) => `<td>${v}</td>`).join('') : ''}</tr>`)
    .join('');
  return `<table class="metrics per-class" data-testid="per-class"><caption>${multi ? 'Per label (present when p &gt; 0.5)' : 'Per class, one against the rest'}</caption><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderEvaluation(s: AppState, prev: AppState | undefined) {
  const ev = s.evaluation;
  $<HTMLButtonElement>('evaluate').disabled = !s.model || s.dataset.status !== 'ready' || isTraining(s) || ev.status === 'running';
  if (prev && prev.evaluation === ev) return;
  const box = $('metrics');
  const charts = $('eval-charts');
  $('per-class-box').innerHTML = '';
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
  const r = e.report;
  box.innerHTML = metricsTable(e, ev.result.seconds);
  $('per-class-box').innerHTML = perClassTable(r);
  const parts: string[] = [];
  const legendNote = r.curves.length > 3 ? `<figcaption>One curve per ${r.task === 'multi-label' ? 'label' : 'class'}: hover a line for its name; the values are in the table below.</figcaption>` : '';
  if (r.curves.length) parts.push(`<figure>${rocCurvesChart(r.curves)}${legendNote}</figure>`, `<figure>${prCurvesChart(r.curves)}${legendNote}</figure>`);
  parts.push(`<figure>${reliabilityChart(r.reliability.bins)}<figcaption>Of the ${esc(r.reliability.of)}.</figcaption></figure>`);
  charts.innerHTML = parts.join('');
  if (r.confusionMatrix) box.insertAdjacentHTML('beforeend', `<div class="confusion-wrap">${confusionTable(r.confusionMatrix, r.classNames)}</div>`);
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
  const multi = r.task === 'multi-label';
  const bars = r.classNames
    .map((c, i) => {
      const p = r.probabilities[i]!;
      return `<li class="${r.predicted.includes(i) ? 'top' : ''}"><span class="cls">${esc(c)}</span><span class="bar" style="--p:${p}"></span><span class="pct">${(p * 100).toFixed(1)}%</span></li>`;
    })
    .join('');
  const headline = multi
    ? r.predicted.length
      ? `findings above 0.5: <strong>${r.predicted.map((i) => esc(r.classNames[i])).join(', ')}</strong>`
      : '<strong>no finding</strong> above 0.5'
    : `<strong>${esc(r.classNames[r.predicted[0]!])}</strong> (${(r.probabilities[r.predicted[0]!]! * 100).toFixed(1)}%)`;
  box.innerHTML =
    `<p class="verdict">${headline} — ${esc(r.fileName)}</p>` +
    `<ul class="probs" aria-label="${multi ? 'Probability of each finding (independent)' : 'Class probabilities'}">${bars}</ul>` +
    `<div class="cam${r.display.planes ? ' volume' : ''}"><figure><canvas id="pred-image" role="img" aria-label="The ${r.display.planes ? `volume's ${r.display.planes}` : 'image as resized for the model'}"></canvas><figcaption>${r.display.planes ? esc(r.display.planes) : 'image'}</figcaption></figure>` +
    `<figure><canvas id="pred-cam" role="img" aria-label="Grad-CAM heat-map overlay for ${esc(r.classNames[r.camClass])}"></canvas><figcaption>Grad-CAM: ${esc(r.classNames[r.camClass])}</figcaption></figure></div>` +
    `<p class="hint" id="cam-note" data-cells="${r.camCells}" data-flat="${r.camFlat}">${
      r.camFlat
        ? `Grad-CAM (${esc(r.camLayer)}, ${r.camGrid} grid) found no region that raised the score of ${esc(r.classNames[r.camClass])}: the map is uniform.`
        : `Red areas raised the score of ${esc(r.classNames[r.camClass])} most (Grad-CAM on ${esc(r.camLayer)}'s ${r.camGrid} grid, the deepest layer with a map of at least 7×7 at ${r.inputSize} px${r.display.planes ? `, shown on the ${esc(r.display.planes)}` : ''}).`
    } Not a diagnosis.</p>`;
  drawRGBA($<HTMLCanvasElement>('pred-image'), r.display.width, r.display.height, r.display.image);
  drawRGBA($<HTMLCanvasElement>('pred-cam'), r.display.width, r.display.height, r.display.overlay);
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
  for (const d of trainableDatasets()) flag.add(new Option(`${d.pythonClass} — ${d.dimensions === 3 ? '3D, ' : ''}${d.task}, ${d.labels.length} classes`, d.flag));
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
    $<HTMLInputElement>('batch-size').value = String(PRESET_FIELDS[preset.value as TrainConfig['preset']].batch);
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
  $('measure-speed').addEventListener('click', () => void measureSpeed());
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
