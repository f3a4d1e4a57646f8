import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, classCounts, isSingleLabel, makeBatch, mixSeed, seededRandom, type DatasetSplit, type ImageTransform } from '@medxfer/data';
import { groupOf, PARAM_GROUPS, type BatchNormMode, type ParamGroup, type ResNet18 } from '@medxfer/models';
import { evaluate, type Evaluation } from '@medxfer/metrics';
import { NonFiniteLossError, PlanError, ResumeError } from './errors.js';
import { crossEntropy, type CrossEntropyOptions } from './loss.js';
import { Adam, Sgd } from './optim/adam.js';
import type { Optimizer } from './optim/optimizer.js';
import { groupLr, validatePlan, type Phase, type Plan } from './plan.js';
import { featuresOfSplit, meanNll, predictSplit } from './predict.js';
import type { ParallelGradients } from './parallel.js';
import { lrFactor } from './schedule.js';
import { recomputeBatchNormStats } from './bn-stats.js';
import { WeightAverage } from './ema.js';
import { restoreModel, snapshotModel, type TrainingState } from './state.js';

/** One row of the training history. */
export interface EpochRecord {
  readonly phase: string;
  /** 1-based epoch over the whole plan, and within the phase. */
  readonly epoch: number;
  readonly phaseEpoch: number;
  readonly lr: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly valLoss?: number;
  readonly valAcc?: number;
  readonly valAuc?: number;
  readonly seconds: number;
  readonly imgPerS: number;
  /** True when the head trained on cached body features. */
  readonly cachedFeatures: boolean;
}

export interface BatchProgress {
  readonly phase: string;
  readonly phaseIndex: number;
  readonly epoch: number;
  readonly totalEpochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  readonly imgPerS: number;
  /** Seconds left for the whole plan, from the speed so far. */
  readonly etaSeconds: number;
}

/** What callbacks may do to the run. */
export interface TrainerControl {
  /** Stops after the current epoch (e.g. early stopping). */
  stop(reason: string): void;
  /** The state to resume from after this epoch. */
  state(): TrainingState;
}

export interface Callback {
  onPhaseStart?(phase: Phase, index: number): void | Promise<void>;
  onBatchEnd?(progress: BatchProgress): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, control: TrainerControl): void | Promise<void>;
}

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

function lossOptions(plan: Plan, train: DatasetSplit): CrossEntropyOptions {
  const spec = plan.loss ?? {};
  let classWeights: number[] | undefined;
  if (spec.classWeights === 'balanced') {
    const counts = classCounts(train);
    classWeights = counts.map((c) => train.count / (counts.length * Math.max(c, 1)));
  } else if (spec.classWeights) classWeights = [...spec.classWeights];
  return { ...(classWeights ? { classWeights } : {}), ...(spec.labelSmoothing ? { labelSmoothing: spec.labelSmoothing } : {}) };
}

/** Validation metrics from probabilities, by the dataset's task (MedMNIST's rules). */
export function validationMetrics(split: DatasetSplit, probs: Float32Array, classes: number): { loss: number; acc: number; auc: number; evaluation: Evaluation } {
  const task = split.info.task as 'binary-class' | 'multi-class' | 'ordinal-regression';
  const evaluation = evaluate(task, split.labels, { data: probs, columns: classes });
  return { loss: meanNll(probs, split.labels, classes), acc: evaluation.acc, auc: evaluation.auc, evaluation };
}

/**
 * Runs a plan's phases over a model: one loop, with callbacks, validation each epoch, keep-best,
 * resume, a NaN/Inf guard and the frozen-phase feature cache. Tensor counts stay flat.
 */
