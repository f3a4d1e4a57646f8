import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, classCounts, makeBatch, mixSeed, seededRandom, type Augmentation, type DatasetSplit, type FloatBatch, type ImageTransform, type Random } from '@medxfer/data';
import { FEATURES, groupOf, PARAM_GROUPS, type BatchNormMode, type ParamGroup, type ResNet18 } from '@medxfer/models';
import { evaluate, type Evaluation } from '@medxfer/metrics';
import { NonFiniteLossError, NonFiniteOutputError, PlanError, ResumeError, TrainingAborted } from './errors.js';
import { Adam, Sgd } from './optim/adam.js';
import type { Optimizer, ParamSettings } from './optim/optimizer.js';
import { groupLr, validatePlan, type Phase, type Plan } from './plan.js';
import { featuresOfSplit, predictSplit } from './predict.js';
import type { ParallelGradients } from './parallel.js';
import { lrFactor } from './schedule.js';
import { recomputeBatchNormStats } from './bn-stats.js';
import { WeightAverage } from './ema.js';
import { restoreModel, snapshotModel, type TrainingState } from './state.js';
import type { BatchProgress, Callback, TrainerControl } from './callbacks.js';
import type { EpochRecord } from './history.js';
import { batchGradients, type StepResult, type StepSpec } from './step.js';
import { lossOptionsFor, probabilityLoss, targetsOf, targetTensor, taskOf, type LossOptions } from './task.js';
import { inputTensor } from './input.js';
import { drawCutMix, drawMix, mixImages, mixTargets, ownShare, type BatchMix } from './mixup.js';

/** Mixup's and CutMix's own random stream, apart from augmentation's (a fourth part of the batch's seed). */
const MIXUP_STREAM = 0x6d6978;

export interface TrainerOptions {
  readonly model: ResNet18;
  readonly plan: Plan;
  readonly train: DatasetSplit;
  readonly val?: DatasetSplit;
  /** Input pipeline (size, channels, normalisation, layout NHWC); augmentation comes from the plan. */
  readonly transform: ImageTransform;
  readonly callbacks?: readonly Callback[];
  /** Continue from a saved state (same plan and model). */
  readonly resume?: TrainingState;
  /** Train the head on cached features when the body is frozen with frozen BatchNorm and no augmentation (default true). */
  readonly featureCache?: boolean;
  readonly evalBatchSize?: number;
  /**
   * Split each batch into chunks of at most this many images and sum their gradients (gradient accumulation),
   * so e.g. 224 px at batch 32 fits the 4 GiB wasm heap. BatchNorm statistics are then per chunk. Smaller
   * than the plan's `chunkSize`, it changes the math; see {@link Plan.chunkSize}.
   */
  readonly microBatchSize?: number;
  /**
   * Compute each batch's chunks at once (e.g. on worker threads: `createGradientWorkers` from
   * `@medxfer/train/node`): the batch is cut into chunks of the plan's `chunkSize` (else `ceil(batchSize /
   * parallelism)` images), or `microBatchSize` if smaller, and their size-weighted gradients are summed. Same result as
   * `microBatchSize` of that chunk size up to float summation order; BatchNorm then uses per-chunk statistics.
   * Not used for the frozen-body feature cache (the head alone is cheap).
   */
  readonly parallel?: ParallelGradients;
  /** Stops training after the current batch: `train` then rejects with {@link TrainingAborted}. */
  readonly signal?: AbortSignal;
}

export interface TrainingResult {
  readonly history: EpochRecord[];
  readonly stoppedEarly?: string;
  /** The epoch whose weights the model holds at the end (keep-best), else the last. */
  readonly epochKept: number;
}

function makeOptimizer(phase: Phase): Optimizer {
  const spec = phase.optimizer;
  if (spec.kind === 'sgd') return new Sgd({ momentum: spec.momentum ?? 0.9, nesterov: spec.nesterov ?? false, dampening: spec.dampening ?? 0 });
  return new Adam({ betas: spec.betas ?? [0.9, 0.999], eps: spec.eps ?? 1e-8, decoupled: spec.kind === 'adamw' });
}

/** Validation metrics from probabilities, by the dataset's task (MedMNIST's rules). */
export function validationMetrics(split: DatasetSplit, probs: Float32Array, classes: number): { loss: number; acc: number; auc: number; evaluation: Evaluation } {
  const task = taskOf(split.info);
  const evaluation = task === 'multi-label'
    ? evaluate('multi-label', { data: split.labels, columns: classes }, { data: probs, columns: classes })
    : evaluate(task, split.labels, { data: probs, columns: classes });
  return { loss: probabilityLoss(task, probs, split.labels, classes), acc: evaluation.acc, auc: evaluation.auc, evaluation };
}

