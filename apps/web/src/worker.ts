// The training worker: holds the dataset, the model and tfjs, and runs the same packages as the
// CLI (@medxfer/data, models, train, metrics), so the page never freezes. Everything it reads comes
// from the page (Files the user picked, the app's own demo file) or, only when the user asks for a
// catalogue dataset, from MedMNIST's official download; nothing it holds is ever sent anywhere.
import * as tf from '@tensorflow/tfjs-core';
import {
  IMAGENET_NORMALIZATION,
  decodePng,
  inputTransform,
  limitSplits,
  loadMedMNIST,
  memoryStore,
  montage,
  npzEntries,
  openMedMNIST,
  openMedMNISTFile,
  openZip,
  rasterToInput,
  readNpy,
  resizeVolume,
  slicesToVolume,
  volumeToInput,
  sha256Hex,
  transformForModel,
  type DatasetInfo,
  type DatasetSplit,
  type FileStore,
  type ImageTransform,
  type Normalization,
  type RandomAccessFile,
  type RasterImage,
  type Split,
} from '@medxfer/data';
import {
  IMAGENET_RESNET18, ResNet18, StateDictMismatchError, gradCam, imagesThatFit, initFromCheckpoint, loadModel, midSlice, midSliceOverlays, overlayHeatmap, readCheckpoint, saveModel, upsampleHeatmap,
  type GradCamResult,
  type ModelTensor,
  type VolumeConvolution,
} from '@medxfer/models';
import { checkProbabilities, explainedClass, outputActivation, predictionOf, presetPlan, probabilitiesOf, readAndDispose, restoreModel, scoreSplit, snapshotModel, taskKind, train, TrainingAborted, type BatchProgress, type Plan, type TaskKind, type TrainingState } from '@medxfer/train';
import { activate, probeEnvironment } from './backends.js';
import { forgetBackend, gpuLoss, lossBehind, loseGpuNow, raceGpuLoss, takeGpuLoss, throwIfGpuLost, watchGpu, type GpuLoss } from './gpu-loss.js';
import { recogniseFileName, splitSummary } from './dataset-tools.js';
import { imagesPerSecond } from './speed.js';
import { buildFolderDataset, planFolder, splitsFor, type DecodedItem } from './folder-dataset.js';
import { resizedPixels, sniffImage, toRGBA } from './image-input.js';
import { blobFile, md5OfBlob, opfsInflateCache } from './local-file.js';
import type {
  DatasetLimits,
  DatasetSource,
  DatasetSummary,
  EvaluationResult,
  FromWorker,
  ModelInfo,
  Prediction,
  ReplyTypes,
  Request,
  SpeedRecord,
  SplitEvaluation,
  ToWorker,
  TrainConfig,
  TrainResult,
  WorkerEvent,
} from './protocol.js';

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
  location: { href: string };
};

const emit = (event: WorkerEvent, transfer: Transferable[] = []) => scope.postMessage({ kind: 'event', ...event }, transfer);

interface Dataset {
  readonly info: DatasetInfo;
  readonly size: number;
  readonly label: string;
  readonly channels: 1 | 3;
  readonly splits: Record<Split, DatasetSplit>;
  readonly checksum: string;
  readonly md5?: string;
  readonly notes: string[];
}

interface CurrentModel {
  readonly model: ResNet18;
  readonly transform: ImageTransform;
  readonly normalization: Normalization;
  readonly info: ModelInfo;
  /** On a GPU backend, the weights in memory too: what the model is rebuilt from on wasm if the GPU is lost. */
  readonly copy?: ModelCopy;
}

interface ModelCopy {
  readonly variables: TrainingState['model'];
  readonly batchesTracked: ReadonlyMap<string, number>;
}

let dataset: Dataset | undefined;
let current: CurrentModel | undefined;
let imported: { state: ReturnType<typeof readCheckpoint>; source: string } | undefined;
const control = { paused: false, stop: new AbortController(), wake: undefined as (() => void) | undefined };

/** Lets queued messages (pause, stop) in between batches. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

// ---------------------------------------------------------------------------------------------
// Datasets

/** Downloads are cached in the browser's Cache API (this origin only), else kept for the session. */
async function browserStore(): Promise<FileStore> {
  if (typeof caches === 'undefined') return memoryStore([], 'memory');
  const cache = await caches.open('medxfer-medmnist-v3');
  // Cache keys only: these URLs are never requested.
  const key = (name: string) => new Request(new URL(`medxfer-cache/${encodeURIComponent(name)}`, scope.location.href));
  return {
    read: async (name) => {
      const hit = await cache.match(key(name));
      return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
    },
    writeAtomic: async (name, bytes) => cache.put(key(name), new Response(bytes.slice().buffer as ArrayBuffer)),
    locate: (name) => `browser cache: ${name}`,
  };
}

