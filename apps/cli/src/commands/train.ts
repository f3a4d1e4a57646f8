import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { datasetInfo, IMAGENET_NORMALIZATION, subsetSplit, type ImageTransform, type MedMNIST } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { loadStateDict, ResNet18 } from '@medxfer/models';
import { saveModelToDir } from '@medxfer/models/node';
import * as tf from '@tensorflow/tfjs-core';
import { checkpointEachEpoch, decodeTrainingState, presetPlan, PRESETS, train, type Plan, type TrainingState } from '@medxfer/train';
import { createGradientWorkers, type GradientWorkers } from '@medxfer/train/node';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES } from '../backend.js';
import { UsageError } from '../errors.js';
import { evaluateRun, type RunEvaluation } from '../evaluation.js';
import type { Output } from '../output.js';
import { trainingProgress } from '../progress.js';
import { ensureEmptyFolder, historyCsv, readJson, RUN_FILES, runPath, writeJson } from '../run-folder.js';
import { checkWeightsArg, chooseWeights, WEIGHTS_HELP, type WeightsChoice } from '../weights-source.js';
import { openFromArgs } from './datasets.js';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: "Fine-tune ResNet18 on a MedMNIST dataset (the course notebook's recipe by default) and write a run folder: config, history, model, metrics, predictions, report.",
  flags: {
    dataset: { type: 'string', value: 'FLAG', default: 'pneumoniamnist', description: 'MedMNIST dataset' },
    root: { type: 'string', value: 'DIR', description: 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy)' },
    verify: { type: 'boolean', default: true, description: 'check the official md5 (--no-verify accepts another copy)' },
    size: { type: 'int', value: 'N', default: 28, description: 'dataset image size (28, 64, 128, 224)' },
    resize: { type: 'int', value: 'R', description: 'resize images to R px before the model (the notebook used 224; default: no resize)' },
    weights: { type: 'string', value: 'W', default: 'imagenet', description: WEIGHTS_HELP },
    preset: { type: 'string', value: 'P', choices: Object.keys(PRESETS), default: 'notebook', description: 'training recipe' },
    'epochs-head': { type: 'int', value: 'N', description: 'notebook: epochs of phase 1 (head only; default 3)' },
    'lr-head': { type: 'number', value: 'LR', description: 'notebook: learning rate of phase 1 (default 1e-3)' },
    'epochs-full': { type: 'int', value: 'N', description: 'notebook: epochs of phase 2 (all layers; default 5)' },
    'lr-full': { type: 'number', value: 'LR', description: 'notebook: learning rate of phase 2 (default 1e-5)' },
    epochs: { type: 'int', value: 'N', description: 'fine-tune/scratch: epochs of the main phase' },
    lr: { type: 'number', value: 'LR', description: 'fine-tune: base learning rate; scratch: peak learning rate' },
    'batch-size': { type: 'int', value: 'N', description: 'batch size (notebook 32)' },
    seed: { type: 'int', value: 'N', default: 42, description: 'seed of initialisation, order and augmentation' },
    'micro-batch': { type: 'int', value: 'N', description: 'accumulate gradients over chunks of N images (default on wasm at ≥ 160 px: 16, to fit its 4 GiB heap)' },
    workers: { type: 'int', value: 'N', description: "train on N threads (wasm/cpu, which use one core per process in Node). Presets with chunked batches (scratch: 128 in chunks of 64) default to one thread per chunk up to the core count, with the same result for any N; otherwise default 1, and N > 1 splits each batch into N chunks computed at once (BatchNorm statistics per chunk, as with --micro-batch)" },
    'train-limit': { type: 'int', value: 'N', description: 'use only the first N training images (quick trials)' },
    'eval-limit': { type: 'int', value: 'N', description: 'use only the first N val/test images' },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples for the metrics CIs (0: none)' },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
    out: { type: 'string', value: 'DIR', description: 'run folder (default runs/<time>-<preset>)' },
    resume: { type: 'string', value: 'DIR', description: 'continue an interrupted run from its last finished epoch' },
  },
  examples: [
    'medxfer train --weights imagenet-or-none',
    'medxfer train --resize 224 --backend tensorflow-gpu   # the notebook at 224 px',
    'medxfer train --preset scratch --weights none --size 28',
    'medxfer train --resume runs/2026-11-25T10-00-00-notebook',
  ],
};

