import { readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { datasetInfo, IMAGENET_NORMALIZATION, inputTransform, limitSplits, type DatasetInfo, type MedMNIST } from '@medxfer/data';
import { sha256Node, writeFileAtomic } from '@medxfer/data/node';
import { imagesThatFit, initFromCheckpoint, resnet18StepBytes, ResNet18, StateDictMismatchError, VOLUME_CONVOLUTIONS, type VolumeConvolution } from '@medxfer/models';
import { saveModelToDir } from '@medxfer/models/node';
import * as tf from '@tensorflow/tfjs-core';
import { checkpointEachEpoch, decodeTrainingState, planFromJson, presetPlan, PRESETS, ResumeError, train, TrainingAborted, type Plan, type TrainingResult, type TrainingState } from '@medxfer/train';
import { createGradientWorkers, type GradientWorkers } from '@medxfer/train/node';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES, checkThreads, evaluationBatchSize, startKernelThreadsFor } from '../backend.js';
import { UsageError } from '../errors.js';
import { evaluateRun } from '../evaluation.js';
import type { Output } from '../output.js';
import { trainingProgress } from '../progress.js';
import { runDatasetRoot, versions, type RunConfig } from '../run-config.js';
import { ensureEmptyFolder, historyCsv, readJson, RUN_FILES, runPath, writeJson } from '../run-folder.js';
import { lockRunFolder } from '../run-lock.js';
import { checkWeightsArg, chooseWeights, WEIGHTS_HELP, type WeightsChoice } from '../weights-source.js';
import { openFromArgs } from './datasets.js';
export const trainSpec: CommandSpec = {
  name: 'train',
  summary: "Fine-tune ResNet18 on a MedMNIST dataset (binary, multi-class, ordinal or multi-label; 3D volumes through ACS or 2.5D convolutions of the same 2D weights, or 3D kernels) (the course notebook's recipe by default) and write a run folder: config, history, model, metrics, predictions, report.",
  flags: {
    dataset: { type: 'string', value: 'FLAG', default: 'pneumoniamnist', description: 'MedMNIST dataset' },
    root: { type: 'string', value: 'DIR', description: 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy)' },
    verify: { type: 'boolean', default: true, description: 'check the official md5 (--no-verify accepts another copy)' },
    size: { type: 'int', value: 'N', default: 28, description: 'dataset image size (28, 64, 128, 224)' },
    resize: { type: 'int', value: 'R', description: 'resize images to R px (volumes to R³ voxels) before the model (the notebook used 224; default: no resize)' },
    conv: { type: 'string', value: 'C', choices: VOLUME_CONVOLUTIONS, description: "3D datasets: how the ResNet18 convolves volumes — acs (default; Yang et al.: a third of each layer's 2D kernels in each of the axial, coronal and sagittal planes), 2.5d (2D kernels, all axial) or 3d (k×k×k kernels; 2D weights inflated into them as I3D does)" },
    weights: { type: 'string', value: 'W', default: 'imagenet', description: WEIGHTS_HELP },
    preset: { type: 'string', value: 'P', choices: Object.keys(PRESETS), default: 'notebook', description: 'training recipe' },
    plan: { type: 'string', value: 'FILE', description: 'a training recipe of your own, as JSON (a Plan: phases, batch size, loss, augmentation, EMA, TTA…; docs/guide-train.md), instead of --preset and its flags; --seed overrides its seed' },
    'epochs-head': { type: 'int', value: 'N', description: 'notebook: epochs of phase 1 (head only; default 3)' },
    'lr-head': { type: 'number', value: 'LR', description: 'notebook: learning rate of phase 1 (default 1e-3)' },
    'epochs-full': { type: 'int', value: 'N', description: 'notebook: epochs of phase 2 (all layers; default 5)' },
    'lr-full': { type: 'number', value: 'LR', description: 'notebook: learning rate of phase 2 (default 1e-5)' },
    epochs: { type: 'int', value: 'N', description: 'fine-tune/scratch/medmnist-v2: epochs of the main phase (medmnist-v2: 100, lr ×0.1 at half and three quarters)' },
    lr: { type: 'number', value: 'LR', description: 'fine-tune: base learning rate; scratch: peak learning rate; medmnist-v2: Adam learning rate (1e-3)' },
    'batch-size': { type: 'int', value: 'N', description: 'batch size (notebook 32)' },
    seed: { type: 'int', value: 'N', default: 42, description: 'seed of initialisation, order and augmentation' },
    'micro-batch': { type: 'int', value: 'N', description: "accumulate gradients over chunks of N images (default: the whole batch; on wasm, the largest half, quarter… of it whose estimated memory fits wasm's 4 GiB heap, said when chosen; a given N that does not fit is refused)" },
    workers: { type: 'int', value: 'N', description: "train on N threads (wasm/cpu, which use one core per process in Node). Presets with chunked batches (scratch: 128 in chunks of 64) default to one thread per chunk up to the core count, with the same result for any N; otherwise default 1, and N > 1 splits each batch into N chunks computed at once (BatchNorm statistics per chunk, as with --micro-batch)" },
    threads: { type: 'int', value: 'N', description: 'wasm: split each convolution across N threads, the same result for any N (default: the cores when the run trains on one worker; --workers N > 1 uses the cores instead)' },
    'train-limit': { type: 'int', value: 'N', description: 'use N training images, a stratified sample seeded by --seed (quick trials)' },
    'eval-limit': { type: 'int', value: 'N', description: 'use N val and N test images, stratified samples seeded by --seed' },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples for the metrics CIs (0: none)' },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
    out: { type: 'string', value: 'DIR', description: 'run folder (default runs/<time>-<preset>)' },
    resume: { type: 'string', value: 'DIR', description: 'continue an interrupted run from its last finished epoch' },
    'keep-checkpoint': { type: 'boolean', default: false, description: 'keep checkpoint.safetensors (optimiser state, every epoch) after the run finishes; by default only model/ stays' },
  },
  examples: [
    'medxfer train --weights imagenet-or-none',
    'medxfer train --resize 224 --backend tensorflow-gpu   # the notebook at 224 px',
    'medxfer train --preset scratch --weights none --size 28',
    'medxfer train --plan my-recipe.json --weights none   # a recipe of your own (docs/guide-train.md)',
    'medxfer train --resume runs/2026-11-25T10-00-00-notebook',
    'medxfer train --dataset nodulemnist3d --preset fine-tune --epochs 10   # ACS ResNet-18 from ImageNet weights',
  ],
};

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * wasm's heap holds at most 4 GiB: the micro-batch to train with there, from a step's estimated peak memory —
 * the one given if it fits (refused if not), else none when the chunks the plan computes fit, else the
 * largest half, quarter… that fits (said). Other backends keep what was given.
 */
