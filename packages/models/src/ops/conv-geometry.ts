/** A 2D convolution as torchvision uses it: NHWC input, HWIO filter, symmetric zero padding, no bias. */
export interface Conv2dSpec {
  readonly stride: number;
  readonly pad: number;
  /** Whether the input needs a gradient (false for the first layer: saves a whole backward conv). */
  readonly inputGrad: boolean;
}

/** Taps of one axis that read at least one real (non-padding) input element: [first, count] (they are contiguous). */
export function liveTaps(kernel: number, stride: number, pad: number, inSize: number, outSize: number): [number, number] {
  let first = -1;
  let last = -1;
  for (let t = 0; t < kernel; t++) {
    // Tap t reads input rows t − pad + stride·o for o in [0, outSize).
    let live = false;
    for (let o = 0; o < outSize && !live; o++) live = t - pad + stride * o >= 0 && t - pad + stride * o < inSize;
    if (live) {
      if (first < 0) first = t;
      last = t;
    }
  }
  return [first, last - first + 1];
}

/** Output size of a convolution axis. */
export const outSizeOf = (inSize: number, kernel: number, stride: number, pad: number) => Math.floor((inSize + 2 * pad - kernel) / stride) + 1;
