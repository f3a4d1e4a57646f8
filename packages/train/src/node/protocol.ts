// Messages between createGradientWorkers and its worker threads.
import type { Normalization } from '@medxfer/data';
import type { VolumeConvolution } from '@medxfer/models';
import type { TestTimeAugmentation } from '../plan.js';
import type { StepSpec } from '../step.js';
import type { TaskKind, Targets } from '../task.js';

/** The model's variables (parameters, then running stats) laid out in one SharedArrayBuffer. */
export interface LayoutMessage {
  readonly type: 'layout';
  readonly numClasses: number;
  readonly input: 'rgb' | 'grey' | 'single';
  readonly normalization?: Normalization;
  readonly volume?: VolumeConvolution;
  readonly buffer: SharedArrayBuffer;
  /** This worker's gradients, at the same offsets as the variables in `buffer`. */
  readonly grads: SharedArrayBuffer;
  readonly vars: readonly { name: string; shape: number[]; offset: number; size: number }[];
}

export interface ComputeMessage {
  readonly type: 'compute';
  readonly id: number;
  /** Indices into the layout's `vars` whose values changed since the last request. */
  readonly changed: readonly number[];
  readonly spec: StepSpec;
  readonly chunks: readonly { images: Float32Array; shape: [number, number, number, number]; targets: Targets; weight: number }[];
}

/** The worker's gradients, summed over its chunks, are in its `grads` buffer when this arrives. */
export interface ComputeReply {
  readonly type: 'result';
  readonly id: number;
  /** Per chunk, in order. */
  readonly losses: number[];
  readonly correct: number[];
  /** Per chunk: running-stat name → momentum·(the chunk's batch statistic), for train-mode BatchNorms. */
  readonly stats: Record<string, Float32Array>[];
  /** num_batches_tracked increments over the worker's chunks. */
  readonly tracked: Record<string, number>;
  readonly numTensors: number;
}

/** Probabilities of a share of a batch (eval mode), for ParallelGradients.probabilities. */
export interface PredictMessage {
  readonly type: 'predict';
  readonly id: number;
  readonly changed: readonly number[];
  readonly images: Float32Array;
  readonly shape: readonly number[];
  readonly task: TaskKind;
  readonly tta?: TestTimeAugmentation;
}

export interface PredictReply {
  readonly type: 'probabilities';
  readonly id: number;
  readonly values: Float32Array;
}

export type WorkerReply =
  | ComputeReply
  | PredictReply
  | { readonly type: 'memory'; readonly id: number; readonly numTensors: number }
  | {
      readonly type: 'error'; readonly id: number; readonly message: string; readonly stack: string;
      /** Set when the worker's wasm heap ran out (a WasmOutOfMemoryError's sizes). */
      readonly outOfMemory?: { readonly requestedBytes: number; readonly inUseBytes: number };
    };