function microBatchFor(requested: number | undefined, backend: string, resize: number, plan: Plan, workers: number, channels: 1 | 3, out: Output, volumes: boolean): number | undefined {
  if (backend !== 'wasm') return requested;
  const perThread = Math.min(plan.batchSize, plan.chunkSize ?? plan.batchSize, Math.ceil(plan.batchSize / workers));
  const step = { inputSize: resize, images: Math.min(requested ?? perThread, perThread), training: true, batch: plan.batchSize, channels, ...(volumes ? { depth: resize } : {}) };
  const fits = imagesThatFit(step);
  if (fits === step.images) return requested;
  const need = gb(resnet18StepBytes(step));
  if (fits === undefined) throw new UsageError(`--resize ${resize} is too large for the wasm backend's 4 GiB heap even one image at a time (≈ ${gb(resnet18StepBytes({ ...step, images: 1 }))} per step); use a smaller --resize`);
  if (requested) throw new UsageError(`--micro-batch ${requested} at ${resize} px needs ≈ ${need} of the wasm backend's 4 GiB heap; use --micro-batch ${fits} or less (or leave it out to have it chosen)`);
  out.note(`micro-batch ${fits}: a chunk of ${step.images} images at ${resize} px needs ≈ ${need}, more than the wasm backend's 4 GiB heap holds; gradients accumulate over chunks of ${fits} (BatchNorm statistics per chunk)`);
  return fits;
}

/** Threads when --workers is not given: one per chunk of a chunked plan (up to the cores) on wasm/cpu, else 1. */
function defaultWorkers(plan: Plan, backend: string): number {
  if (!plan.chunkSize || (backend !== 'wasm' && backend !== 'cpu')) return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.ceil(plan.batchSize / plan.chunkSize)));
}

