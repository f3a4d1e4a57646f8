import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, makeBatch, type DatasetSplit, type ImageTransform } from '@medxfer/data';
import { PARAM_GROUPS, type BatchNormMode, type ParamGroup, type ResNet18 } from '@medxfer/models';
import { Adam } from './optim/adam.js';
import { restoreModel, snapshotModel } from './state.js';
import { batchGradients, type StepSpec } from './step.js';
import { lossOptionsFor, targetsOf, targetTensor } from './task.js';
import { inputTensor } from './input.js';

export interface LrFinderOptions {
  readonly model: ResNet18;
  readonly train: DatasetSplit;
  readonly transform: ImageTransform;
  /** Groups that learn during the sweep (default: all). */
  readonly groups?: readonly ParamGroup[];
  readonly batchSize?: number;
  readonly startLr?: number;
  readonly endLr?: number;
  readonly steps?: number;
  /** Stop once the smoothed loss exceeds this multiple of the best (default 4). */
  readonly divergence?: number;
  readonly seed?: number;
}

export interface LrFinderResult {
  readonly lrs: number[];
  /** Exponentially smoothed (β = 0.98, bias-corrected) training losses. */
  readonly losses: number[];
  /** The learning rate where the smoothed loss falls fastest (steepest negative slope in log lr). */
  readonly steepest: number;
  /** One tenth of the learning rate at the minimum smoothed loss (fastai's `lr_min`). */
  readonly minimumOverTen: number;
}

/**
 * The learning-rate range test (Smith 2017, as fastai's `lr_find`): Adam steps with the rate growing
 * exponentially from `startLr` to `endLr`, BatchNorm in train mode, until the loss diverges. The model's
 * weights and running stats are restored afterwards.
 */
export async function findLearningRate(options: LrFinderOptions): Promise<LrFinderResult> {
  const { model, train, transform } = options;
  const steps = options.steps ?? 100;
  const start = options.startLr ?? 1e-7;
  const end = options.endLr ?? 10;
  const groups = options.groups ?? PARAM_GROUPS;
  const bn = Object.fromEntries(PARAM_GROUPS.map((g) => [g, 'train'])) as Record<ParamGroup, BatchNormMode>;
  const spec: StepSpec = { names: model.parameterNames(groups), bn, loss: lossOptionsFor(undefined, train) };
  const saved = await snapshotModel(model);
  const tracked = new Map(model.batchesTracked);
  const optimizer = new Adam();
  const lrs: number[] = [];
  const losses: number[] = [];
  let avg = 0;
  let best = Infinity;
  try {
    let epoch = 0;
    let queue: Uint32Array[] = [];
    for (let step = 0; step < steps; step++) {
      if (queue.length === 0) queue = batchIndices(train.count, { batchSize: options.batchSize ?? 32, seed: options.seed ?? 0, epoch: epoch++, dropLast: true });
      const indices = queue.shift()!;
      const lr = start * (end / start) ** (step / Math.max(steps - 1, 1));
      const batch = makeBatch(train, indices, transform);
      const x = inputTensor(batch.images, batch.shape);
      const y = targetTensor(targetsOf(train, indices));
      const { loss, grads } = await batchGradients(model, spec, x, y, indices.length);
      optimizer.apply(model.params, grads, () => ({ lr, weightDecay: 0 }));
      tf.dispose([x, y, ...grads.values()]);
      avg = 0.98 * avg + 0.02 * loss;
      const smoothed = avg / (1 - 0.98 ** (step + 1));
      lrs.push(lr);
      losses.push(smoothed);
      best = Math.min(best, smoothed);
      if (!Number.isFinite(loss) || smoothed > (options.divergence ?? 4) * best) break;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    optimizer.dispose();
    restoreModel(model, saved);
    for (const [k, v] of tracked) model.batchesTracked.set(k, v);
  }
  let steepestAt = 0;
  let steepestSlope = Infinity;
  for (let i = 1; i < losses.length; i++) {
    const slope = (losses[i]! - losses[i - 1]!) / (Math.log(lrs[i]!) - Math.log(lrs[i - 1]!));
    if (slope < steepestSlope) (steepestSlope = slope), (steepestAt = i);
  }
  const minAt = losses.indexOf(Math.min(...losses));
  return { lrs, losses, steepest: lrs[steepestAt]!, minimumOverTen: lrs[minAt]! / 10 };
}
