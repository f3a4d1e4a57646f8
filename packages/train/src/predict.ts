import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, makeBatch, type DatasetSplit, type ImageTransform } from '@medxfer/data';
import { FEATURES, type ResNet18 } from '@medxfer/models';
import { readAndDispose } from './read.js';
import { checkProbabilities, probabilitiesOf, taskOf, type TaskKind } from './task.js';
import { inputTensor } from './input.js';
import type { ParallelGradients } from './parallel.js';
import type { TestTimeAugmentation } from './plan.js';

export type { TestTimeAugmentation };

/** Images per forward pass unless told otherwise. */
export const PREDICT_BATCH_SIZE = 64;

export interface PredictOptions {
  /** Images per forward pass (default {@link PREDICT_BATCH_SIZE}). */
  readonly batchSize?: number;
  readonly tta?: TestTimeAugmentation;
  /** Threads that share each batch's images (e.g. the trainer's `createGradientWorkers`); the same probabilities as one thread. */
  readonly parallel?: ParallelGradients;
}

/**
 * Probabilities of one batch (NHWC images, NDHWC volumes) in eval mode with BatchNorm folded: what every thread
 * of a split's prediction computes, so a batch shared across threads gives the one-thread values.
 */
export async function batchProbabilities(model: ResNet18, images: Float32Array, shape: readonly number[], task: TaskKind, tta?: TestTimeAugmentation): Promise<Float32Array> {
  const activate = (logits: tf.Tensor) => probabilitiesOf(task, logits as tf.Tensor2D);
  return readAndDispose(tf.tidy(() => {
    const x = inputTensor(images, shape);
    const p = activate(model.apply(x, { foldBatchNorm: true }));
    // The left–right mirror: the width axis, second to last (NHWC images, NDHWC volumes).
    const mirrored = () => tf.reverse(x, x.rank - 2);
    return tta === 'flip' ? tf.mul(tf.add(p, activate(model.apply(mirrored(), { foldBatchNorm: true }))), 0.5) : p;
  }));
}

/**
 * Probabilities `[count × classes]` of a whole split in eval mode, batch by batch: softmax rows for single-label
 * tasks, a sigmoid per label for multi-label ones (the split's task decides).
 * @throws {NonFiniteOutputError} when the model gives probabilities that cannot be right (a broken backend).
 */
export async function predictSplit(model: ResNet18, split: DatasetSplit, transform: ImageTransform, options: PredictOptions = {}): Promise<Float32Array> {
  const classes = model.numClasses;
  const task = taskOf(split.info);
  const { parallel, tta } = options;
  const out = new Float32Array(split.count * classes);
  let at = 0;
  for (const indices of batchIndices(split.count, { batchSize: options.batchSize ?? PREDICT_BATCH_SIZE, shuffle: false })) {
    const { images, shape } = makeBatch(split, indices, { ...transform, augmentation: undefined });
    const probs = parallel?.probabilities
      ? await parallel.probabilities({ model, images, shape, task, ...(tta ? { tta } : {}) })
      : await batchProbabilities(model, images, shape, task, tta);
    out.set(probs, at);
    at += probs.length;
  }
  checkProbabilities(task, out, classes);
  return out;
}

/** Pooled body features `[count × FEATURES]` in eval mode (BatchNorm frozen), for the frozen-phase feature cache. */
export async function featuresOfSplit(model: ResNet18, split: DatasetSplit, transform: ImageTransform, batchSize = PREDICT_BATCH_SIZE): Promise<Float32Array> {
  const out = new Float32Array(split.count * FEATURES);
  let at = 0;
  for (const indices of batchIndices(split.count, { batchSize, shuffle: false })) {
    const batch = makeBatch(split, indices, { ...transform, augmentation: undefined });
    const features = await readAndDispose(tf.tidy(() => model.features(inputTensor(batch.images, batch.shape), { bn: 'frozen', foldBatchNorm: true })));
    out.set(features, at);
    at += features.length;
  }
  return out;
}