/** --workers runs wasm/cpu replicas on worker threads; the native backends thread by themselves. */
export function checkWorkers(workers: number | undefined, backend: string): void {
  if (workers !== undefined && !(workers >= 1)) throw new UsageError(`--workers must be at least 1, got ${workers}`);
  if ((workers ?? 1) > 1 && backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--workers is for the wasm and cpu backends (${backend} runs its own threads); use --workers 1`);
}

function positive(args: ParsedArgs, name: string, min = 1): void {
  const v = args.flags[name] as number | undefined;
  if (v !== undefined && !(v >= min)) throw new UsageError(`--${name} must be at least ${min}, got ${v}`);
}

function presetOptions(args: ParsedArgs): Record<string, number | undefined> {
  const f = args.flags;
  const preset = f.preset as string;
  const common = { batchSize: f['batch-size'] as number | undefined, seed: f.seed as number };
  if (preset === 'notebook') {
    for (const flag of ['epochs', 'lr']) if (f[flag] !== undefined) throw new UsageError(`--${flag} is for the fine-tune and scratch presets; the notebook preset takes --epochs-head/--epochs-full and --lr-head/--lr-full`);
    return { ...common, epochsHead: f['epochs-head'] as number | undefined, lrHead: f['lr-head'] as number | undefined, epochsFull: f['epochs-full'] as number | undefined, lrFull: f['lr-full'] as number | undefined };
  }
  for (const flag of ['epochs-head', 'lr-head', 'epochs-full', 'lr-full']) if (f[flag] !== undefined) throw new UsageError(`--${flag} is for the notebook preset; ${preset} takes --epochs and --lr`);
  return preset === 'fine-tune' ? { ...common, epochs: f.epochs as number | undefined, baseLr: f.lr as number | undefined } : { ...common, epochs: f.epochs as number | undefined, lr: f.lr as number | undefined };
}

/** The flags a preset takes, which a plan file holds instead. */
const PRESET_FLAGS = ['preset', 'epochs-head', 'lr-head', 'epochs-full', 'lr-full', 'epochs', 'lr', 'batch-size'];

/** The recipe: `--plan FILE` (its seed replaced by a given --seed), or the preset with its flags. */
async function chosenPlan(args: ParsedArgs): Promise<{ plan: Plan; options: Record<string, number | undefined> }> {
  const file = args.flags.plan as string | undefined;
  if (file === undefined) {
    const options = presetOptions(args);
    return { plan: presetPlan(args.flags.preset as string, options), options };
  }
  const clash = PRESET_FLAGS.filter((f) => args.given.has(f));
  if (clash.length) throw new UsageError(`--plan ${file} holds the whole recipe: leave out ${clash.map((f) => `--${f}`).join(', ')}`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--plan ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan ${file} is not JSON: ${(error as Error).message}`);
  }
  const plan = planFromJson(json, args.flags.seed as number);
  const seeded = args.given.has('seed') ? { ...plan, seed: args.flags.seed as number } : plan;
  return { plan: seeded, options: { seed: seeded.seed } };
}

/** What a run needs to start training, fresh or resumed. */
interface Prepared {
  readonly dir: string;
  /** Releases the run folder's lock (one writer per folder). */
  readonly release: () => Promise<void>;
  readonly config: RunConfig;
  readonly data: MedMNIST;
  readonly weights?: WeightsChoice;
  readonly resume?: TrainingState;
}

/** Removes `*.tmp` and `*.next` files that a killed process left in the run folder (atomic writes write them first). */
async function removeStaleTemporaries(dir: string, out: Output): Promise<void> {
  const stale = (await readdir(dir)).filter((f) => f.endsWith('.tmp') || f.endsWith('.next'));
  await Promise.all(stale.map((f) => rm(runPath(dir, f), { force: true })));
  if (stale.length) out.note(`removed ${stale.length} unfinished temporary file(s) left by an interrupted write`);
}

