import { PARAM_GROUPS, type ParamGroup } from '@medxfer/models';
import type { Augmentation } from '@medxfer/data';
import { PlanError } from './errors.js';
import type { Schedule } from './schedule.js';

/** Test-time augmentation: `flip` averages the probabilities of each image and of its left–right mirror. */
export type TestTimeAugmentation = 'none' | 'flip';

export type OptimizerSpec =
  | { kind: 'adam' | 'adamw'; betas?: readonly [number, number]; eps?: number }
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; dampening?: number };

/** One phase of training: which groups learn, how fast, with what. Plans are data. */
export interface Phase {
  readonly name: string;
  readonly epochs: number;
  /** Groups whose parameters update; the others are frozen. */
  readonly train: readonly ParamGroup[];
  /** Peak learning rate, one for all groups or per group (discriminative learning rates). */
  readonly lr: number | Readonly<Partial<Record<ParamGroup, number>>>;
  readonly optimizer: OptimizerSpec;
  /** Weight decay on conv/linear weights; never on BatchNorm parameters or biases. Default 0. */
  readonly weightDecay?: number;
  readonly schedule?: Schedule;
  /**
   * BatchNorm mode of the groups that do not train: `train` uses batch statistics and moves the running
   * stats (what PyTorch does after `requires_grad=False` in `model.train()`, the notebook's behaviour);
   * `frozen` uses the running stats (what transfer learning usually wants; enables the feature cache).
   */
  readonly frozenBn?: 'train' | 'frozen';
  /** Apply the plan's augmentation in this phase (default true when the plan has one). */
  readonly augment?: boolean;
}

/** The loss: cross-entropy for single-label tasks, binary cross-entropy with logits for multi-label ones. */
export interface LossSpec {
  /** Single-label: targets (1 − ε)·onehot + ε/C. Multi-label: y·(1 − ε) + ε/2. */
  readonly labelSmoothing?: number;
  /** Single-label tasks: per-class weights, or `balanced` (n / (classes · count_c), as sklearn). */
  readonly classWeights?: readonly number[] | 'balanced';
  /** Multi-label tasks: torch's `pos_weight` per label, or `balanced` (negatives / positives of each label). */
  readonly posWeight?: readonly number[] | 'balanced';
}

/** A complete recipe: phases run in order over the same model. */
export interface Plan {
  readonly name: string;
  readonly phases: readonly Phase[];
  readonly batchSize: number;
  /**
   * Compute each batch in chunks of this many images and sum their gradients ("ghost batch norm": BatchNorm
   * uses each chunk's statistics). Part of the recipe, so the result does not depend on how many threads
   * compute the chunks (`TrainerOptions.parallel`). Default: the whole batch.
   */
  readonly chunkSize?: number;
  readonly seed: number;
  readonly loss?: LossSpec;
  readonly augmentation?: Augmentation;
  /**
   * Exponential moving average of the weights and running stats, updated after every step
   * (w̄ ← decay·w̄ + (1 − decay)·w, from the initial weights). Validation, keep-best and the final model
   * use the average.
   */
  readonly ema?: { readonly decay: number };
  /**
   * After the last epoch, recompute the BatchNorm running statistics on the un-augmented training images
   * (`recomputeBatchNormStats`, in chunks of `chunkSize` or `batchSize`). Per-epoch validation is
   * before it; the final model and its evaluation after. Default false.
   */
  readonly recomputeBnStats?: boolean;
  /**
   * Mixup (Zhang et al. 2018) in the phases that augment: each batch is mixed with a shuffled copy of itself,
   * x_i ← λ·x_i + (1 − λ)·x_π(i) and y_i ← λ·y_i + (1 − λ)·y_π(i) (soft targets), with one λ ~ Beta(α, α) per
   * batch folded to [0.5, 1]. Off by default.
   */
  readonly mixup?: { readonly alpha: number };
  /**
   * CutMix (Yun et al. 2019) in the phases that augment: each batch gets, from a shuffled copy of itself, a box
   * of side √(1 − λ) of the image (λ ~ Beta(α, α) per batch, one box per batch at a uniform centre, clipped at
   * the borders), and the targets are mixed by the pixel shares. Off by default; not with `mixup`.
   */
  readonly cutmix?: { readonly alpha: number };
  /** Test-time augmentation of validation and of the final evaluation (default none). */
  readonly tta?: TestTimeAugmentation;
  /** Keep the weights of the epoch with the best value of this validation metric (restored at the end). */
  readonly keepBest?: { metric: 'auc' | 'acc' | 'loss' };
}