type Best = NonNullable<TrainingState['best']>;

/** What a run carries from step to step. */
interface Run {
  readonly options: TrainerOptions;
  readonly model: ResNet18;
  readonly plan: Plan;
  readonly trainSplit: DatasetSplit;
  readonly loss: LossOptions;
  readonly history: EpochRecord[];
  readonly stepsPerEpoch: number;
  readonly totalEpochs: number;
  readonly ema: WeightAverage | undefined;
  best: Best | undefined;
  stopReason: string | undefined;
  /** Measured images/s by the cost of a phase (`costOf`): the ETA of later phases of the same cost. */
  readonly speeds: Map<string, number>;
}

/** What a phase's speed depends on: the groups that learn, and whether the head trains on cached features. */
const costOf = (phase: Phase, cached: boolean) => `${[...phase.train].sort().join('+')}${cached ? ' (cached features)' : ''}`;

/** The seconds left at the current speed, over this phase and the later ones whose speed has been measured. */
function etaOf(run: Run, ph: PhaseRun, epochsLeftInPhase: number, imagesLeftInEpoch: number, imgPerS: number): { seconds: number; scope: 'run' | 'phase' } {
  let seconds = (epochsLeftInPhase * run.trainSplit.count + imagesLeftInEpoch) / imgPerS;
  let scope: 'run' | 'phase' = 'run';
  for (const later of run.plan.phases.slice(ph.index + 1)) {
    if (later.epochs === 0) continue;
    // A later phase that would use the feature cache costs what this kind of phase costs; otherwise its own.
    const speed = run.speeds.get(costOf(later, false)) ?? run.speeds.get(costOf(later, true));
    if (speed === undefined) scope = 'phase';
    else seconds += (later.epochs * run.trainSplit.count) / speed;
  }
  return { seconds, scope };
}

/** One phase's fixed setup: what learns, BatchNorm modes, optimiser, augmentation, feature cache. */
interface PhaseRun {
  readonly phase: Phase;
  readonly index: number;
  readonly spec: StepSpec;
  readonly optimizer: Optimizer;
  readonly augmentation: Augmentation | undefined;
  /** Mixup or CutMix, in phases that augment. */
  readonly mix: { readonly kind: 'mixup' | 'cutmix'; readonly alpha: number } | undefined;
  /** Pooled body features of the training split when the head trains alone on a frozen body. */
  readonly cache: Float32Array | undefined;
  readonly settings: (step: number) => (name: string) => ParamSettings;
  /** See `costOf`. */
  readonly cost: string;
}

/** Epoch totals as batches add to them. */
interface EpochTotals {
  lossSum: number;
  correct: number;
  seen: number;
  lastLr: number;
  /** The last batch's loss. */
  lastLoss: number;
}

function checkModelFits(model: ResNet18, split: DatasetSplit): void {
  const outputs = split.info.labels.length;
  if (model.numClasses !== outputs) {
    const what = taskOf(split.info) === 'multi-label' ? 'labels' : 'classes';
    throw new PlanError(`the model has ${model.numClasses} outputs but ${split.info.flag} has ${outputs} ${what}`);
  }
  // A single-label model trained on one class learns nothing else (multi-label sets may lack a finding).
  const present = classCounts(split).filter((c) => c > 0).length;
  if (taskOf(split.info) !== 'multi-label' && present < 2) {
    throw new PlanError(`the training split (${split.count} images) holds only one class, ${split.info.labels[split.labels[0] ?? 0]}; a classifier needs at least two (a larger or stratified subset, e.g. --train-limit, keeps every class)`);
  }
}

