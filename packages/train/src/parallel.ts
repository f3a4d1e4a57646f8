import type * as tf from '@tensorflow/tfjs-core';
import type { BatchNormMode, ParamGroup, ResNet18 } from '@medxfer/models';
import type { CrossEntropyOptions } from './loss.js';

/** One batch for {@link ParallelGradients.batchGradients}. */
export interface BatchGradientRequest {
  /** The model whose current parameters and running stats the gradients are of; its running stats and `batchesTracked` are updated. */
  readonly model: ResNet18;
  /** The parameters to differentiate (torchvision names). */
  readonly names: readonly string[];
  /** BatchNorm mode per group. */
  readonly bn: Readonly<Record<ParamGroup, BatchNormMode>>;
  readonly loss: CrossEntropyOptions;
  /** The batch, NHWC, and its integer labels. */
  readonly images: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly labels: Int32Array;
  /** Images per chunk: the batch is cut into chunks of this size in order (the last may be smaller). */
  readonly chunkSize: number;
}

export interface BatchGradients {
  /** Σ over chunks of (chunk size / batch size) · chunk loss, summed in chunk order. */
  readonly loss: number;
  /** argmax of the logits, per image of the batch. */
  readonly predicted: Int32Array;
  /** Σ over chunks of the size-weighted loss gradients, by parameter name. The caller disposes them. */
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * Computes a batch's gradient as the size-weighted sum of its chunks' gradients with the chunks computed
 * at the same time (e.g. on worker threads: `createGradientWorkers` in `@medxfer/train/node`). The result
 * is the trainer's micro-batch path with `microBatchSize = chunkSize` up to float summation order:
 * BatchNorm in train mode uses each chunk's statistics, and the running stats and `num_batches_tracked`
 * move once per chunk, in chunk order.
 */
export interface ParallelGradients {
  /** How many chunks are computed at once (threads, the main one included). */
  readonly parallelism: number;
  batchGradients(request: BatchGradientRequest): Promise<BatchGradients>;
}
