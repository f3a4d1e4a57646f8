/** How the learning rate moves within a phase; `lr` is the phase's peak/base rate. */
export type Schedule =
  | { kind: 'constant' }
  /** Multiply by `gamma` every `everyEpochs` epochs (torch StepLR). */
  | { kind: 'step'; everyEpochs: number; gamma: number }
  /** Multiply by `gamma` at each milestone epoch (torch MultiStepLR: from epoch `m`, 0-based, on). */
  | { kind: 'multi-step'; milestones: readonly number[]; gamma: number }
  /** Cosine annealing from lr to `minFactor`·lr over the phase (torch CosineAnnealingLR, per batch). */
  | { kind: 'cosine'; minFactor?: number }
  /**
   * One-cycle (torch OneCycleLR with cosine annealing, as fastai's fit_one_cycle): from lr/`divFactor` up to lr
   * over the first `pctStart` of the steps, then down to lr/(`divFactor`·`finalDivFactor`).
   */
  | { kind: 'one-cycle'; pctStart?: number; divFactor?: number; finalDivFactor?: number };

const cosineBetween = (from: number, to: number, t: number) => to + ((from - to) * (1 + Math.cos(Math.PI * t))) / 2;

/**
 * The multiplier of the base learning rate at `step` (0-based) of `totalSteps` in the phase,
 * with `stepsPerEpoch` for epoch-based schedules.
 */
export function lrFactor(schedule: Schedule, step: number, totalSteps: number, stepsPerEpoch: number): number {
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'step':
      return schedule.gamma ** Math.floor(step / stepsPerEpoch / schedule.everyEpochs);
    case 'multi-step': {
      const epoch = Math.floor(step / stepsPerEpoch);
      return schedule.gamma ** schedule.milestones.filter((m) => epoch >= m).length;
    }
    case 'cosine': {
      const min = schedule.minFactor ?? 0;
      return cosineBetween(1, min, totalSteps <= 1 ? 0 : step / (totalSteps - 1));
    }
    case 'one-cycle': {
      const pct = schedule.pctStart ?? 0.25;
      const div = schedule.divFactor ?? 25;
      const finalDiv = schedule.finalDivFactor ?? 1e4;
      // torch: the warm-up ends at step pct·total − 1, the annealing at total − 1.
      const warmEnd = Math.max(pct * totalSteps - 1, 0);
      const end = Math.max(totalSteps - 1, 1);
      if (step <= warmEnd && warmEnd > 0) return cosineBetween(1 / div, 1, step / warmEnd);
      return cosineBetween(1, 1 / (div * finalDiv), Math.min((step - warmEnd) / (end - warmEnd), 1));
    }
  }
}