/** The latest checkpoint that verifies, else the one before it (saying why); refuses when neither does. */
async function readResumeState(dir: string, out: Output): Promise<TrainingState> {
  const file = runPath(dir, RUN_FILES.checkpoint);
  const previous = runPath(dir, RUN_FILES.previousCheckpoint);
  if (!existsSync(file) && existsSync(previous)) {
    // Stopped between rotating the checkpoints: the one before is the latest whole one.
    out.note(`medxfer: ${RUN_FILES.checkpoint} is missing (the run stopped while saving); resuming from ${RUN_FILES.previousCheckpoint}`);
    return decodeTrainingState(new Uint8Array(await readFile(previous)), previous, { sha256: sha256Node });
  }
  const bytes = await readFile(file).catch(() => {
    const finished = existsSync(runPath(dir, RUN_FILES.model));
    throw new UsageError(`--resume ${dir}: no ${RUN_FILES.checkpoint} (${finished ? 'the run has finished: its model is in model/' : 'the run finished no epoch'})`);
  });
  try {
    return decodeTrainingState(new Uint8Array(bytes), file, { sha256: sha256Node });
  } catch (error) {
    if (!(error instanceof ResumeError) || !existsSync(previous)) throw error;
    const state = decodeTrainingState(new Uint8Array(await readFile(previous)), previous, { sha256: sha256Node });
    out.note(`medxfer: ${(error as Error).message}; resuming from the checkpoint before it (epoch ${state.history.length})`);
    // The damaged one must not become the fallback of the next epoch.
    await rm(file, { force: true });
    return state;
  }
}

