// What depends on the MedMNIST task, in one place: the head's activation, the loss, the batch targets,
// what counts as correct, the validation loss, and what a prediction is.
import * as tf from '@tensorflow/tfjs-core';
import { classCounts, type DatasetInfo, type DatasetSplit } from '@medxfer/data';
import { taskKind, type TaskKind } from '@medxfer/metrics';
import { NonFiniteOutputError, PlanError } from './errors.js';
import { readAndDispose } from './read.js';
import { binaryCrossEntropyWithLogits, crossEntropy } from './loss.js';
import type { LossSpec } from './plan.js';

export { taskKind, type TaskKind };

/** The decision threshold of a multi-label finding: present iff its probability > 0.5 (MedMNIST's rule). */
export const MULTI_LABEL_THRESHOLD = 0.5;

/** The task of a dataset (or a split's dataset). */
export const taskOf = (info: Pick<DatasetInfo, 'task'>): TaskKind => taskKind(info.task);

/** Softmax over classes (single-label tasks) or a sigmoid per label (multi-label). */
export const outputActivation = (task: TaskKind): 'softmax' | 'sigmoid' => (task === 'multi-label' ? 'sigmoid' : 'softmax');

/** Probabilities from logits `[N, C]`, by the task's activation. */
export function probabilitiesOf(task: TaskKind, logits: tf.Tensor2D): tf.Tensor2D {
  return outputActivation(task) === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
}

/**
 * The loss of a batch, as plain data so worker threads can receive it: torch's cross-entropy for single-label
 * tasks, BCEWithLogitsLoss for multi-label.
 */
export type LossOptions =
  | { readonly kind: 'cross-entropy'; readonly classWeights?: readonly number[]; readonly labelSmoothing?: number }
  | { readonly kind: 'binary-cross-entropy'; readonly posWeight?: readonly number[]; readonly labelSmoothing?: number };

/**
 * A batch's targets: class indices `[N]` (int32) for single-label tasks, 0/1 `[N, labels]` (float32) for
 * multi-label; under mixup, float rows `[N, classes or labels]` for both.
 */
export interface Targets {
  readonly data: Int32Array | Float32Array;
  readonly shape: readonly number[];
}

/** The targets of the images at `indices`. */
export function targetsOf(split: DatasetSplit, indices: ArrayLike<number>): Targets {
  const width = split.labelWidth;
  if (taskOf(split.info) !== 'multi-label') return { data: Int32Array.from(indices, (i) => split.labels[i]!), shape: [indices.length] };
  const data = new Float32Array(indices.length * width);
  for (let k = 0; k < indices.length; k++) for (let j = 0; j < width; j++) data[k * width + j] = split.labels[indices[k]! * width + j]!;
  return { data, shape: [indices.length, width] };
}

export const targetTensor = (t: Targets): tf.Tensor =>
  t.data instanceof Int32Array ? tf.tensor1d(t.data, 'int32') : tf.tensor2d(t.data, t.shape as [number, number]);

/** The loss of logits against targets (a tensor from {@link targetTensor}). */
export function lossOf(logits: tf.Tensor2D, targets: tf.Tensor, options: LossOptions): tf.Scalar {
  if (options.kind === 'binary-cross-entropy') {
    return binaryCrossEntropyWithLogits(logits, targets as tf.Tensor2D, {
      ...(options.posWeight ? { posWeight: options.posWeight } : {}), ...(options.labelSmoothing ? { labelSmoothing: options.labelSmoothing } : {}),
    });
  }
  return crossEntropy(logits, targets as tf.Tensor1D | tf.Tensor2D, {
    ...(options.classWeights ? { classWeights: options.classWeights } : {}), ...(options.labelSmoothing ? { labelSmoothing: options.labelSmoothing } : {}),
  });
}

/**
 * Correct decisions in a batch: images whose argmax is their class (single-label; soft target rows, as mixup
 * makes, count their largest entry as the class), or labels decided right divided by the number of labels
 * (multi-label: the mean per-label accuracy, MedMNIST's ACC, times N; a mixed target counts as 1 above 0.5).
 */
export async function correctOf(logits: tf.Tensor2D, targets: tf.Tensor, kind: LossOptions['kind']): Promise<number> {
  const multiLabel = kind === 'binary-cross-entropy';
  const count = tf.tidy(() => {
    if (!multiLabel) {
      const classes = targets.rank === 2 ? tf.argMax(targets, 1) : targets;
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), classes), 'float32'));
    }
    const decided = tf.greater(logits, 0); // sigmoid(x) > 0.5 ⇔ x > 0
    return tf.sum(tf.cast(tf.equal(decided, tf.greater(targets, 0.5)), 'float32'));
  });
  const [value] = await readAndDispose(count);
  return multiLabel ? value! / logits.shape[1] : value!;
}

