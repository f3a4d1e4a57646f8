import type { Callback, EpochRecord } from './trainer.js';
import { encodeTrainingState, type TrainingState } from './state.js';

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

/** Saves a resumable training state after every epoch through `write` (make it atomic: see writeFileAtomic). */
export function checkpointEachEpoch(write: (bytes: Uint8Array, state: TrainingState) => Promise<void>): Callback {
  return {
    async onEpochEnd(_record, control) {
      const state = control.state();
      await write(encodeTrainingState(state), state);
    },
  };
}