function startRun(options: TrainerOptions): Run & { startPhase: number; startEpoch: number } {
  const { model, plan, train: trainSplit, resume } = options;
  validatePlan(plan);
  checkModelFits(model, trainSplit);
  if (resume) {
    if (resume.plan !== plan.name) throw new ResumeError(`the checkpoint was made by plan "${resume.plan}", not "${plan.name}"`);
    if (plan.ema && !resume.ema) throw new ResumeError('the plan averages weights (ema) but the checkpoint has no average');
    restoreModel(model, resume.model);
    for (const [k, v] of Object.entries(resume.batchesTracked)) model.batchesTracked.set(k, v);
  }
  const history = [...(resume?.history ?? [])];
  const totalEpochs = plan.phases.reduce((n, p) => n + p.epochs, 0);
  return {
    options, model, plan, trainSplit, loss: lossOptionsFor(plan.loss, trainSplit), history,
    stepsPerEpoch: Math.ceil(trainSplit.count / plan.batchSize), totalEpochs,
    ema: plan.ema ? new WeightAverage(model, plan.ema.decay, resume?.ema) : undefined,
    best: resume?.best ? { ...resume.best } : undefined, stopReason: undefined, speeds: new Map(),
    startPhase: resume?.phaseIndex ?? 0, startEpoch: resume?.phaseEpoch ?? 0,
  };
}

async function setUpPhase(run: Run, index: number, resumeOptimizer: boolean): Promise<PhaseRun> {
  const { model, plan, options } = run;
  const phase = plan.phases[index]!;
  const trained = new Set<ParamGroup>(phase.train);
  const bn = Object.fromEntries(PARAM_GROUPS.map((g) => [g, trained.has(g) ? 'train' : (phase.frozenBn ?? 'frozen')])) as Record<ParamGroup, BatchNormMode>;
  const names = model.parameterNames(phase.train);
  const augmentation = phase.augment !== false ? plan.augmentation : undefined;
  const mixing = plan.mixup ? { kind: 'mixup' as const, ...plan.mixup } : plan.cutmix ? { kind: 'cutmix' as const, ...plan.cutmix } : undefined;
  const mix = phase.augment !== false ? mixing : undefined;
  const headOnly = phase.train.length === 1 && phase.train[0] === 'head';
  const bodyFrozen = PARAM_GROUPS.every((g) => g === 'head' || bn[g] === 'frozen');
  const useCache = (options.featureCache ?? true) && headOnly && bodyFrozen && !augmentation && !mix;
  const cache = useCache ? await featuresOfSplit(model, run.trainSplit, options.transform, options.evalBatchSize) : undefined;
  model.releaseFoldedWeights();
  const optimizer = makeOptimizer(phase);
  if (resumeOptimizer && options.resume?.optimizer) optimizer.setState(options.resume.optimizer);
  const settings = (step: number) => {
    const factor = lrFactor(phase.schedule ?? { kind: 'constant' }, step, phase.epochs * run.stepsPerEpoch, run.stepsPerEpoch);
    return (name: string): ParamSettings => {
      const decays = name.endsWith('.weight') && (model.params.get(name)?.rank ?? 1) > 1;
      return { lr: groupLr(phase, groupOf(name)) * factor, weightDecay: decays ? (phase.weightDecay ?? 0) : 0 };
    };
  };
  const spec: StepSpec = { names, bn, loss: run.loss, ...(cache ? { features: true } : {}) };
  return { phase, index, spec, optimizer, augmentation, mix, cache, settings, cost: costOf(phase, !!cache) };
}

/** The gradient of one batch: on the worker threads, or here in micro-batches (the same chunks). */
async function batchStep(run: Run, ph: PhaseRun, epoch: number, b: number, indices: Uint32Array): Promise<StepResult> {
  const { options, plan, trainSplit, model } = run;
  const random = ph.augmentation ? seededRandom(mixSeed(plan.seed, epoch, b)) : undefined;
  const draw = ph.mix?.kind === 'cutmix' ? drawCutMix : drawMix;
  const mix = ph.mix ? draw(indices.length, ph.mix.alpha, seededRandom(mixSeed(plan.seed, epoch, b, MIXUP_STREAM))) : undefined;
  const batch = ph.cache ? undefined : trainingBatch(run, ph, indices, random, mix);
  const own = targetsOf(trainSplit, indices);
  const targets = mix && batch ? mixTargets(own, model.numClasses, mix, ownShare(mix, batch.shape.at(-3)!, batch.shape.at(-2)!)) : own;
  if (options.parallel && batch) {
    // A plan's own chunks are part of its math: the threads compute them, however many there are.
    const chunkSize = Math.min(options.microBatchSize ?? plan.batchSize, plan.chunkSize ?? Math.ceil(plan.batchSize / options.parallel.parallelism));
    return options.parallel.batchGradients({ model, spec: ph.spec, images: batch.images, shape: batch.shape, targets, chunkSize });
  }
  const input = batch ? inputTensor(batch.images, batch.shape) : cachedFeatures(ph.cache!, indices);
  const target = targetTensor(targets);
  const chunk = Math.min(options.microBatchSize ?? indices.length, (!ph.cache && plan.chunkSize) || indices.length, indices.length);
  try {
    return await batchGradients(model, ph.spec, input, target, chunk);
  } finally {
    tf.dispose([input, target]);
  }
}

