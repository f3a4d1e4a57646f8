import { PARAM_GROUPS, type ParamGroup } from '@medxfer/models';
import { XRAY_AUGMENTATION } from '@medxfer/data';
import { PlanError } from './errors.js';
import type { Plan } from './plan.js';

export interface NotebookOptions {
  epochsHead?: number;
  lrHead?: number;
  epochsFull?: number;
  lrFull?: number;
  batchSize?: number;
  seed?: number;
}

/**
 * The course notebook, verbatim: phase 1 trains the new `fc` (Adam 1e-3, 3 epochs) with the body frozen
 * by `requires_grad=False` while the model is in train mode — so the body's BatchNorms still use batch
 * statistics and update their running stats; phase 2 trains everything (a new Adam, 1e-5, 5 epochs).
 * Batch 32, seed 42, no augmentation, no weight decay, constant learning rates.
 */
export function notebookPlan(o: NotebookOptions = {}): Plan {
  return {
    name: 'notebook',
    batchSize: o.batchSize ?? 32,
    seed: o.seed ?? 42,
    phases: [
      { name: 'head', epochs: o.epochsHead ?? 3, train: ['head'], lr: o.lrHead ?? 1e-3, optimizer: { kind: 'adam' }, frozenBn: 'train' },
      { name: 'full', epochs: o.epochsFull ?? 5, train: PARAM_GROUPS, lr: o.lrFull ?? 1e-5, optimizer: { kind: 'adam' } },
    ],
  };
}

export interface FineTuneOptions {
  epochs?: number;
  freezeEpochs?: number;
  baseLr?: number;
  lrMult?: number;
  pctStart?: number;
  div?: number;
  weightDecay?: number;
  batchSize?: number;
  seed?: number;
}

/** Learning rates spread geometrically from `low` (stem) to `high` (head), as fastai's `slice(low, high)`. */
export function discriminativeLrs(low: number, high: number, groups: readonly ParamGroup[] = PARAM_GROUPS): Record<ParamGroup, number> {
  const out = {} as Record<ParamGroup, number>;
  groups.forEach((g, i) => (out[g] = groups.length === 1 ? high : low * (high / low) ** (i / (groups.length - 1))));
  return out;
}

/**
 * fastai's `fine_tune(epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5)`:
 * one-cycle on the head with the body frozen (BatchNorms kept training, fastai's train_bn), then base_lr/2,
 * unfreeze, and one-cycle over all groups with learning rates from base_lr/2/lr_mult to base_lr/2.
 * AdamW with decoupled weight decay 0.01 (fastai's default true_wd).
 */
export function fineTunePlan(o: FineTuneOptions = {}): Plan {
  const base = o.baseLr ?? 2e-3;
  const wd = o.weightDecay ?? 0.01;
  const half = base / 2;
  return {
    name: 'fine-tune',
    batchSize: o.batchSize ?? 32,
    seed: o.seed ?? 42,
    phases: [
      { name: 'frozen', epochs: o.freezeEpochs ?? 1, train: ['head'], lr: base, optimizer: { kind: 'adamw' }, weightDecay: wd, schedule: { kind: 'one-cycle', pctStart: 0.99, divFactor: 25 }, frozenBn: 'train' },
      { name: 'unfrozen', epochs: o.epochs ?? 5, train: PARAM_GROUPS, lr: discriminativeLrs(half / (o.lrMult ?? 100), half), optimizer: { kind: 'adamw' }, weightDecay: wd, schedule: { kind: 'one-cycle', pctStart: o.pctStart ?? 0.3, divFactor: o.div ?? 5 } },
    ],
  };
}

export interface ScratchOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
}

/**
 * Training from random weights (no ImageNet): one phase, all groups, AdamW one-cycle with weight decay,
 * x-ray augmentation whose rotations and shifts replicate the border instead of filling black (validation
 * loss .110 against .124, experiments/notes.md) and label smoothing; batches of 128 computed in two chunks
 * of 64 (BatchNorm per chunk; the CLI computes them on two threads); an exponential moving average of the
 * weights (decay 0.98 per step) is the model validated and kept, with its BatchNorm statistics recomputed
 * on the un-augmented training images at the end; evaluation averages each image with its mirror image.
 */
export function scratchPlan(o: ScratchOptions = {}): Plan {
  const batchSize = o.batchSize ?? 128;
  return {
    name: 'scratch',
    batchSize,
    ...(batchSize > 64 ? { chunkSize: 64 } : {}),
    seed: o.seed ?? 42,
    augmentation: { ...XRAY_AUGMENTATION, fill: 'edge' },
    loss: { labelSmoothing: 0.05 },
    ema: { decay: 0.98 },
    recomputeBnStats: true,
    tta: 'flip',
    phases: [{ name: 'all', epochs: o.epochs ?? 24, train: PARAM_GROUPS, lr: o.lr ?? 2e-3, optimizer: { kind: 'adamw' }, weightDecay: 0.05, schedule: { kind: 'one-cycle', pctStart: 0.2, divFactor: 25 } }],
  };
}

export interface MedmnistV2Options {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
}

/**
 * MedMNIST v2's published training protocol for its ResNet-18 baselines (Yang et al., Scientific Data 2023):
 * Adam at 1e-3, batch 128, 100 epochs, the learning rate ×0.1 at epochs 50 and 75 (half and three quarters of
 * `epochs`), cross-entropy (BCE with logits for multi-label sets), no augmentation, and the weights of the
 * epoch with the best validation AUC — so the paper's table can be reproduced on any 2D MedMNIST dataset.
 * (The paper normalises with mean = std = 0.5; medxfer feeds the model its own input pipeline.)
 */
export function medmnistV2Plan(o: MedmnistV2Options = {}): Plan {
  const epochs = o.epochs ?? 100;
  return {
    name: 'medmnist-v2',
    batchSize: o.batchSize ?? 128,
    seed: o.seed ?? 42,
    keepBest: { metric: 'auc' },
    phases: [{
      name: 'all', epochs, train: PARAM_GROUPS, lr: o.lr ?? 1e-3, optimizer: { kind: 'adam' },
      schedule: { kind: 'multi-step', milestones: [Math.round(epochs * 0.5), Math.round(epochs * 0.75)], gamma: 0.1 },
    }],
  };
}

export const PRESETS = { notebook: notebookPlan, 'fine-tune': fineTunePlan, scratch: scratchPlan, 'medmnist-v2': medmnistV2Plan } as const;
export type PresetName = keyof typeof PRESETS;

export function presetPlan(name: string, options: Record<string, number | undefined> = {}): Plan {
  const make = (PRESETS as Record<string, (o: Record<string, number | undefined>) => Plan>)[name];
  if (!make) throw new PlanError(`unknown preset "${name}"; presets: ${Object.keys(PRESETS).join(', ')}`);
  return make(options);
}
