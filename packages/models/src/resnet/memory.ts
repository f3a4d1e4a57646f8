import { WASM_HEAP_LIMIT } from '../wasm/heap-guard.js';

// How much of a backend's memory a ResNet18 step holds at its peak, so a caller can choose a micro-batch that
// fits tfjs-wasm's 4 GiB heap before it runs out. Measured with the heap guard's peak on tfjs-wasm with
// medxfer's kernels (packages/models/test/memory-estimate.test.ts checks the estimate stays above it):
// a training step holds ≈ 1,200 bytes per input pixel per image (64–224 px), inference in one tidy 760–1,210.

/** Bytes held per input pixel of each image at the peak of a step (the measured 1,200 and a margin). */
const BYTES_PER_PIXEL = 1_300;
/** torchvision's ResNet18 with a two-class head; more classes add a few kilobytes. */
const RESNET18_PARAMETERS = 11_177_538;

/** A step of ResNet18 whose peak memory to estimate. */
export interface StepMemoryOptions {
  /** Side of the square input in pixels. */
  readonly inputSize: number;
  /** Images computed at once (a micro-batch or an evaluation batch). */
  readonly images: number;
  /** Forward and backward with an optimiser's state (true), or inference. */
  readonly training: boolean;
  /** Images of the whole batch, held as input while its chunks are computed (default: `images`). */
  readonly batch?: number;
  readonly channels?: 1 | 3;
  /**
   * Volumes (a `volume` model): the input's depth. Activations hold `depth / 2` slices after the stride-2 stem and
   * fewer after each later stage; counted as `depth / 2` slices throughout, an upper estimate that also covers ACS's
   * transposed copies.
   */
  readonly depth?: number;
}

/** The part of tfjs-wasm's heap a step may plan to use: what the allocator's growth and fragmentation leave. */
export const WASM_STEP_BUDGET = Math.floor(WASM_HEAP_LIMIT * 0.85);

/** Estimated bytes a ResNet18 step holds at its peak (an upper estimate; see the measurements above). */
export function resnet18StepBytes(options: StepMemoryOptions): number {
  const weights = RESNET18_PARAMETERS * 4;
  // Training: weights, gradients, accumulated gradients, two Adam moments and one kept copy (EMA or best epoch).
  const state = options.training ? weights * 6 : weights * 1.5;
  const pixels = options.inputSize ** 2;
  const input = (options.batch ?? options.images) * pixels * (options.depth ?? 1) * (options.channels ?? 1) * 4 * 2;
  const slices = options.depth ? Math.max(1, options.depth / 2) : 1;
  return state + input + options.images * pixels * slices * BYTES_PER_PIXEL;
}

/**
 * The largest of `images`, `images / 2`, `images / 4`, … whose step fits `budget` bytes (halving keeps
 * power-of-two batches evenly divided), or undefined when not even one image fits.
 */
export function imagesThatFit(options: StepMemoryOptions, budget = WASM_STEP_BUDGET): number | undefined {
  for (let images = options.images; images >= 1; images = Math.floor(images / 2)) {
    if (resnet18StepBytes({ ...options, images }) <= budget) return images;
  }
  return undefined;
}
