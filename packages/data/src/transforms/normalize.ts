/** Per-channel mean and standard deviation, applied as `(x - mean) / std` to values in [0, 1]. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** torchvision's ImageNet statistics (the notebook's `Normalize`). */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** MedMNIST's examples: `Normalize(mean=[.5], std=[.5])`. */
export const HALF_NORMALIZATION: Normalization = { mean: [0.5], std: [0.5] };
/** No normalisation: values stay in [0, 1]. */
export const NO_NORMALIZATION: Normalization = { mean: [0], std: [1] };

/** The statistics for channel `c` (one-channel statistics apply to every channel). */
export function channelStats(norm: Normalization, c: number): { mean: number; std: number } {
  const i = norm.mean.length === 1 ? 0 : c;
  return { mean: norm.mean[i]!, std: norm.std[i]! };
}
