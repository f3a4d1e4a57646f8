import type { EpochRecord } from './history.js';
import type { Phase } from './plan.js';
import { encodeTrainingState, type CheckpointDigest, type TrainingState } from './state.js';

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
  /**
   * What `etaSeconds` covers: `run` (every phase left), or `phase` (this phase only) while a later phase of
   * another cost — e.g. all layers after a frozen-body head phase — has not run yet, so its speed is unknown.
   */
  readonly etaScope: 'run' | 'phase';
}

/** What callbacks may do to the run. */
export interface TrainerControl {
  /** Stops after the current epoch (e.g. early stopping). */
  stop(reason: string): void;
  /** The state to resume from after this epoch. */
  state(): Promise<TrainingState>;
}

export interface Callback {
  onPhaseStart?(phase: Phase, index: number): void | Promise<void>;
  onBatchEnd?(progress: BatchProgress): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, control: TrainerControl): void | Promise<void>;
}


/** Stops when the validation metric has not improved for `patience` epochs. */
export function earlyStopping(options: { metric: 'valAuc' | 'valAcc' | 'valLoss'; patience: number; minDelta?: number }): Callback {
  let best = -Infinity;
  let since = 0;
  return {
    onEpochEnd(record: EpochRecord, control) {
      const raw = record[options.metric];
      if (raw === undefined) return;
      const value = options.metric === 'valLoss' ? -raw : raw;
      if (value > best + (options.minDelta ?? 0)) (best = value), (since = 0);
      else if (++since >= options.patience) control.stop(`no ${options.metric} improvement for ${options.patience} epochs`);
    },
  };
}

/** Saves a resumable, sealed training state after every epoch through `write` (make it atomic: see writeFileAtomic). */
export function checkpointEachEpoch(write: (bytes: Uint8Array, state: TrainingState) => Promise<void>, digest: CheckpointDigest = {}): Callback {
  return {
    async onEpochEnd(_record, control) {
      const state = await control.state();
      await write(encodeTrainingState(state, digest), state);
    },
  };
}
