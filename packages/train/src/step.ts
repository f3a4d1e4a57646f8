// The training step, written once: the trainer, the worker threads and the LR finder all compute
// gradients here, so their results agree bit for bit by construction.
import * as tf from '@tensorflow/tfjs-core';
import { groupOf, type BatchNormMode, type ModelTensor, type ParamGroup, type ResNet18 } from '@medxfer/models';
import { readAndDispose } from './read.js';
import { correctOf, lossOf, type LossOptions } from './task.js';

/** What a step differentiates and how. Plain data: worker threads receive it as it is. */
export interface StepSpec {
  /** The parameters to differentiate (torchvision names). */
  readonly names: readonly string[];
  /** BatchNorm mode per group (train-mode BatchNorms move their running stats). */
  readonly bn: Readonly<Record<ParamGroup, BatchNormMode>>;
  readonly loss: LossOptions;
  /** The input is pooled body features `[N, 512]` (the frozen-body feature cache): only the head runs. */
  readonly features?: boolean;
}

export interface StepResult {
  /** The size-weighted loss, summed over chunks in order. */
  readonly loss: number;
  /** Correct decisions (see `correctOf`), summed over chunks. */
  readonly correct: number;
  /** Size-weighted loss gradients by parameter name, summed in chunk order. The caller disposes them. */
  readonly grads: Map<string, tf.Tensor>;
}

/** Whether a step on images differentiates only the head: the body's forward then needs no tape. */
export const bodyFixed = (spec: StepSpec): boolean => !spec.features && spec.names.every((n) => groupOf(n) === 'head');

/**
 * The head's input: the given features, or the body's pooled features of images computed outside the tape
 * when the body is fixed (its frozen BatchNorms folded into the convolutions, as inference runs them), or
 * undefined when the body is differentiated.
 */
function headInput(model: ResNet18, spec: StepSpec, input: tf.Tensor): tf.Tensor2D | undefined {
  if (spec.features) return input as tf.Tensor2D;
  if (!bodyFixed(spec)) return undefined;
  return tf.tidy(() => model.features(input as ModelTensor, { bn: { ...spec.bn }, foldBatchNorm: true }));
}

/**
 * One chunk's loss gradient, weighted by `weight` (its share of the batch). Moves the model's running stats
 * where BatchNorm is in train mode.
 */
export async function chunkGradients(model: ResNet18, spec: StepSpec, input: tf.Tensor, targets: tf.Tensor, weight: number): Promise<StepResult> {
  const features = headInput(model, spec, input);
  try {
    return await differentiate(model, spec, features ?? input, !!features, targets, weight);
  } finally {
    if (features !== input) features?.dispose();
  }
}

/** The weighted loss's gradient w.r.t. `spec.names`, from images through the model or from features through the head. */
async function differentiate(model: ResNet18, spec: StepSpec, input: tf.Tensor, headOnly: boolean, targets: tf.Tensor, weight: number): Promise<StepResult> {
  const variables = spec.names.map((n) => model.params.get(n)!);
  const nameOf = new Map(spec.names.map((n) => [model.params.get(n)!.name, n]));
  let logits: tf.Tensor2D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = headOnly ? model.head(input as tf.Tensor2D) : model.apply(input as ModelTensor, { bn: { ...spec.bn } });
    logits = tf.keep(out);
    return tf.mul(lossOf(out, targets, spec.loss), weight) as tf.Scalar;
  }, variables);
  let loss: number;
  let correct: number;
  try {
    correct = await correctOf(logits!, targets, spec.loss.kind);
    loss = (await readAndDispose(value))[0]!;
  } catch (error) {
    tf.dispose([...Object.values(grads)]);
    throw error;
  } finally {
    tf.dispose([value, logits!]);
  }
  return { loss, correct, grads: new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g])) };
}

/** Adds `next` into `total` (disposing what it replaces) and returns the sum; `total` undefined starts it. */
export function addGradients(total: Map<string, tf.Tensor> | undefined, next: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (!total) return next;
  for (const [name, g] of next) {
    const sum = tf.add(total.get(name)!, g);
    tf.dispose([total.get(name)!, g]);
    total.set(name, sum);
  }
  return total;
}

/** Adds one chunk's result to a running batch result. */
export function addStep(total: StepResult | undefined, next: StepResult): StepResult {
  if (!total) return next;
  return { loss: total.loss + next.loss, correct: total.correct + next.correct, grads: addGradients(total.grads, next.grads) };
}

/**
 * A batch's gradient as the size-weighted sum of the gradients of its chunks of `chunkSize` images, computed
 * one after another (micro-batches: large inputs fit in memory; BatchNorm in train mode sees each chunk's
 * statistics, like gradient accumulation in PyTorch). `input` and `targets` stay the caller's.
 */
export async function batchGradients(model: ResNet18, spec: StepSpec, input: tf.Tensor, targets: tf.Tensor, chunkSize: number): Promise<StepResult> {
  const n = input.shape[0]!;
  const chunk = Math.max(1, Math.min(chunkSize, n));
  let total: StepResult | undefined;
  try {
    for (let from = 0; from < n; from += chunk) {
      const size = Math.min(chunk, n - from);
      const whole = size === n;
      const part = whole ? input : tf.slice(input, from, size);
      const partTargets = whole ? targets : tf.slice(targets, from, size);
      try {
        total = addStep(total, await chunkGradients(model, spec, part, partTargets, size / n));
      } finally {
        if (!whole) tf.dispose([part, partTargets]);
      }
    }
  } catch (error) {
    if (total) tf.dispose([...total.grads.values()]);
    throw error;
  }
  return total!;
}