export async function train(options: TrainerOptions): Promise<TrainingResult> {
  const { model, plan, train: trainSplit, val } = options;
  validatePlan(plan);
  if (!isSingleLabel(trainSplit.info.task)) throw new PlanError(`${trainSplit.info.flag} is multi-label; training supports single-label tasks (binary, multi-class, ordinal) for now`);
  if (model.numClasses !== trainSplit.info.labels.length) throw new PlanError(`the model has ${model.numClasses} outputs but ${trainSplit.info.flag} has ${trainSplit.info.labels.length} classes`);
  const callbacks = options.callbacks ?? [];
  const lossOpts = lossOptions(plan, trainSplit);
  const history: EpochRecord[] = [...(options.resume?.history ?? [])];
  const stepsPerEpoch = Math.ceil(trainSplit.count / plan.batchSize);
  const totalEpochs = plan.phases.reduce((n, p) => n + p.epochs, 0);
  let best = options.resume?.best ? { ...options.resume.best } : undefined;
  let stopReason: string | undefined;
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));

  let startPhase = 0;
  let startEpoch = 0;
  if (options.resume) {
    if (options.resume.plan !== plan.name) throw new ResumeError(`the checkpoint was made by plan "${options.resume.plan}", not "${plan.name}"`);
    restoreModel(model, options.resume.model);
    for (const [k, v] of Object.entries(options.resume.batchesTracked)) model.batchesTracked.set(k, v);
    startPhase = options.resume.phaseIndex;
    startEpoch = options.resume.phaseEpoch;
  }
  let imagesLeft = (totalEpochs - history.length) * trainSplit.count;
  if (options.resume && plan.ema && !options.resume.ema) throw new ResumeError('the plan averages weights (ema) but the checkpoint has no average');
  const ema = plan.ema ? new WeightAverage(model, plan.ema.decay, options.resume?.ema) : undefined;
  let epochKept = 0;
  try {
    for (let phaseIndex = startPhase; phaseIndex < plan.phases.length && !stopReason; phaseIndex++) {
      const phase = plan.phases[phaseIndex]!;
      const firstEpoch = phaseIndex === startPhase ? startEpoch : 0;
      if (firstEpoch >= phase.epochs) continue;
      await Promise.all(callbacks.map((c) => c.onPhaseStart?.(phase, phaseIndex)));
      const trained = new Set<ParamGroup>(phase.train);
      const bnModes = Object.fromEntries(PARAM_GROUPS.map((g) => [g, trained.has(g) ? 'train' : (phase.frozenBn ?? 'frozen')])) as Record<ParamGroup, BatchNormMode>;
      const names = model.parameterNames(phase.train);
      const variables = names.map((n) => model.params.get(n)!);
      const optimizer = makeOptimizer(phase);
      if (options.resume?.optimizer && phaseIndex === startPhase && firstEpoch > 0) optimizer.setState(options.resume.optimizer);
      const augmentation = phase.augment !== false ? plan.augmentation : undefined;
      const headOnly = phase.train.length === 1 && phase.train[0] === 'head';
      const bodyFrozen = PARAM_GROUPS.every((g) => g === 'head' || bnModes[g] === 'frozen');
      const useCache = (options.featureCache ?? true) && headOnly && bodyFrozen && !augmentation;
      const cache = useCache ? featuresOfSplit(model, trainSplit, options.transform, options.evalBatchSize) : undefined;
      model.releaseFoldedWeights();
      const settings = (step: number) => {
        const factor = lrFactor(phase.schedule ?? { kind: 'constant' }, step, phase.epochs * stepsPerEpoch, stepsPerEpoch);
        return (name: string) => {
          const lr = groupLr(phase, groupOf(name)) * factor;
          const decays = name.endsWith('.weight') && (model.params.get(name)?.rank ?? 1) > 1;
          return { lr, weightDecay: decays ? (phase.weightDecay ?? 0) : 0 };
        };
      };

      try {
        for (let phaseEpoch = firstEpoch; phaseEpoch < phase.epochs && !stopReason; phaseEpoch++) {
          const epoch = history.length + 1;
          const epochStart = performance.now();
          const batches = batchIndices(trainSplit.count, { batchSize: plan.batchSize, seed: plan.seed, epoch });
          let lossSum = 0;
          let correct = 0;
          let seen = 0;
          let lastLr = 0;
          for (let b = 0; b < batches.length; b++) {
            const indices = batches[b]!;
            const step = phaseEpoch * stepsPerEpoch + b;
            const paramSettings = settings(step);
            lastLr = paramSettings(names[names.length - 1]!).lr;
            let loss = 0;
            let summed: Map<string, tf.Tensor> | undefined;
            let predicted: Int32Array = new Int32Array(indices.length);
            if (options.parallel && !cache) {
              // The same chunks as the micro-batch path below, computed at once (see TrainerOptions.parallel).
              const batch = makeBatch(trainSplit, indices, { ...options.transform, augmentation }, augmentation ? seededRandom(mixSeed(plan.seed, epoch, b)) : undefined);
              // A plan's own chunks are part of its math: the threads compute them, however many there are.
              const chunkSize = Math.min(options.microBatchSize ?? plan.batchSize, plan.chunkSize ?? Math.ceil(plan.batchSize / options.parallel.parallelism));
              const result = await options.parallel.batchGradients({
                model, names, bn: bnModes, loss: lossOpts, images: batch.images, shape: batch.shape as [number, number, number, number],
                labels: Int32Array.from(indices, (i) => trainSplit.labels[i]!), chunkSize,
              });
              ({ loss, predicted, grads: summed } = result);
            } else {
              const labels = tf.tensor1d(Int32Array.from(indices, (i) => trainSplit.labels[i]!), 'int32');
              let input: tf.Tensor;
              if (cache) {
                const feats = new Float32Array(indices.length * 512);
                indices.forEach((i, k) => feats.set(cache.subarray(i * 512, (i + 1) * 512), k * 512));
                input = tf.tensor2d(feats, [indices.length, 512]);
              } else {
                const batch = makeBatch(trainSplit, indices, { ...options.transform, augmentation }, augmentation ? seededRandom(mixSeed(plan.seed, epoch, b)) : undefined);
                input = tf.tensor4d(batch.images, [...batch.shape]);
              }
              // Micro-batches: the batch's gradient as the size-weighted sum of its chunks' gradients, so large
              // inputs fit in memory (BatchNorm then sees each chunk's statistics, like PyTorch's accumulation).
              const chunk = Math.min(options.microBatchSize ?? indices.length, (!cache && plan.chunkSize) || indices.length, indices.length);
              for (let from = 0; from < indices.length; from += chunk) {
                const size = Math.min(chunk, indices.length - from);
                const weight = size / indices.length;
                const part = chunk === indices.length ? input : tf.slice(input, from, size);
                const partLabels = chunk === indices.length ? labels : tf.slice(labels, from, size);
                let logits: tf.Tensor2D | undefined;
                const { value, grads } = tf.variableGrads(() => {
                  const out = cache ? model.head(part as tf.Tensor2D) : model.apply(part as tf.Tensor4D, { bn: bnModes });
                  logits = tf.keep(out);
                  return tf.mul(crossEntropy(out, partLabels as tf.Tensor1D, lossOpts), weight) as tf.Scalar;
                }, variables);
                loss += value.dataSync()[0]!;
                predicted.set(tf.tidy(() => tf.argMax(logits!, 1).dataSync() as Int32Array), from);
                const byName = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g]));
                if (!summed) summed = byName;
                else {
                  for (const [name, g] of byName) {
                    const total = tf.add(summed.get(name)!, g);
                    tf.dispose([summed.get(name)!, g]);
                    summed.set(name, total);
                  }
                }
                tf.dispose([value, logits!, ...(part !== input ? [part, partLabels] : [])]);
              }
              tf.dispose([input, labels]);
            }
            if (!Number.isFinite(loss)) {
              tf.dispose([...summed!.values()]);
              throw new NonFiniteLossError(phase.name, epoch - 1, b, loss);
            }
            optimizer.apply(model.params, summed!, paramSettings);
            ema?.update();
            for (let k = 0; k < indices.length; k++) if (predicted[k] === trainSplit.labels[indices[k]!]) correct++;
            tf.dispose([...summed!.values()]);
            lossSum += loss * indices.length;
            seen += indices.length;
            imagesLeft -= indices.length;
            const imgPerS = seen / ((performance.now() - epochStart) / 1000);
            const progress: BatchProgress = {
              phase: phase.name, phaseIndex, epoch, totalEpochs, batch: b + 1, batches: batches.length, loss, imgPerS,
              // At the current epoch's speed: phases differ (a frozen body is much faster), so a whole-run average misleads.
              etaSeconds: imagesLeft / imgPerS,
            };
            for (const c of callbacks) await c.onBatchEnd?.(progress);
            // A macrotask turn per batch: lets signals (Ctrl-C), messages and timers in while training runs.
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
          const seconds = (performance.now() - epochStart) / 1000;
          let valStats: { loss: number; acc: number; auc: number } | undefined;
          const validate = () => validationMetrics(val!, predictSplit(model, val!, options.transform, { ...(options.evalBatchSize ? { batchSize: options.evalBatchSize } : {}), ...(plan.tta ? { tta: plan.tta } : {}) }), model.numClasses);
          if (val) valStats = ema ? ema.withAverage(validate) : validate();
          // The weights change at the next step: their folded inference copies would only take memory.
          model.releaseFoldedWeights();
          const record: EpochRecord = {
            phase: phase.name, epoch, phaseEpoch: phaseEpoch + 1, lr: lastLr, trainLoss: lossSum / seen, trainAcc: correct / seen,
            ...(valStats ? { valLoss: valStats.loss, valAcc: valStats.acc, valAuc: valStats.auc } : {}),
            seconds, imgPerS: seen / seconds, cachedFeatures: !!cache,
          };
          history.push(record);
          if (plan.keepBest && valStats) {
            const value = plan.keepBest.metric === 'loss' ? -valStats.loss : valStats[plan.keepBest.metric];
            if (!best || value > best.value) best = { value, epoch, model: ema ? ema.snapshot() : snapshotModel(model) };
          }
          const nextPhaseEpoch = phaseEpoch + 1;
          const control: TrainerControl = {
            stop: (reason) => void (stopReason ??= reason),
            state: () => ({
              plan: plan.name,
              phaseIndex: nextPhaseEpoch >= phase.epochs ? phaseIndex + 1 : phaseIndex,
              phaseEpoch: nextPhaseEpoch >= phase.epochs ? 0 : nextPhaseEpoch,
              history: [...history],
              model: snapshotModel(model),
              batchesTracked: Object.fromEntries(model.batchesTracked),
              ...(nextPhaseEpoch < phase.epochs ? { optimizer: optimizer.getState() } : {}),
              ...(best ? { best } : {}),
              ...(ema ? { ema: ema.snapshot() } : {}),
            }),
          };
          for (const c of callbacks) await c.onEpochEnd?.(record, control);
        }
      } finally {
        optimizer.dispose();
      }
    }
    epochKept = history.length;
    if (best && plan.keepBest) {
      restoreModel(model, best.model);
      epochKept = best.epoch;
    } else if (ema) {
      ema.assignTo(model);
    }
    if (plan.recomputeBnStats) recomputeBatchNormStats(model, trainSplit, options.transform, plan.chunkSize ?? plan.batchSize, plan.seed);
  } finally {
    ema?.dispose();
  }
  return { history, epochKept, ...(stopReason ? { stoppedEarly: stopReason } : {}) };
}