/** Every setting of a run, as config.json records it; enough to resume it. */
export interface RunConfig {
  readonly medxfer: string;
  readonly createdAt: string;
  readonly dataset: { flag: string; size: number; source: string; md5: string; officialMd5: string; checksum: string; trainLimit?: number; evalLimit?: number };
  readonly resize: number;
  readonly input: 'grey' | 'rgb';
  readonly transform: ImageTransform;
  readonly weights: { requested: string; source: string; sha256?: string; path?: string; note?: string };
  readonly preset: string;
  readonly presetOptions: Record<string, number | undefined>;
  readonly plan: Plan;
  readonly seed: number;
  readonly backend: string;
  readonly bootstrap: number;
  readonly microBatch?: number;
  /** Threads computing each batch's chunks (1: the single-process path). Absent in runs made before --workers. */
  readonly workers?: number;
  readonly versions: Record<string, string>;
}

class Interrupted extends Error {}

/** wasm's heap is capped at 4 GiB: ResNet18 at 224 px and batch 32 aborts, so large inputs accumulate over chunks of 16. */
function microBatchFor(requested: number | undefined, backend: string, resize: number): number | undefined {
  return requested ?? (backend === 'wasm' && resize >= 160 ? 16 : undefined);
}

/** Threads when --workers is not given: one per chunk of a chunked plan (up to the cores) on wasm/cpu, else 1. */
function defaultWorkers(plan: Plan, backend: string): number {
  if (!plan.chunkSize || (backend !== 'wasm' && backend !== 'cpu')) return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.ceil(plan.batchSize / plan.chunkSize)));
}