async function prepareResume(args: ParsedArgs, out: Output): Promise<Prepared> {
  const dir = resolve(args.flags.resume as string);
  const config = await readJson<RunConfig>(runPath(dir, RUN_FILES.config), '--resume');
  const release = await lockRunFolder(dir, 'medxfer train --resume');
  try {
    return { ...(await openResumed(args, out, dir, config)), release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** Flags that change a run's result: fixed by its config.json. Execution flags (--backend, --workers, --micro-batch…) may change. */
const RECIPE_FLAGS = ['dataset', 'root', 'size', 'resize', 'conv', 'weights', 'preset', 'plan', 'epochs-head', 'lr-head', 'epochs-full', 'lr-full', 'epochs', 'lr', 'batch-size', 'seed', 'train-limit', 'eval-limit', 'out'];

async function openResumed(args: ParsedArgs, out: Output, dir: string, stored: RunConfig): Promise<Omit<Prepared, 'release'>> {
  if ((stored.dataset.trainLimit || stored.dataset.evalLimit) && stored.dataset.subset !== 'stratified') {
    throw new UsageError(`${dir} was made by an older medxfer whose --train-limit/--eval-limit took the first N images; resuming would train on other images. Start a new run.`);
  }
  const recipe = RECIPE_FLAGS.filter((f) => args.given.has(f));
  if (recipe.length) throw new UsageError(`--resume continues the recipe in ${dir}/config.json; ${recipe.map((f) => `--${f}`).join(', ')} would change it (execution flags such as --backend, --workers and --micro-batch may change)`);
  await removeStaleTemporaries(dir, out);
  const saved = [RUN_FILES.checkpoint, RUN_FILES.previousCheckpoint, RUN_FILES.model].some((f) => existsSync(runPath(dir, f)));
  const resume = saved ? await readResumeState(dir, out) : undefined;
  const backend = await activateBackend(args.flags.backend as string);
  const workers = (args.flags.workers as number | undefined) ?? stored.workers;
  checkWorkers(workers, backend.name);
  checkThreads(args.flags.threads as number | undefined, backend.name, workers ?? 1);
  const given = args.flags['micro-batch'] as number | undefined;
  const microBatch = given ? microBatchFor(given, backend.name, stored.resize, stored.plan, workers ?? 1, stored.input === 'grey' ? 1 : 3, out, stored.volume !== undefined) : undefined;
  const config: RunConfig = microBatch ? { ...stored, microBatch } : stored;
  if (microBatch && microBatch !== stored.microBatch) await writeJson(runPath(dir, RUN_FILES.config), config);
  out.note(resume ? `resuming ${dir} at epoch ${resume.history.length + 1} on ${backend.name}` : `${dir} finished no epoch before it stopped: starting it again from the beginning, on ${backend.name}`);
  const flags = { ...args.flags, size: config.dataset.size, root: runDatasetRoot(config), verify: config.dataset.checksum !== 'unverified' };
  const data = await openFromArgs({ ...args, flags }, out, config.dataset.flag);
  if (data.md5 && config.dataset.md5 && data.md5 !== config.dataset.md5) throw new UsageError(`--resume: the dataset file changed since the run started (md5 ${data.md5}, was ${config.dataset.md5})`);
  return { dir, config, data, ...(resume ? { resume } : {}) };
}

function checkNewRunFlags(args: ParsedArgs): void {
  for (const name of ['epochs-head', 'epochs-full', 'epochs']) positive(args, name, 0);
  for (const name of ['batch-size', 'train-limit', 'eval-limit', 'micro-batch', 'workers', 'threads']) positive(args, name);
  for (const name of ['lr-head', 'lr-full', 'lr']) if (args.flags[name] !== undefined && !((args.flags[name] as number) > 0)) throw new UsageError(`--${name} must be a positive number`);
  if (args.flags.resize !== undefined && (args.flags.resize as number) < 28) throw new UsageError(`--resize must be at least 28 (ResNet18's smallest input), got ${args.flags.resize}`);
}

async function prepareNewRun(args: ParsedArgs, out: Output): Promise<Prepared> {
  checkNewRunFlags(args);
  const info = datasetInfo(args.flags.dataset as string);
  if (info.dimensions === 2 && args.flags.conv !== undefined) throw new UsageError(`--conv is for 3D datasets; ${info.flag} is 2D`);
  const { plan, options } = await chosenPlan(args);
  if (plan.phases.every((ph) => ph.epochs === 0)) throw new UsageError('every phase has 0 epochs: nothing would be trained (give --epochs-head/--epochs-full or --epochs at least 1)');
  const dir = resolve((args.flags.out as string | undefined) ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${plan.name}`);
  checkWeightsArg(args.flags.weights as string);
  await ensureEmptyFolder(dir);
  // Two runs started together with the same --out: one gets the lock, the other is told who has it.
  const release = await lockRunFolder(dir, 'medxfer train');
  try {
    return { ...(await startNewRun(args, out, dir, info, plan, options)), release };
  } catch (error) {
    await release();
    // Leave nothing behind that a later run would trip over: what this run wrote, then the folder if it is empty.
    await rm(runPath(dir, RUN_FILES.config), { force: true });
    await rmdir(dir).catch(() => {});
    throw error;
  }
}

async function startNewRun(args: ParsedArgs, out: Output, dir: string, info: DatasetInfo, plan: Plan, options: Record<string, number | undefined>): Promise<Omit<Prepared, 'release'>> {
  const backend = await activateBackend(args.flags.backend as string);
  checkWorkers(args.flags.workers as number | undefined, backend.name);
  out.note(`backend: ${backend.name}${backend.tried.length ? ` (skipped ${backend.tried.join('; ')})` : ''}`);
  const data = await openFromArgs(args, out, info.flag);
  const weights = await chooseWeights(args.flags.weights as string, args.flags.seed as number, out);
  const resize = (args.flags.resize as number | undefined) ?? data.size;
  const workers = (args.flags.workers as number | undefined) ?? defaultWorkers(plan, backend.name);
  checkThreads(args.flags.threads as number | undefined, backend.name, workers);
  const volume = info.dimensions === 3 ? ((args.flags.conv as VolumeConvolution | undefined) ?? 'acs') : undefined;
  const microBatch = microBatchFor(args.flags['micro-batch'] as number | undefined, backend.name, resize, plan, workers, info.channels === 1 ? 1 : 3, out, volume !== undefined);
  const config: RunConfig = {
    medxfer: (await versions())['@medxfer/cli'] ?? 'unknown',
    createdAt: new Date().toISOString(),
    dataset: {
      flag: info.flag, size: data.size, source: data.source, ...(data.md5 ? { md5: data.md5 } : {}), officialMd5: data.officialMd5, checksum: data.checksum,
      ...(args.flags['train-limit'] ? { trainLimit: args.flags['train-limit'] as number } : {}),
      ...(args.flags['eval-limit'] ? { evalLimit: args.flags['eval-limit'] as number } : {}),
      ...(args.flags['train-limit'] || args.flags['eval-limit'] ? { subset: 'stratified' as const } : {}),
    },
    resize,
    input: info.channels === 1 ? 'grey' : 'rgb',
    ...(volume ? { volume } : {}),
    transform: inputTransform(info.channels, resize),
    weights: { requested: weights.requested, source: weights.source, ...(weights.sha256 ? { sha256: weights.sha256 } : {}), ...(weights.path ? { path: weights.path } : {}), ...(weights.note ? { note: weights.note } : {}) },
    preset: plan.name,
    presetOptions: options,
    plan,
    seed: args.flags.seed as number,
    backend: backend.name,
    bootstrap: args.flags.bootstrap as number,
    ...(microBatch ? { microBatch } : {}),
    workers,
    versions: await versions(),
  };
  await writeJson(runPath(dir, RUN_FILES.config), config);
  return { dir, config, data, weights };
}

/** The model a run starts from: random, or the chosen checkpoint's body with a fresh head. */
function buildModel(p: Prepared): ResNet18 {
  const { config, data } = p;
  const model = new ResNet18({ numClasses: data.info.labels.length, input: config.input, normalization: IMAGENET_NORMALIZATION, seed: config.seed, ...(config.volume ? { volume: config.volume } : {}) });
  if (!p.weights?.state) return model;
  try {
    initFromCheckpoint(model, p.weights.state, config.seed);
  } catch (error) {
    model.dispose();
    if (error instanceof StateDictMismatchError) {
      const problems = [...error.missing, ...error.misshaped.map((m) => m.name)];
      throw new UsageError(`--weights ${p.weights.requested}: not a torchvision ResNet18 checkpoint (${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', …' : ''} missing or mis-shaped)`);
    }
    throw error;
  }
  return model;
}

function startWorkers(args: ParsedArgs, config: RunConfig, out: Output): GradientWorkers | undefined {
  const count = (args.flags.workers as number | undefined) ?? config.workers ?? 1;
  if (count <= 1) return undefined;
  const chunk = config.plan.chunkSize ?? Math.ceil(config.plan.batchSize / count);
  out.note(`workers: ${count} threads computing each batch in chunks of ${chunk} images (BatchNorm statistics per chunk)`);
  return createGradientWorkers({ workers: count, backend: tf.getBackend() as 'wasm' | 'cpu' });
}

/** Trains with Ctrl-C wired to an abort after the current batch; undefined when it was stopped that way. */
async function trainWithInterrupt(p: Prepared, model: ResNet18, splits: ReturnType<typeof limitSplits>, workers: GradientWorkers | undefined, out: Output): Promise<TrainingResult | undefined> {
  const { config, dir } = p;
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort('interrupted');
    out.note('\nmedxfer: interrupted — stopping after this batch (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  try {
    return await train({
      model, plan: config.plan, train: splits.train, val: splits.val, transform: config.transform, signal: stop.signal, evalBatchSize: evaluationBatchSize(config.resize, config.volume !== undefined),
      ...(p.resume ? { resume: p.resume } : {}), ...(config.microBatch ? { microBatchSize: config.microBatch } : {}), ...(workers ? { parallel: workers } : {}),
      callbacks: [
        trainingProgress(out),
        checkpointEachEpoch(async (bytes, state) => {
          // The last two checkpoints: a damaged latest one falls back to the one before. The new one is written
          // whole first, so a failure (disk full, a kill) never leaves the run with no checkpoint.
          const next = runPath(dir, `${RUN_FILES.checkpoint}.next`);
          await writeFileAtomic(next, bytes);
          await rename(runPath(dir, RUN_FILES.checkpoint), runPath(dir, RUN_FILES.previousCheckpoint)).catch(() => {});
          await rename(next, runPath(dir, RUN_FILES.checkpoint));
          await writeFileAtomic(runPath(dir, RUN_FILES.history), historyCsv(state.history));
        }, { sha256: sha256Node }),
      ],
    });
  } catch (error) {
    if (error instanceof TrainingAborted) return undefined;
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function trainCommand(args: ParsedArgs, out: Output): Promise<void | number> {
  const p = args.flags.resume ? await prepareResume(args, out) : await prepareNewRun(args, out);
  try {
    return await trainPrepared(args, out, p);
  } finally {
    await p.release();
  }
}

async function trainPrepared(args: ParsedArgs, out: Output, p: Prepared): Promise<void | number> {
  const { config, data } = p;
  const splits = limitSplits(data.splits, { train: config.dataset.trainLimit, eval: config.dataset.evalLimit }, config.seed);
  const model = buildModel(p);
  out.note(`dataset: ${data.info.flag} ${data.size}px, ${data.info.task} (${data.checksum === 'official' ? 'official md5' : data.checksum === 'known-copy' ? 'bundled copy' : 'unverified copy'}), train ${splits.train.count} / val ${splits.val.count} / test ${splits.test.count}, input ${config.resize}px ${config.input}`);
  out.note(`weights: ${config.weights.source}; preset ${config.preset}: ${config.plan.phases.map((ph) => `${ph.name} ${ph.epochs} epoch(s)`).join(', ')}; batch ${config.plan.batchSize}`);
  // The threads that train also evaluate (each batch's images shared): closed when the run is over.
  const workers = startWorkers(args, config, out);
  let stopThreads: () => Promise<unknown> = async () => undefined;
  try {
    stopThreads = await startKernelThreadsFor(args.flags.threads as number | undefined, tf.getBackend(), workers?.parallelism ?? 1, out);
    return await trainAndEvaluate(args, out, p, model, splits, workers);
  } finally {
    await stopThreads();
    await workers?.close();
  }
}

async function trainAndEvaluate(args: ParsedArgs, out: Output, p: Prepared, model: ResNet18, splits: ReturnType<typeof limitSplits>, workers: GradientWorkers | undefined): Promise<void | number> {
  const { dir, config, data } = p;
  const started = performance.now();
  const result = await trainWithInterrupt(p, model, splits, workers, out);
  if (!result) {
    out.note(`medxfer: stopped. The last finished epoch is saved; continue with: medxfer train --resume ${dir}`);
    model.dispose();
    return 130;
  }
  const trainSeconds = (performance.now() - started) / 1000;
  // Training is over and its last checkpoint kept until the end: Ctrl-C from here on loses nothing either.
  const onSigint = () => {
    out.note(`\nmedxfer: interrupted during the final evaluation; training is finished and saved: medxfer train --resume ${dir} evaluates it`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let evaluation: Awaited<ReturnType<typeof evaluateRun>>;
  try {
    await saveModelToDir(runPath(dir, RUN_FILES.model), model, {
      classNames: data.info.labels, inputSize: config.resize, normalization: config.transform.normalization ?? IMAGENET_NORMALIZATION, task: data.info.task,
      dataset: `${data.info.flag}@${data.size}`, weightsSource: config.weights.source,
    });
    out.note(`evaluating the model on val (${splits.val.count}) and test (${splits.test.count})…`);
    evaluation = await evaluateRun({ dir, model, config, splits, history: result.history, trainSeconds, epochKept: result.epochKept, out, ...(workers ? { parallel: workers } : {}) });
  } finally {
    process.off('SIGINT', onSigint);
  }
  model.dispose();
  // The finished model is in model/: the checkpoint (≈ 2× its size with the optimiser state) only served resuming.
  if (!args.flags['keep-checkpoint']) await rm(runPath(dir, RUN_FILES.checkpoint), { force: true });
  await rm(runPath(dir, RUN_FILES.previousCheckpoint), { force: true });
  const h = evaluation.headline;
  const summary = {
    run: dir, dataset: data.info.flag, task: data.info.task, preset: config.preset, weights: config.weights.source, backend: config.backend, epochs: result.history.length, epochKept: result.epochKept,
    trainSeconds: Math.round(trainSeconds), val: h.val, test: h.test, report: runPath(dir, RUN_FILES.report),
  };
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'undefined (see report)');
  out.result(summary, [
    `run folder: ${dir}`,
    `weights: ${config.weights.source}${config.weights.note ? ' (ImageNet weights were unavailable)' : ''}`,
    `val:  ACC ${fmt(h.val.acc)}  AUC ${fmt(h.val.auc)}`,
    `test: ACC ${fmt(h.test.acc)}  AUC ${fmt(h.test.auc)}`,
    `report: ${runPath(dir, RUN_FILES.report)}`,
  ].join('\n'));
}