function cachedFeatures(cache: Float32Array, indices: Uint32Array): tf.Tensor2D {
  const feats = new Float32Array(indices.length * FEATURES);
  indices.forEach((i, k) => feats.set(cache.subarray(i * FEATURES, (i + 1) * FEATURES), k * FEATURES));
  return tf.tensor2d(feats, [indices.length, FEATURES]);
}

/** The batch's images, augmented and mixed as the phase says. */
function trainingBatch(run: Run, ph: PhaseRun, indices: Uint32Array, random: Random | undefined, mix: BatchMix | undefined): FloatBatch {
  const batch = makeBatch(run.trainSplit, indices, { ...run.options.transform, augmentation: ph.augmentation }, random);
  if (mix) mixImages(batch.images, batch.shape, mix);
  return batch;
}

/** One optimiser step on one batch; adds it to the epoch's totals. */
async function runBatch(run: Run, ph: PhaseRun, epoch: number, phaseEpoch: number, b: number, indices: Uint32Array, totals: EpochTotals): Promise<void> {
  const paramSettings = ph.settings(phaseEpoch * run.stepsPerEpoch + b);
  totals.lastLr = paramSettings(ph.spec.names[ph.spec.names.length - 1]!).lr;
  const { loss, correct, grads } = await batchStep(run, ph, epoch, b, indices);
  try {
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(ph.phase.name, epoch - 1, b, loss);
    ph.optimizer.apply(run.model.params, grads, paramSettings);
  } finally {
    tf.dispose([...grads.values()]);
  }
  run.ema?.update();
  totals.lastLoss = loss;
  totals.lossSum += loss * indices.length;
  totals.correct += correct;
  totals.seen += indices.length;
}

async function validate(run: Run): Promise<{ loss: number; acc: number; auc: number } | undefined> {
  const { options, model, plan, ema } = run;
  const val = options.val;
  if (!val) return undefined;
  const predictOptions = {
    ...(options.evalBatchSize ? { batchSize: options.evalBatchSize } : {}), ...(plan.tta ? { tta: plan.tta } : {}), ...(options.parallel ? { parallel: options.parallel } : {}),
  };
  const score = async () => validationMetrics(val, await predictSplit(model, val, options.transform, predictOptions), model.numClasses);
  try {
    return await (ema ? ema.withAverage(score) : score());
  } catch (error) {
    // In training, outputs that cannot be right most often mean the weights (or BatchNorm statistics) diverged.
    if (!(error instanceof NonFiniteOutputError)) throw error;
    throw new NonFiniteOutputError(`validation after epoch ${run.history.length + 1}: ${error.message}; or training diverged (try a lower learning rate)`);
  }
}

/** The control callbacks get at the end of an epoch: stop, and the state to resume from. */
function controlAfter(run: Run, ph: PhaseRun, nextPhaseEpoch: number): TrainerControl {
  const phaseDone = nextPhaseEpoch >= ph.phase.epochs;
  return {
    stop: (reason) => void (run.stopReason ??= reason),
    state: async () => ({
      plan: run.plan.name,
      phaseIndex: phaseDone ? ph.index + 1 : ph.index,
      phaseEpoch: phaseDone ? 0 : nextPhaseEpoch,
      history: [...run.history],
      model: await snapshotModel(run.model),
      batchesTracked: Object.fromEntries(run.model.batchesTracked),
      ...(!phaseDone ? { optimizer: await ph.optimizer.getState() } : {}),
      ...(run.best ? { best: run.best } : {}),
      ...(run.ema ? { ema: await run.ema.snapshot() } : {}),
    }),
  };
}

async function keepBest(run: Run, epoch: number, valStats: { loss: number; acc: number; auc: number } | undefined): Promise<void> {
  const metric = run.plan.keepBest?.metric;
  if (!metric || !valStats) return;
  const value = metric === 'loss' ? -valStats.loss : valStats[metric];
  // An undefined validation metric (a class absent from a small val split) cannot rank epochs.
  if (!Number.isFinite(value)) return;
  if (!run.best || value > run.best.value) run.best = { value, epoch, model: await (run.ema ? run.ema.snapshot() : snapshotModel(run.model)) };
}

