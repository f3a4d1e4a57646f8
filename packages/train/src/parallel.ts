import type { ResNet18 } from '@medxfer/models';
import type { StepResult, StepSpec } from './step.js';
import type { TestTimeAugmentation } from './plan.js';
import type { TaskKind, Targets } from './task.js';

/** One batch for {@link ParallelGradients.batchGradients}. */
export interface BatchGradientRequest {
  /** The model whose current parameters and running stats the gradients are of; its running stats and `batchesTracked` are updated. */
  readonly model: ResNet18;
  /** What to differentiate, the BatchNorm modes and the loss. */
  readonly spec: StepSpec;
  /** The batch, NHWC (volumes NDHWC), and its targets. */
  readonly images: Float32Array;
  readonly shape: readonly number[];
  readonly targets: Targets;
  /** Images per chunk: the batch is cut into chunks of this size in order (the last may be smaller). */
  readonly chunkSize: number;
}

/** One batch to predict with its images shared across threads, for {@link ParallelGradients.probabilities}. */
export interface PredictRequest {
  readonly model: ResNet18;
  /** NHWC images (volumes NDHWC). */
  readonly images: Float32Array;
  readonly shape: readonly number[];
  readonly task: TaskKind;
  readonly tta?: TestTimeAugmentation;
}

/** Σ over chunks of the size-weighted losses, correct decisions and gradients (see {@link StepResult}). */
export type BatchGradients = StepResult;

/**
 * Computes a batch's gradient as the size-weighted sum of its chunks' gradients with the chunks computed
 * at the same time (e.g. on worker threads: `createGradientWorkers` in `@medxfer/train/node`). The result
 * is `batchGradients` (the micro-batch path) with that chunk size up to float summation order:
 * BatchNorm in train mode uses each chunk's statistics, and the running stats and `num_batches_tracked`
 * move once per chunk, in chunk order.
 */
export interface ParallelGradients {
  /** How many chunks are computed at once (threads, the main one included). */
  readonly parallelism: number;
  batchGradients(request: BatchGradientRequest): Promise<BatchGradients>;
  /**
   * The batch's probabilities in eval mode, its images cut into one contiguous share per thread (the first on
   * the calling thread): `predictSplit` uses it when given these threads. Each image's values are those of the
   * one-thread path (eval mode treats every image alone).
   */
  probabilities?(request: PredictRequest): Promise<Float32Array>;
}