/** The loss a plan's {@link LossSpec} means on a training split. */
export function lossOptionsFor(spec: LossSpec | undefined, train: DatasetSplit): LossOptions {
  const smoothing = spec?.labelSmoothing ? { labelSmoothing: spec.labelSmoothing } : {};
  const counts = classCounts(train);
  if (taskOf(train.info) === 'multi-label') {
    if (spec?.classWeights) throw new PlanError(`${train.info.flag} is multi-label: weigh labels with loss.posWeight, not classWeights`);
    const posWeight = spec?.posWeight === 'balanced' ? counts.map((positives) => (train.count - positives) / Math.max(positives, 1)) : spec?.posWeight;
    return { kind: 'binary-cross-entropy', ...(posWeight ? { posWeight: [...posWeight] } : {}), ...smoothing };
  }
  if (spec?.posWeight) throw new PlanError(`${train.info.flag} is single-label: weigh classes with loss.classWeights, not posWeight`);
  const classWeights = spec?.classWeights === 'balanced' ? counts.map((c) => train.count / (counts.length * Math.max(c, 1))) : spec?.classWeights;
  return { kind: 'cross-entropy', ...(classWeights ? { classWeights: [...classWeights] } : {}), ...smoothing };
}

/** Mean cross-entropy of probabilities against single labels (clipped at 1e-7, as the metrics' log loss). */
export function meanNll(probs: Float32Array, labels: Uint8Array, classes: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probs[i * classes + labels[i]!]!, 1e-7));
  return sum / labels.length;
}

/**
 * The mean loss of probabilities against a split's labels: cross-entropy of the true class (single-label) or
 * binary cross-entropy averaged over labels (multi-label); probabilities clipped at 1e-7 as the metrics' log loss.
 */
export function probabilityLoss(task: TaskKind, probs: Float32Array, labels: Uint8Array, classes: number): number {
  const clip = (p: number) => Math.min(Math.max(p, 1e-7), 1 - 1e-7);
  if (task !== 'multi-label') return meanNll(probs, labels, classes);
  let sum = 0;
  for (let k = 0; k < labels.length; k++) sum -= labels[k] ? Math.log(clip(probs[k]!)) : Math.log(1 - clip(probs[k]!));
  return sum / labels.length;
}

/** What a model predicts for one image, from its probabilities. */
export interface Prediction {
  /** The predicted class (single-label), or the findings above the threshold (multi-label; may be empty). */
  readonly classes: number[];
  /** Single-label tasks: the probability of the predicted class. Multi-label: the threshold. */
  readonly score: number;
}

/** The prediction of one probability row: argmax (single-label) or every label above {@link MULTI_LABEL_THRESHOLD}. */
export function predictionOf(task: TaskKind, probabilities: ArrayLike<number>): Prediction {
  if (task === 'multi-label') {
    const classes = Array.from(probabilities, (p, j) => (p > MULTI_LABEL_THRESHOLD ? j : -1)).filter((j) => j >= 0);
    return { classes, score: MULTI_LABEL_THRESHOLD };
  }
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return { classes: [best], score: probabilities[best]! };
}

/**
 * Checks probabilities before anything shows or scores them: finite, in [0, 1], and (softmax) rows summing to 1.
 * A failure means a broken backend or model, and must be an error, never a display.
 */
export function checkProbabilities(task: TaskKind, probs: ArrayLike<number>, classes: number, what = 'the model'): void {
  for (let i = 0; i < probs.length / classes; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const p = probs[i * classes + c]!;
      if (!(p >= 0 && p <= 1)) throw new NonFiniteOutputError(`${what} gave probability ${p} (image ${i}, class ${c}): the backend or the weights are broken; try --backend wasm`);
      sum += p;
    }
    if (task !== 'multi-label' && Math.abs(sum - 1) > 1e-3) throw new NonFiniteOutputError(`${what} gave probabilities summing to ${sum} for image ${i}: the backend is computing wrong results; try --backend wasm`);
  }
}

/** Targets of `size` images from `from` (a copy). */
export function sliceTargets(t: Targets, from: number, size: number): Targets {
  const width = t.shape.length === 2 ? t.shape[1]! : 1;
  return { data: t.data.slice(from * width, (from + size) * width), shape: t.shape.length === 2 ? [size, width] : [size] };
}

/** The class an explanation (Grad-CAM) should show: the predicted class, or for multi-label the most probable finding. */
export function explainedClass(task: TaskKind, probabilities: ArrayLike<number>): number {
  if (task !== 'multi-label') return predictionOf(task, probabilities).classes[0]!;
  let best = 0;
  for (let j = 1; j < probabilities.length; j++) if (probabilities[j]! > probabilities[best]!) best = j;
  return best;
}