async function runEpoch(run: Run, ph: PhaseRun, phaseEpoch: number): Promise<void> {
  const { options, plan, trainSplit } = run;
  const callbacks = options.callbacks ?? [];
  const epoch = run.history.length + 1;
  const epochStart = performance.now();
  const batches = batchIndices(trainSplit.count, { batchSize: plan.batchSize, seed: plan.seed, epoch });
  const totals: EpochTotals = { lossSum: 0, correct: 0, seen: 0, lastLr: 0, lastLoss: 0 };
  for (let b = 0; b < batches.length; b++) {
    await runBatch(run, ph, epoch, phaseEpoch, b, batches[b]!, totals);
    const imgPerS = totals.seen / ((performance.now() - epochStart) / 1000);
    run.speeds.set(ph.cost, imgPerS);
    // At the current epoch's speed for this phase, at each later phase's own measured speed (a frozen body is much faster).
    const eta = etaOf(run, ph, ph.phase.epochs - phaseEpoch - 1, trainSplit.count - totals.seen, imgPerS);
    const progress: BatchProgress = {
      phase: ph.phase.name, phaseIndex: ph.index, epoch, totalEpochs: run.totalEpochs, batch: b + 1, batches: batches.length,
      loss: totals.lastLoss, imgPerS, etaSeconds: eta.seconds, etaScope: eta.scope,
    };
    for (const c of callbacks) await c.onBatchEnd?.(progress);
    // A macrotask turn per batch: lets signals (Ctrl-C), messages and timers in while training runs.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (options.signal?.aborted) throw new TrainingAborted(options.signal.reason);
  }
  const seconds = (performance.now() - epochStart) / 1000;
  const valStats = await validate(run);
  // The weights change at the next step: their folded inference copies would only take memory.
  run.model.releaseFoldedWeights();
  const record: EpochRecord = {
    phase: ph.phase.name, epoch, phaseEpoch: phaseEpoch + 1, lr: totals.lastLr, trainLoss: totals.lossSum / totals.seen, trainAcc: totals.correct / totals.seen,
    ...(valStats ? { valLoss: valStats.loss, valAcc: valStats.acc, valAuc: valStats.auc } : {}),
    seconds, imgPerS: totals.seen / seconds, cachedFeatures: !!ph.cache,
  };
  run.history.push(record);
  await keepBest(run, epoch, valStats);
  const control = controlAfter(run, ph, phaseEpoch + 1);
  for (const c of callbacks) await c.onEpochEnd?.(record, control);
}

async function runPhase(run: Run, index: number, firstEpoch: number): Promise<void> {
  const phase = run.plan.phases[index]!;
  if (firstEpoch >= phase.epochs) return;
  await Promise.all((run.options.callbacks ?? []).map((c) => c.onPhaseStart?.(phase, index)));
  const ph = await setUpPhase(run, index, firstEpoch > 0);
  try {
    for (let phaseEpoch = firstEpoch; phaseEpoch < phase.epochs && !run.stopReason; phaseEpoch++) await runEpoch(run, ph, phaseEpoch);
  } finally {
    ph.optimizer.dispose();
  }
}

/** The weights the run ends with: the best epoch's, else the average, else the last; then BatchNorm statistics if asked. */
function finish(run: Run): number {
  const { model, plan, options } = run;
  let epochKept = run.history.length;
  if (run.best && plan.keepBest) {
    restoreModel(model, run.best.model);
    epochKept = run.best.epoch;
  } else if (run.ema) {
    run.ema.assignTo(model);
  }
  if (plan.recomputeBnStats) recomputeBatchNormStats(model, run.trainSplit, options.transform, plan.chunkSize ?? plan.batchSize, plan.seed);
  return epochKept;
}

/**
 * Runs a plan's phases over a model: phases of epochs of batches, with callbacks between them, validation
 * each epoch, keep-best, resume, a NaN/Inf guard, the frozen-phase feature cache and an abort signal. Every
 * task kind trains here (the loss and targets come from the dataset's task). Tensor counts stay flat.
 */
export async function train(options: TrainerOptions): Promise<TrainingResult> {
  const run = startRun(options);
  try {
    for (let index = run.startPhase; index < run.plan.phases.length && !run.stopReason; index++) {
      await runPhase(run, index, index === run.startPhase ? run.startEpoch : 0);
    }
    const epochKept = finish(run);
    return { history: run.history, epochKept, ...(run.stopReason ? { stoppedEarly: run.stopReason } : {}) };
  } finally {
    run.ema?.dispose();
  }
}