async function readFileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/** Decodes a PNG (exactly, in JavaScript) or a JPEG (the browser's decoder) into pixels. */
async function decodeImage(file: File): Promise<RasterImage> {
  const bytes = await readFileBytes(file);
  const kind = sniffImage(bytes);
  if (kind === 'png') return decodePng(bytes, file.name);
  if (kind === 'jpeg') {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    try {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      return { width: bitmap.width, height: bitmap.height, channels: 4, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    } finally {
      bitmap.close();
    }
  }
  throw new Error(`${file.name}: not a PNG or JPEG image`);
}

/** The image side of a MedMNIST .npz, read from its train_images header (nothing else is read). */
function sizeOfNpz(file: RandomAccessFile): number {
  const images = npzEntries(openZip(file), ['train_images']).get('train_images');
  if (!images) throw new Error(`${file.name}: no train_images array; is this a MedMNIST file?`);
  return images.header.shape[1]!;
}

const MiB = 2 ** 20;

/** A picked .npz opened by offset: hashed as a stream, large deflated arrays inflated once into OPFS. */
async function openPickedNpz(picked: File, flag: string, size: number): Promise<Dataset> {
  const file = blobFile(picked, picked.name);
  const percent = (done: number, total: number) => `${Math.floor((100 * done) / total)}%`;
  const md5 = await md5OfBlob(picked, (done, total) => total > 64 * MiB && emit({ type: 'status', text: `checking the md5 of ${picked.name}: ${percent(done, total)}` }));
  // A file the user picked is their explicit choice: an md5 that is not the official one is accepted and reported.
  const data = await openMedMNISTFile(file, {
    flag, size, source: picked.name, md5, verify: false, cache: opfsInflateCache(picked),
    onFileProgress: (p) => emit({ type: 'status', text: `preparing ${p.what.split(':').pop()} (inflating it once into this browser's storage): ${percent(p.done, p.total)}` }),
  });
  const notes: string[] = [];
  if (data.checksum !== 'official') notes.push(`Its md5 ${data.md5} is not the official ${data.officialMd5}: a different copy or order of ${flag}. Used as you provided it.`);
  const storages = new Set(Object.values(data.splits).map((s) => s.storage));
  if (storages.has('file')) notes.push('Large arrays are read from the file in place, image by image: it stays on your disk and is never loaded whole.');
  if (storages.has('cache')) notes.push("Large compressed arrays were inflated once into this browser's storage (origin-private, never uploaded) and are read from there.");
  return fromMedMNIST(data, `${picked.name} (${data.checksum === 'official' ? 'official md5' : 'unverified copy'})`, notes);
}

function fromMedMNIST(data: ReturnType<typeof openMedMNIST>, label: string, notes: string[]): Dataset {
  // Volumes are grey; a 2D image's third axis is its channels.
  const channels = (data.info.dimensions === 3 ? 1 : (data.splits.train.imageShape[2] ?? 1)) as 1 | 3;
  if (data.info.dimensions === 3) notes.push(`3D volumes ${data.size}³: trained as an ACS ResNet-18 (the 2D ResNet18's kernels split over the axial, coronal and sagittal planes); the preview shows one row of depth slices per volume.`);
  return { info: data.info, size: data.size, label, channels, splits: { ...data.splits }, checksum: data.checksum, md5: data.md5, notes };
}

async function openSource(source: DatasetSource): Promise<Dataset> {
  switch (source.kind) {
    case 'demo': {
      const response = await fetch(source.url);
      if (!response.ok) throw new Error(`the bundled demo file is missing (${source.url}: HTTP ${response.status})`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const data = openMedMNIST(bytes, { flag: 'pneumoniamnist', size: 28, source: 'demo subset', expectedMd5: source.md5 });
      return fromMedMNIST(data, 'PneumoniaMNIST demo subset (bundled, 28 px)', ['A stratified sample of the real PneumoniaMNIST (CC BY 4.0), shipped with the app.']);
    }
    case 'catalogue': {
      const store = await browserStore();
      const data = await loadMedMNIST(source.flag, { size: source.size as 28, store, onProgress: (p) => emit({ type: 'download', loaded: p.loaded, total: p.total }) });
      return fromMedMNIST(data, `${data.info.pythonClass} ${data.size} px (official, md5 checked)`, [`Cached in this browser (${store.locate(data.info.flag)}); nothing was uploaded.`]);
    }
    case 'npz': {
      const named = recogniseFileName(source.file.name);
      const flag = source.flag ?? named?.flag;
      if (!flag) throw new Error(`${source.file.name}: cannot tell which MedMNIST dataset this is; name it like pneumoniamnist.npz or bloodmnist_64.npz, or choose the dataset in "Which dataset is it?"`);
      return openPickedNpz(source.file, flag, named?.flag === flag ? named.size : sizeOfNpz(blobFile(source.file, source.file.name)));
    }
    case 'folder': {
      const plan = planFolder(source.files.map((f) => f.path));
      const byPath = new Map(source.files.map((f) => [f.path, f.file]));
      const splits = splitsFor(plan, source.seed);
      const items: DecodedItem[] = [];
      for (const [k, item] of plan.items.entries()) {
        if (k % 25 === 0) emit({ type: 'status', text: `decoding images: ${k} / ${plan.items.length}` });
        const full = await decodeImage(byPath.get(item.path)!);
        // Keep only the resized copy: a folder of large X-rays would not fit in memory otherwise.
        items.push({ classIndex: item.classIndex, split: splits[k]!, image: { width: source.size, height: source.size, channels: 3, pixels: resizedPixels(full, 3, source.size) } });
      }
      const built = buildFolderDataset(plan.root, plan.classes, items, source.size);
      const notes = [`${plan.items.length} images in ${plan.classes.length} class folders${plan.hasSplits ? ' (train/val/test folders as given)' : ', split 70/15/15 stratified'}, resized to ${source.size} px${built.channels === 1 ? ', grey' : ', colour'}.`];
      if (plan.skipped.length) notes.push(`${plan.skipped.length} file(s) skipped, e.g. ${plan.skipped[0]!.path}: ${plan.skipped[0]!.reason}.`);
      return { info: built.info, size: source.size, label: `your folder ${plan.root || ''}`.trim(), channels: built.channels, splits: built.splits, checksum: 'folder', notes };
    }
  }
}

function summarise(d: Dataset): { summary: DatasetSummary; transfer: Transferable[] } {
  // Volumes: up to 8, one row of depth slices each.
  const length = d.info.dimensions === 3 ? Math.min(8, d.splits.train.count) : Math.min(8, Math.ceil(Math.sqrt(d.splits.train.count)));
  const grid = montage(d.splits.train, { length, seed: 1, gap: 1 });
  const rgba = toRGBA(grid.pixels, grid.width, grid.height, grid.channels);
  return {
    summary: {
      label: d.label,
      flag: d.info.flag,
      task: d.info.task,
      classNames: [...d.info.labels],
      size: d.size,
      channels: d.channels,
      splits: { train: splitSummary(d.splits.train), val: splitSummary(d.splits.val), test: splitSummary(d.splits.test) },
      checksum: d.checksum,
      ...(d.md5 ? { md5: d.md5 } : {}),
      notes: d.notes,
      preview: { width: grid.width, height: grid.height, rgba },
    },
    transfer: [rgba.buffer],
  };
}

async function loadDataset(source: DatasetSource, limits: DatasetLimits) {
  const full = await openSource(source);
  const limited: Dataset = { ...full, splits: limitSplits(full.splits, { train: limits.train, eval: limits.eval }, limits.seed) };
  if (limited.splits.train.count < full.splits.train.count || limited.splits.val.count < full.splits.val.count) {
    limited.notes.push(`Using a stratified subset: ${limited.splits.train.count} of ${full.splits.train.count} training images, ${limited.splits.val.count}/${limited.splits.test.count} of ${full.splits.val.count}/${full.splits.test.count} val/test images.`);
  }
  dataset = limited;
  return summarise(limited);
}

// ---------------------------------------------------------------------------------------------
// Training and evaluation

/** The plan of the page's recipe settings (the same presets as the CLI). */
function planOf(c: TrainConfig): Plan {
  const common = { batchSize: c.batchSize, seed: c.seed };
  if (c.preset === 'notebook') return presetPlan('notebook', { ...common, epochsHead: c.epochsHead, lrHead: c.lrHead, epochsFull: c.epochsFull, lrFull: c.lrFull });
  if (c.preset === 'scratch') return presetPlan('scratch', { ...common, epochs: c.scratchEpochs, lr: c.scratchLr });
  if (c.preset === 'medmnist-v2') return presetPlan('medmnist-v2', { ...common, epochs: c.v2Epochs, lr: c.v2Lr });
  return presetPlan('fine-tune', { ...common, freezeEpochs: c.freezeEpochs, epochs: c.epochs, baseLr: c.baseLr });
}

function disposeModel() {
  current?.model.dispose();
  current = undefined;
}

const onGpu = () => tf.getBackend() === 'webgpu' || tf.getBackend() === 'webgl';

/** The model as the worker keeps it: with a copy of its weights in memory when it lives on a GPU. */
async function keep(model: ResNet18, rest: Omit<CurrentModel, 'model' | 'copy'>): Promise<CurrentModel> {
  const copy = onGpu() ? { variables: await snapshotModel(model), batchesTracked: new Map(model.batchesTracked) } : undefined;
  throwIfGpuLost();
  return { model, ...rest, ...(copy ? { copy } : {}) };
}

/**
 * After a GPU device or context loss: wasm becomes the backend, the current model is rebuilt there from its
 * copy, the lost backend gets a fresh start when chosen again, and the page is told in plain words.
 */
async function recoverFromGpuLoss(loss: GpuLoss): Promise<void> {
  takeGpuLoss();
  if (tf.getBackend() !== loss.backend) {
    // Lost while not in use (e.g. during a speed measurement): nothing of ours lives there.
    forgetBackend(loss.backend);
    emit({ type: 'status', text: `${loss.backend} lost its ${loss.backend === 'webgpu' ? 'device' : 'context'} (${loss.reason}); it starts afresh when chosen again` });
    return;
  }
  const old = current;
  current = undefined;
  try {
    old?.model.dispose();
  } catch {
    // Its buffers or textures went with the device.
  }
  const active = await activate('wasm');
  forgetBackend(loss.backend);
  if (old?.copy) {
    const { model: m, normalization } = old;
    const model = new ResNet18({ numClasses: m.numClasses, input: m.input, ...(m.input === 'grey' ? { normalization } : {}), ...(m.volume ? { volume: m.volume } : {}) });
    restoreModel(model, old.copy.variables);
    for (const [k, v] of old.copy.batchesTracked) model.batchesTracked.set(k, v);
    current = { ...old, model, copy: undefined };
  }
  const what = loss.backend === 'webgpu' ? 'The GPU device was lost' : 'The WebGL context was lost';
  const kept = old ? (old.copy ? ' The model moved to wasm with its weights.' : ' The model was not kept (it had no copy).') : '';
  emit({ type: 'backend-lost', lost: loss.backend, active, message: `${what} (${loss.reason}); now running on wasm.${kept} You can choose ${loss.backend} again: it starts afresh.` });
}

/** Keeps the current model's in-memory copy in step with the backend: made on a GPU, dropped elsewhere. */
async function moveCurrentModelCopy(): Promise<void> {
  if (!current) return;
  const { model, copy: _copy, ...rest } = current;
  current = await keep(model, rest);
}

/** Runs `work`; if the GPU is lost meanwhile, moves the model to wasm and runs `work` again there. */
async function onAnyBackend<T>(work: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  try {
    const result = await (onGpu() ? raceGpuLoss(work()) : work());
    throwIfGpuLost();
    return result;
  } catch (error) {
    const loss = await lossBehind(backend);
    if (!loss) throw error;
    await recoverFromGpuLoss(loss);
    return work();
  }
}

/** A model for the dataset: random, or the imported checkpoint's body with a fresh head. */
function startingModel(d: Dataset, config: TrainConfig): { model: ResNet18; weightsSource: string } {
  const model = new ResNet18({
    numClasses: d.info.labels.length, input: d.channels === 1 ? 'grey' : 'rgb', normalization: IMAGENET_NORMALIZATION, seed: config.seed, ...(d.info.dimensions === 3 ? { volume: 'acs' as const } : {}),
  });
  if (config.init !== 'imported') return { model, weightsSource: `none (random init, seed ${config.seed})` };
  if (!imported) {
    model.dispose();
    throw new Error('import a .pth file first (or start from random weights)');
  }
  try {
    initFromCheckpoint(model, imported.state, config.seed);
  } catch (error) {
    model.dispose();
    if (error instanceof StateDictMismatchError) throw new Error(`${imported.source}: not a torchvision ResNet18 checkpoint (${[...error.missing, ...error.misshaped.map((m) => m.name)].slice(0, 4).join(', ')} missing or mis-shaped)`);
    throw error;
  }
  return { model, weightsSource: imported.source };
}

/** Between batches: reports progress, lets pause/stop messages in, and waits while paused. */
const pageCallback = {
  onPhaseStart: (phase: Plan['phases'][number], index: number) => emit({ type: 'phase', name: phase.name, index }),
  onBatchEnd: async (progress: BatchProgress) => {
    throwIfGpuLost();
    emit({ type: 'batch', progress });
    await yieldToEvents();
    while (control.paused && !control.stop.signal.aborted) await new Promise<void>((resolve) => (control.wake = resolve));
  },
};

/** On wasm, the chunk of each batch whose step fits the 4 GiB heap (volumes need chunks sooner); else none. */
function microBatchFor(plan: Plan, resize: number, d: Dataset): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const volumes = d.info.dimensions === 3;
  const fits = imagesThatFit({ inputSize: resize, images: plan.batchSize, training: true, channels: d.channels, ...(volumes ? { depth: resize } : {}) });
  if (fits === undefined) throw new Error(`${volumes ? `volumes of ${resize}³` : `images of ${resize} px`} do not fit the wasm backend's 4 GiB heap even one at a time: choose a smaller model input size`);
  return fits < plan.batchSize ? fits : undefined;
}

async function doTrain(config: TrainConfig): Promise<TrainResult> {
  const d = dataset;
  if (!d) throw new Error('load a dataset first');
  if (!(config.resize >= 28)) throw new Error(`resize must be at least 28 px (ResNet18's smallest input), got ${config.resize}`);
  const plan = planOf(config);
  const transform: ImageTransform = inputTransform(d.channels, config.resize);
  disposeModel();
  let { model, weightsSource } = startingModel(d, config);
  let tensorsBefore = tf.memory().numTensors;
  control.paused = false;
  control.stop = new AbortController();
  const started = performance.now();
  let stopped = false;
  let history: TrainResult['history'] = [];
  let epochKept = 0;
  // On a GPU, each finished epoch's state (weights, optimiser, history) is kept in memory: a lost device
  // costs at most the epoch in progress, which reruns on wasm.
  let resume: TrainingState | undefined;
  const epochCallback = {
    onEpochEnd: async (record: TrainResult['history'][number], trainer: { state(): Promise<TrainingState> }) => {
      if (onGpu()) {
        throwIfGpuLost();
        const state = await trainer.state();
        // Values read while the GPU was being lost cannot be trusted: the previous resume point stays.
        throwIfGpuLost();
        resume = state;
      }
      history = [...history, record];
      emit({ type: 'epoch', record, numTensors: tf.memory().numTensors });
    },
  };
  for (;;) {
    const backend = tf.getBackend();
    try {
      const microBatchSize = microBatchFor(plan, config.resize, d);
      const run = train({
        model, plan, train: d.splits.train, val: d.splits.val, transform, signal: control.stop.signal, callbacks: [pageCallback, epochCallback], ...(resume ? { resume } : {}),
        ...(microBatchSize ? { microBatchSize } : {}),
      });
      const result = await (onGpu() ? raceGpuLoss(run) : run);
      history = result.history;
      epochKept = result.epochKept;
      break;
    } catch (error) {
      if (error instanceof TrainingAborted) {
        stopped = true;
        epochKept = history.length;
        break;
      }
      const loss = await lossBehind(backend);
      try {
        model.dispose();
      } catch {
        // A lost GPU took its buffers with it.
      }
      if (!loss) throw error;
      await recoverFromGpuLoss(loss);
      ({ model } = startingModel(d, config));
      tensorsBefore = tf.memory().numTensors;
      emit({ type: 'status', text: `continuing the run on wasm from ${resume ? `the end of epoch ${resume.history.length}` : 'its start'}…` });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const info: ModelInfo = {
    classNames: [...d.info.labels],
    inputSize: config.resize,
    input: model.input,
    ...(model.volume ? { volume: model.volume } : {}),
    task: d.info.task,
    dataset: d.info.flag === 'folder' ? `folder:${d.label}` : `${d.info.flag}@${d.size}`,
    weightsSource,
    origin: stopped ? `trained here, stopped early (${history.length} epoch(s) finished)` : `trained here (${plan.name}, ${history.length} epochs)`,
  };
  current = await keep(model, { transform, normalization: IMAGENET_NORMALIZATION, info });
  return { history, seconds, epochKept, stopped, tensorsBefore, tensorsAfter: tf.memory().numTensors, model: info };
}

async function evaluateSplit(model: ResNet18, split: DatasetSplit, transform: ImageTransform): Promise<SplitEvaluation> {
  const score = await scoreSplit(model, split, transform, { bootstrap: 1000, seed: 42 });
  return { split: split.split as 'val' | 'test', count: split.count, report: score.report };
}

async function doEvaluate(): Promise<EvaluationResult> {
  if (!current) throw new Error('train or load a model first');
  if (!dataset) throw new Error('load a dataset first');
  if (current.model.numClasses !== dataset.info.labels.length) {
    throw new Error(`the model has ${current.model.numClasses} classes but the dataset has ${dataset.info.labels.length}`);
  }
  const started = performance.now();
  const val = await evaluateSplit(current.model, dataset.splits.val, current.transform);
  const test = await evaluateSplit(current.model, dataset.splits.test, current.transform);
  return { val, test, seconds: (performance.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Prediction, export, import

const DISPLAY = 224;

/** The model's probabilities for one input `x` (disposed here) and the Grad-CAM map of the class it explains. */
async function explained(model: ResNet18, x: ModelTensor, task: TaskKind, classes: number): Promise<{ probabilities: number[]; cam: GradCamResult }> {
  try {
    const probabilities = [...(await readAndDispose(tf.tidy(() => probabilitiesOf(task, model.predict(x)))))];
    // A broken backend (e.g. a lost GPU device) shows as probabilities that cannot be right: an error, never a display.
    checkProbabilities(task, probabilities, classes, 'the model (on this backend)');
    return { probabilities, cam: await gradCam(model, x, explainedClass(task, probabilities), { activation: outputActivation(task) }) };
  } finally {
    x.dispose();
  }
}

async function doPredict(file: File): Promise<{ value: Prediction; transfer: Transferable[] }> {
  if (!current) throw new Error('train or load a model first');
  if (current.model.volume) return predictVolume(file, current);
  const image = await decodeImage(file);
  const { model, transform, info } = current;
  const input = rasterToInput(image, { ...transform, size: transform.size! });
  const task = taskKind(info.task);
  const { probabilities, cam } = await explained(model, tf.tensor4d(input.data, input.shape), task, info.classNames.length);
  const predicted = predictionOf(task, probabilities).classes;
  const channels = transform.channels ?? 1;
  const shown = resizedPixels(image, channels, DISPLAY);
  const heat = upsampleHeatmap(cam.heatmap, cam.height, cam.width, DISPLAY, DISPLAY);
  const overlay = overlayHeatmap(shown, DISPLAY, DISPLAY, channels, heat);
  const imageRgba = toRGBA(shown, DISPLAY, DISPLAY, channels);
  const overlayRgba = new Uint8ClampedArray(overlay.buffer, overlay.byteOffset, overlay.byteLength);
  return {
    value: { classNames: info.classNames, probabilities, task, predicted, camClass: cam.classIndex, camLayer: cam.layer, camCells: cam.height * cam.width, camGrid: `${cam.height}×${cam.width}`, camFlat: !cam.heatmap.some((v) => v > 0), inputSize: info.inputSize, display: { width: DISPLAY, height: DISPLAY, image: imageRgba, overlay: overlayRgba }, fileName: file.name },
    transfer: [imageRgba.buffer, overlayRgba.buffer],
  };
}

/** Display side of each middle slice of a volume. */
const VOLUME_DISPLAY = 128;

/** A volume file: `.npy` uint8 [D, H, W], or a PNG/JPEG grid of a cube's slices (the CLI's `datasets save`). */
async function readVolume(file: File): Promise<{ volume: Uint8Array; shape: [number, number, number] }> {
  if (!file.name.toLowerCase().endsWith('.npy')) return slicesToVolume(await decodeImage(file), file.name);
  const array = readNpy(await readFileBytes(file), file.name);
  if (array.dtype !== 'u1' || array.shape.length !== 3) throw new Error(`${file.name}: a volume must be uint8 [D, H, W] (as in MedMNIST's 3D files), got ${array.dtype} [${array.shape.join(', ')}]`);
  return { volume: array.data as Uint8Array, shape: array.shape as [number, number, number] };
}

/** A volume `size³` (values in [0, 1]) as its axial, coronal and sagittal middle slices side by side, RGBA (as midSliceOverlays lays them out). */
function midSlicesRGBA(volume: Float32Array, size: number, gap: number): Uint8ClampedArray {
  const width = 3 * size + 2 * gap;
  const grey = new Uint8Array(width * size);
  (['axial', 'coronal', 'sagittal'] as const).forEach((plane, k) => {
    const slice = midSlice(volume, size, plane);
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) grey[r * width + k * (size + gap) + c] = Math.round(Math.min(1, Math.max(0, slice[r * size + c]!)) * 255);
  });
  return toRGBA(grey, width, size, 1);
}

/** A volume model's prediction, explained by Grad-CAM on the volume's axial, coronal and sagittal middle slices. */
async function predictVolume(file: File, { model, transform, info }: CurrentModel): Promise<{ value: Prediction; transfer: Transferable[] }> {
  const { volume, shape } = await readVolume(file);
  const input = volumeToInput(volume, shape, { ...transform, size: transform.size! });
  const task = taskKind(info.task);
  const { probabilities, cam } = await explained(model, tf.tensor5d(input.data, input.shape), task, info.classNames.length);
  const shown = resizeVolume(volume, shape, VOLUME_DISPLAY);
  const overlay = midSliceOverlays(shown, VOLUME_DISPLAY, cam, 4);
  const image = midSlicesRGBA(shown, VOLUME_DISPLAY, 4);
  const overlayRgba = new Uint8ClampedArray(overlay.pixels.buffer, overlay.pixels.byteOffset, overlay.pixels.byteLength);
  const grid = `${cam.depth}×${cam.height}×${cam.width}`;
  return {
    value: {
      classNames: info.classNames, probabilities, task, predicted: predictionOf(task, probabilities).classes, camClass: cam.classIndex, camLayer: cam.layer, camCells: cam.depth! * cam.height * cam.width, camGrid: grid,
      camFlat: !cam.heatmap.some((v) => v > 0), inputSize: info.inputSize, display: { width: overlay.width, height: overlay.height, image, overlay: overlayRgba, planes: 'axial | coronal | sagittal middle slices' }, fileName: file.name,
    },
    transfer: [image.buffer, overlayRgba.buffer],
  };
}

async function doExport() {
  if (!current) throw new Error('train or load a model first');
  const { model, info, normalization } = current;
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(
    model,
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { classNames: info.classNames, inputSize: info.inputSize, normalization, task: info.task, dataset: info.dataset, weightsSource: info.weightsSource },
  );
  const name = `medxfer-${info.dataset.replace(/[^a-z0-9@_-]+/gi, '-').replace('@', '-')}px`;
  const weights = artifacts!.weightData;
  return { value: { artifacts: artifacts!, name }, transfer: weights instanceof ArrayBuffer ? [weights] : [] };
}

async function doLoadModel(files: File[]): Promise<ModelInfo> {
  const json = files.find((f) => f.name.endsWith('.json'));
  const weights = files.filter((f) => f !== json);
  if (!json || weights.length === 0) throw new Error('pick the model.json and its weights file (.bin) together');
  const loaded = await loadModel(tf.io.browserFiles([json, ...weights]));
  disposeModel();
  const meta = loaded.metadata;
  const info: ModelInfo = {
    classNames: [...meta.classNames],
    inputSize: meta.inputSize,
    input: meta.input,
    ...(meta.volume ? { volume: meta.volume } : {}),
    task: meta.task,
    dataset: meta.dataset,
    weightsSource: meta.weightsSource,
    origin: `loaded from ${json.name}`,
  };
  current = await keep(loaded.model, { transform: transformForModel(meta), normalization: meta.normalization, info });
  return info;
}

async function doImportWeights(file: File): Promise<ReplyTypes['import-weights']> {
  const bytes = await readFileBytes(file);
  const sha = await sha256Hex(bytes);
  const state = readCheckpoint(bytes, file.name);
  if (!state.has('conv1.weight') || !state.has('layer4.1.bn2.running_var')) {
    throw new Error(`${file.name}: not a ResNet18 state dict (no conv1.weight / layer4.1.bn2.running_var)`);
  }
  const imagenet = sha.startsWith(IMAGENET_RESNET18.sha256Prefix);
  const source = imagenet ? `imagenet:${IMAGENET_RESNET18.fileName.replace(/\.pth$/, '')}` : `file:${file.name} (sha256 ${sha.slice(0, 12)}…)`;
  imported = { state, source };
  const fc = state.get('fc.weight');
  const note = `${state.size} tensors${imagenet ? ', torchvision ImageNet weights' : ''}; ${fc ? `its fc has ${fc.shape[0]} outputs and is replaced by a new head when the class count differs` : 'no fc: a new head is created'}.`;
  return { source, tensors: state.size, note };
}

/** What a speed measurement times: the current model's shape, else the dataset's, else PneumoniaMNIST's. */
function speedShape(): { size: number; input: 'grey' | 'rgb'; numClasses: number; volume?: VolumeConvolution } {
  if (current) return { size: current.info.inputSize, input: current.model.input === 'rgb' ? 'rgb' : 'grey', numClasses: current.model.numClasses, ...(current.model.volume ? { volume: current.model.volume } : {}) };
  if (dataset) return { size: dataset.size, input: dataset.channels === 3 ? 'rgb' : 'grey', numClasses: dataset.info.labels.length, ...(dataset.info.dimensions === 3 ? { volume: 'acs' as const } : {}) };
  return { size: 28, input: 'grey', numClasses: 2 };
}

/** Images/s of inference and of a training step on every available backend, then back to the active one. */
async function doMeasureSpeed(): Promise<SpeedRecord[]> {
  const shape = speedShape();
  const volumeOf = shape.volume ? { volume: shape.volume } : {};
  // Volumes cost as much as dozens of images each.
  const batch = shape.volume ? 2 : 8;
  const original = tf.getBackend();
  const records: SpeedRecord[] = [];
  for (const b of (await probeEnvironment()).backends.filter((e) => e.available)) {
    let record: SpeedRecord;
    try {
      await activate(b.name);
      watchGpu(b.name);
      const time = (mode: 'infer' | 'train') => {
        const timing = imagesPerSecond({ ...shape, mode, batch, steps: mode === 'infer' ? 2 : 1, warmup: 1 });
        return onGpu() ? raceGpuLoss(timing) : timing;
      };
      const infer = await time('infer');
      record = { backend: b.name, size: shape.size, ...volumeOf, batch, infer, train: await time('train') };
    } catch (error) {
      record = { backend: b.name, size: shape.size, ...volumeOf, batch, infer: null, train: null, error: String((error as Error).message ?? error).split('\n')[0]! };
    }
    records.push(record);
    emit({ type: 'speed', record });
  }
  if (original) await activate(original);
  return records;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

async function handle(request: Request): Promise<{ value: unknown; transfer?: Transferable[] }> {
  // A loss seen while idle is handled before the next request runs.
  const pending = gpuLoss();
  if (pending) await recoverFromGpuLoss(pending);
  switch (request.type) {
    case 'environment':
      return { value: await probeEnvironment() };
    case 'set-backend': {
      const active = await activate(request.name);
      watchGpu(active.name);
      await moveCurrentModelCopy();
      return { value: active };
    }
    case 'load-dataset': {
      const { summary, transfer } = await loadDataset(request.source, request.limits);
      return { value: summary, transfer };
    }
    case 'train':
      return { value: await doTrain(request.config) };
    case 'evaluate':
      return { value: await onAnyBackend(doEvaluate) };
    case 'predict':
      return onAnyBackend(() => doPredict(request.file));
    case 'export':
      return onAnyBackend(doExport);
    case 'load-model':
      return { value: await doLoadModel(request.files) };
    case 'import-weights':
      return { value: await doImportWeights(request.file) };
    case 'measure-speed':
      return { value: await doMeasureSpeed() };
  }
}

// Loses the GPU on purpose, to try the recovery (the e2e test calls it through Playwright's worker handle).
(globalThis as unknown as { medxferDebug: { loseGpu: () => string } }).medxferDebug = { loseGpu: loseGpuNow };

// Requests run one at a time, in order; pause/resume/stop act at once (between two batches).
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const message = event.data;
  if (!('id' in message)) {
    if (message.type === 'pause') control.paused = true;
    if (message.type === 'resume') control.paused = false;
    if (message.type === 'stop') control.stop.abort('stopped by the user');
    emit({ type: 'paused', paused: control.paused && !control.stop.signal.aborted });
    control.wake?.();
    control.wake = undefined;
    return;
  }
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(message);
      scope.postMessage({ kind: 'reply', id: message.id, ok: true, value }, transfer ?? []);
    } catch (error) {
      const e = error as Error;
      scope.postMessage({ kind: 'reply', id: message.id, ok: false, error: e?.message ?? String(error), name: e?.name ?? 'Error' });
    }
  });
});