/** --workers runs wasm/cpu replicas on worker threads; the native backends thread by themselves. */
function checkWorkers(workers: number | undefined, backend: string): void {
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

async function versions(): Promise<Record<string, string>> {
  const read = async (spec: string) => {
    try {
      const url = import.meta.resolve(`${spec}/package.json`);
      return (JSON.parse(await readFile(new URL(url), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  const names = ['@medxfer/data', '@medxfer/models', '@medxfer/train', '@medxfer/metrics', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'];
  return { node: process.versions.node, ...Object.fromEntries(await Promise.all(names.map(async (n) => [n, await read(n)]))) };
}

function limitSplits(data: MedMNIST, trainLimit?: number, evalLimit?: number) {
  const first = (n: number) => Array.from({ length: n }, (_, i) => i);
  const cut = (split: MedMNIST['splits']['train'], limit?: number) => (limit && limit < split.count ? subsetSplit(split, first(limit)) : split);
  return { train: cut(data.splits.train, trainLimit), val: cut(data.splits.val, evalLimit), test: cut(data.splits.test, evalLimit) };
}

export async function trainCommand(args: ParsedArgs, out: Output): Promise<void | number> {
  let config: RunConfig;
  let dir: string;
  let resumeState: TrainingState | undefined;
  let weights: WeightsChoice | undefined;
  let data: MedMNIST;

  if (args.flags.resume) {
    dir = resolve(args.flags.resume as string);
    config = await readJson<RunConfig>(runPath(dir, RUN_FILES.config), '--resume');
    const bytes = await readFile(runPath(dir, RUN_FILES.checkpoint)).catch(() => {
      throw new UsageError(`--resume ${dir}: no ${RUN_FILES.checkpoint} (the run finished no epoch)`);
    });
    resumeState = decodeTrainingState(new Uint8Array(bytes), runPath(dir, RUN_FILES.checkpoint));
    const backend = await activateBackend(args.flags.backend as string);
    checkWorkers((args.flags.workers as number | undefined) ?? config.workers, backend.name);
    out.note(`resuming ${dir} at epoch ${resumeState.history.length + 1} on ${backend.name}`);
    data = await openFromArgs({ ...args, flags: { ...args.flags, size: config.dataset.size, root: config.dataset.checksum === 'known-copy' ? undefined : config.dataset.source.replace(/[/\\][^/\\]+$/, ''), verify: config.dataset.checksum !== 'unverified' } }, out, config.dataset.flag);
    if (data.md5 !== config.dataset.md5) throw new UsageError(`--resume: the dataset file changed since the run started (md5 ${data.md5}, was ${config.dataset.md5})`);
  } else {
    for (const name of ['epochs-head', 'epochs-full', 'epochs']) positive(args, name, 0);
    for (const name of ['batch-size', 'train-limit', 'eval-limit', 'micro-batch', 'workers']) positive(args, name);
    for (const name of ['lr-head', 'lr-full', 'lr']) if (args.flags[name] !== undefined && !((args.flags[name] as number) > 0)) throw new UsageError(`--${name} must be a positive number`);
    if (args.flags.resize !== undefined && (args.flags.resize as number) < 28) throw new UsageError(`--resize must be at least 28 (ResNet18's smallest input), got ${args.flags.resize}`);
    const info = datasetInfo(args.flags.dataset as string);
    if (info.dimensions === 3) throw new UsageError(`${info.flag} is 3D; medxfer trains 2D ResNet18`);
    const options = presetOptions(args);
    const plan = presetPlan(args.flags.preset as string, options);
    dir = resolve((args.flags.out as string | undefined) ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${plan.name}`);
    await ensureEmptyFolder(dir);
    checkWeightsArg(args.flags.weights as string);
    const backend = await activateBackend(args.flags.backend as string);
    checkWorkers(args.flags.workers as number | undefined, backend.name);
    out.note(`backend: ${backend.name}${backend.tried.length ? ` (skipped ${backend.tried.join('; ')})` : ''}`);
    data = await openFromArgs({ ...args, flags: { ...args.flags } }, out, info.flag);
    weights = await chooseWeights(args.flags.weights as string, args.flags.seed as number, out);
    const grey = info.channels === 1;
    const resize = (args.flags.resize as number | undefined) ?? data.size;
    config = {
      medxfer: '0.1.0',
      createdAt: new Date().toISOString(),
      dataset: {
        flag: info.flag, size: data.size, source: data.source, md5: data.md5, officialMd5: data.officialMd5, checksum: data.checksum,
        ...(args.flags['train-limit'] ? { trainLimit: args.flags['train-limit'] as number } : {}),
        ...(args.flags['eval-limit'] ? { evalLimit: args.flags['eval-limit'] as number } : {}),
      },
      resize,
      input: grey ? 'grey' : 'rgb',
      // Grey images go in as one channel in [0, 1]: the notebook's grey→RGB + ImageNet normalisation is folded into conv1 exactly.
      transform: grey ? { size: resize, channels: 1 } : { size: resize, channels: 3, normalization: IMAGENET_NORMALIZATION },
      weights: { requested: weights.requested, source: weights.source, ...(weights.sha256 ? { sha256: weights.sha256 } : {}), ...(weights.path ? { path: weights.path } : {}), ...(weights.note ? { note: weights.note } : {}) },
      preset: plan.name,
      presetOptions: options,
      plan,
      seed: args.flags.seed as number,
      backend: backend.name,
      bootstrap: args.flags.bootstrap as number,
      ...(microBatchFor(args.flags['micro-batch'] as number | undefined, backend.name, resize) ? { microBatch: microBatchFor(args.flags['micro-batch'] as number | undefined, backend.name, resize)! } : {}),
      workers: (args.flags.workers as number | undefined) ?? defaultWorkers(plan, backend.name),
      versions: await versions(),
    };
    await writeJson(runPath(dir, RUN_FILES.config), config);
  }

  const { train: trainSplit, val, test } = limitSplits(data, config.dataset.trainLimit, config.dataset.evalLimit);
  const classes = data.info.labels.length;
  const model = new ResNet18({ numClasses: classes, input: config.input, normalization: IMAGENET_NORMALIZATION, seed: config.seed });
  if (weights?.state) {
    const report = loadStateDict(model, weights.state, { strict: false });
    const problems = [...report.missing.filter((k) => !k.startsWith('fc.')), ...report.misshaped.map((m) => m.name)];
    if (problems.length) throw new UsageError(`--weights ${weights.requested}: not a torchvision ResNet18 checkpoint (${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', …' : ''} missing or mis-shaped)`);
    // The notebook's `model.fc = nn.Linear(512, 2)`: a fresh head, unless the file already has one of the right size.
    if (report.headDropped || report.missing.includes('fc.weight')) model.replaceHead(classes, config.seed);
  }
  out.note(`dataset: ${data.info.flag} ${data.size}px (${data.checksum === 'official' ? 'official md5' : data.checksum === 'known-copy' ? 'bundled copy' : 'unverified copy'}), train ${trainSplit.count} / val ${val.count} / test ${test.count}, input ${config.resize}px ${config.input}`);
  out.note(`weights: ${config.weights.source}; preset ${config.preset}: ${config.plan.phases.map((p) => `${p.name} ${p.epochs} epoch(s)`).join(', ')}; batch ${config.plan.batchSize}`);

  const workerCount = (args.flags.workers as number | undefined) ?? config.workers ?? 1;
  let workers: GradientWorkers | undefined;
  if (workerCount > 1) {
    workers = createGradientWorkers({ workers: workerCount, backend: tf.getBackend() as 'wasm' | 'cpu' });
    const chunk = config.plan.chunkSize ?? Math.ceil(config.plan.batchSize / workerCount);
    out.note(`workers: ${workerCount} threads computing each batch in chunks of ${chunk} images (BatchNorm statistics per chunk)`);
  }

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    out.note('\nmedxfer: interrupted — stopping after this batch (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  let result;
  try {
    result = await train({
      model, plan: config.plan, train: trainSplit, val, transform: config.transform, ...(resumeState ? { resume: resumeState } : {}),
      ...(config.microBatch ? { microBatchSize: config.microBatch } : {}),
      ...(workers ? { parallel: workers } : {}),
      callbacks: [
        trainingProgress(out),
        checkpointEachEpoch(async (bytes, state) => {
          await writeFileAtomic(runPath(dir, RUN_FILES.checkpoint), bytes);
          await writeFileAtomic(runPath(dir, RUN_FILES.history), historyCsv(state.history));
        }),
        { onBatchEnd: () => { if (interrupted) throw new Interrupted(); } },
      ],
    });
  } catch (error) {
    if (error instanceof Interrupted) {
      out.note(`medxfer: stopped. The last finished epoch is saved; continue with: medxfer train --resume ${dir}`);
      model.dispose();
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await workers?.close();
  }
  const trainSeconds = (performance.now() - started) / 1000;

  await saveModelToDir(runPath(dir, RUN_FILES.model), model, {
    classNames: data.info.labels, inputSize: config.resize, normalization: config.transform.normalization ?? IMAGENET_NORMALIZATION, task: data.info.task,
    dataset: `${data.info.flag}@${data.size}`, weightsSource: config.weights.source,
  });
  const evaluation: RunEvaluation = await evaluateRun({ dir, model, config, splits: { val, test }, history: result.history, trainSeconds, epochKept: result.epochKept, out });
  model.dispose();
  const summary = {
    run: dir, dataset: data.info.flag, preset: config.preset, weights: config.weights.source, backend: config.backend, epochs: result.history.length, epochKept: result.epochKept,
    trainSeconds: Math.round(trainSeconds), val: evaluation.headline.val, test: evaluation.headline.test, report: runPath(dir, RUN_FILES.report),
  };
  const h = evaluation.headline;
  out.result(summary, [
    `run folder: ${dir}`,
    `weights: ${config.weights.source}${config.weights.note ? ` — ${config.weights.note}` : ''}`,
    `val:  ACC ${h.val.acc.toFixed(4)}  AUC ${h.val.auc.toFixed(4)}`,
    `test: ACC ${h.test.acc.toFixed(4)}  AUC ${h.test.auc.toFixed(4)}`,
    `report: ${runPath(dir, RUN_FILES.report)}`,
  ].join('\n'));
}