/** The learning rate of `group` in `phase`. */
export function groupLr(phase: Phase, group: ParamGroup): number {
  if (typeof phase.lr === 'number') return phase.lr;
  const lr = phase.lr[group];
  if (lr === undefined) throw new PlanError(`phase "${phase.name}" trains ${group} but gives it no learning rate`);
  return lr;
}

/** Checks a plan and names the first problem. */
export function validatePlan(plan: Plan): void {
  const bad = (msg: string) => {
    throw new PlanError(`plan "${plan.name}": ${msg}`);
  };
  if (!Number.isInteger(plan.batchSize) || plan.batchSize < 1) bad(`batch size must be a positive integer, got ${plan.batchSize}`);
  if (plan.chunkSize !== undefined && !(Number.isInteger(plan.chunkSize) && plan.chunkSize >= 1 && plan.chunkSize <= plan.batchSize)) {
    bad(`chunk size must be a whole number from 1 to the batch size (${plan.batchSize}), got ${plan.chunkSize}`);
  }
  if (plan.tta !== undefined && plan.tta !== 'none' && plan.tta !== 'flip') bad(`tta must be "none" or "flip", got ${JSON.stringify(plan.tta)}`);
  if (plan.mixup && !(plan.mixup.alpha > 0 && Number.isFinite(plan.mixup.alpha))) bad(`mixup alpha must be a positive number, got ${plan.mixup.alpha}`);
  if (plan.cutmix && !(plan.cutmix.alpha > 0 && Number.isFinite(plan.cutmix.alpha))) bad(`cutmix alpha must be a positive number, got ${plan.cutmix.alpha}`);
  if (plan.mixup && plan.cutmix) bad('a plan takes mixup or cutmix, not both');
  if (plan.ema && !(plan.ema.decay > 0 && plan.ema.decay < 1)) bad(`ema decay must be between 0 and 1, got ${plan.ema.decay}`);
  if (plan.phases.length === 0) bad('it has no phases');
  for (const phase of plan.phases) {
    if (!Number.isInteger(phase.epochs) || phase.epochs < 0) bad(`phase "${phase.name}" epochs must be a whole number ≥ 0, got ${phase.epochs}`);
    if (phase.train.length === 0) bad(`phase "${phase.name}" trains no group`);
    for (const g of phase.train) if (!PARAM_GROUPS.includes(g)) bad(`phase "${phase.name}" names unknown group "${g}" (groups: ${PARAM_GROUPS.join(', ')})`);
    for (const g of phase.train) {
      const lr = groupLr(phase, g);
      if (!(lr > 0) || !Number.isFinite(lr)) bad(`phase "${phase.name}" learning rate of ${g} must be a positive number, got ${lr}`);
    }
    if ((phase.weightDecay ?? 0) < 0) bad(`phase "${phase.name}" weight decay must be ≥ 0`);
  }
  const ls = plan.loss?.labelSmoothing ?? 0;
  if (ls < 0 || ls >= 1) bad(`label smoothing must be in [0, 1), got ${ls}`);
  for (const [name, w] of [['class weights', plan.loss?.classWeights], ['pos weight', plan.loss?.posWeight]] as const) {
    if (Array.isArray(w) && !w.every((v) => v > 0)) bad(`${name} must be positive, got ${JSON.stringify(w)}`);
  }
  if (plan.augmentation) augmentationProblems(plan.augmentation).forEach(bad);
}

/** What is out of range in an augmentation (an empty list when nothing is). */
function augmentationProblems(a: Augmentation): string[] {
  const within = (name: string, v: number | undefined, lo: number, hi: number) => (v === undefined || (v >= lo && v <= hi) ? [] : [`augmentation ${name} must be in [${lo}, ${hi}], got ${v}`]);
  const crop = a.cropScale;
  return [
    ...within('hflip', a.hflip, 0, 1),
    ...within('rotate', a.rotate, 0, 180),
    ...within('translate', a.translate, 0, 0.5),
    ...within('brightness', a.brightness, 0, 1),
    ...within('contrast', a.contrast, 0, 1),
    ...(crop && !(crop[0] > 0 && crop[0] <= crop[1] && crop[1] <= 1) ? [`augmentation cropScale must be [a, b] with 0 < a ≤ b ≤ 1, got ${JSON.stringify(crop)}`] : []),
  ];
}
