import * as tf from '@tensorflow/tfjs-core';
import { InputShapeError, ModelError } from '../errors.js';
import { STAGES, type StageName } from '../resnet/architecture.js';
import type { ModelTensor, ResNet18 } from '../resnet/model.js';

/** A Grad-CAM map of one image (or volume) at the resolution of the stage it looked at. */
export interface GradCamResult {
  /** Row-major `height × width` map (volumes: `depth × height × width`), min-max normalised to [0, 1] (all 0 when flat). */
  readonly heatmap: Float32Array;
  /** Volumes: the stage's depth. */
  readonly depth?: number;
  /** The stage whose output the map is of. */
  readonly layer: StageName;
  /** That stage's height and width (layer4: input size / 32, rounded up; layer1: / 4). */
  readonly height: number;
  readonly width: number;
  /** The class explained. */
  readonly classIndex: number;
  /** The model's class probabilities for the image, by {@link GradCamOptions.activation}. */
  readonly probabilities: Float32Array;
}

/** The side of each stage's output map for an input side of `size` px (conv1 and max-pool halve it, rounding up, then each later stage). */
export function stageMapSize(size: number, layer: StageName): number {
  let side = Math.ceil(Math.ceil(size / 2) / 2);
  for (let k = 0; k < STAGES.indexOf(layer); k++) side = Math.ceil(side / 2);
  return side;
}

/** The deepest stage whose map is at least `minSide` × `minSide` (7 by default: ResNet18's layer4 at 224 px), else `layer1`. */
export function camLayerFor(size: number, minSide = 7): StageName {
  return [...STAGES].reverse().find((layer) => stageMapSize(size, layer) >= minSide) ?? 'layer1';
}

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /**
   * The stage whose output the map explains: `auto` (default) takes the deepest one with a map of at least 7×7
   * (`camLayerFor`: layer4 at 224 px, layer2 at 64, layer1 at 28 — where layer4 is a single cell and cannot localise).
   */
  readonly layer?: StageName | 'auto';
  /**
   * How the head's logits become `probabilities`: `softmax` over classes (single-label tasks; the default) or a
   * `sigmoid` per output (multi-label tasks, and the default for a one-output head).
   */
  readonly activation?: 'softmax' | 'sigmoid';
}

/**
 * Grad-CAM (Selvaraju et al., 2017) of `model` on one NHWC image `x` ([1, H, W, C]; a volume model: one NDHWC volume) for
 * `classIndex` (default: the class of the largest logit). The target is the class's logit (pre-softmax)
 * score y^c; with A the activations of the chosen stage (see {@link GradCamOptions.layer}), the channel
 * weights are the spatial mean of ∂y^c/∂A_k, and the map is ReLU(Σ_k w_k A_k), then min-max normalised to
 * [0, 1]. Runs in eval mode (frozen BatchNorm, running stats untouched) and keeps no tensors.
 *
 * @throws {InputShapeError} when `x` is not a single image the model takes.
 * @throws {ModelError} (`CLASS_INDEX`) when `classIndex` is not a class of the model.
 */
export async function gradCam(model: ResNet18, x: ModelTensor, classIndex?: number, options: GradCamOptions = {}): Promise<GradCamResult> {
  const rank = model.volume ? 5 : 4;
  if (x.rank !== rank || x.shape[0] !== 1) {
    throw new InputShapeError(`gradCam explains one ${model.volume ? 'volume' : 'image'} at a time: pass [1, ${model.volume ? 'D, ' : ''}H, W, C], got [${x.shape.join(', ')}]`);
  }
  // The axes of the map: [1, 2] of images, [1, 2, 3] of volumes.
  const spatial = rank === 5 ? [1, 2, 3] : [1, 2];
  const classes = model.numClasses;
  if (classIndex !== undefined && (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes)) {
    throw new ModelError('CLASS_INDEX', `gradCam: classIndex must be an integer in [0, ${classes - 1}] for this ${classes}-class model, got ${classIndex}`);
  }
  const layer = !options.layer || options.layer === 'auto' ? camLayerFor(Math.min(...x.shape.slice(1, rank - 1))) : options.layer;
  const eval_ = { bn: 'frozen', updateStats: false } as const;
  const logitsOf = (a: tf.Tensor) => model.head(tf.mean(model.continueFrom(a as ModelTensor, layer, eval_), spatial) as tf.Tensor2D);
  const sigmoid = (options.activation ?? (classes === 1 ? 'sigmoid' : 'softmax')) === 'sigmoid';
  const activations = tf.tidy(() => model.layerOutput(x, layer, eval_));
  const channels = activations.shape[rank - 1]!;
  const [depth, height, width] = rank === 5 ? (activations.shape.slice(1, 4) as [number, number, number]) : [1, ...(activations.shape.slice(1, 3) as [number, number])];
  try {
    // Read asynchronously (WebGPU has no synchronous read): logits and probabilities first, for the class.
    const [logits, probs] = tf.tidy(() => {
      const l = logitsOf(activations);
      return [l, sigmoid ? tf.sigmoid(l) : tf.softmax(l)];
    });
    const [logitValues, probabilities] = await Promise.all([logits.data(), probs.data()]).finally(() => tf.dispose([logits, probs]));
    let c = classIndex ?? 0;
    if (classIndex === undefined) for (let k = 1; k < classes; k++) if (logitValues[k]! > logitValues[c]!) c = k;
    const cam = tf.tidy(() => {
      // The score depends on the input only through A: ∂y^c/∂A needs no pass back through the stages before it.
      const score = (a: tf.Tensor) => tf.squeeze(tf.slice(logitsOf(a), [0, c], [1, 1]));
      const dA = tf.grad(score)(activations);
      const weights = tf.mean(dA, [0, ...spatial]); // [512]
      return tf.relu(tf.sum(tf.mul(tf.reshape(activations, [depth * height * width, channels]), weights), 1));
    });
    const camValues = await cam.data().finally(() => cam.dispose());
    return { heatmap: normaliseMinMax(camValues), layer, ...(rank === 5 ? { depth } : {}), height, width, classIndex: c, probabilities: Float32Array.from(probabilities) };
  } finally {
    activations.dispose();
  }
}

/** Min-max normalisation to [0, 1] into a new array; a flat (or empty) map becomes all zeros. */
export function normaliseMinMax(values: ArrayLike<number>): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = new Float32Array(values.length);
  const range = max - min;
  if (!(range > 0) || !Number.isFinite(range)) return out;
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - min) / range;
  return out;
}

function checkSize(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new InputShapeError(`${fn}: ${name} must be a positive integer, got ${v}`);
}

/**
 * Bilinear resize of a row-major `height × width` map to `outHeight × outWidth`, with half-pixel
 * centres and edge clamping (`F.interpolate(mode='bilinear', align_corners=False)`, OpenCV's `resize`).
 */
export function upsampleHeatmap(heatmap: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  for (const [name, v] of [['height', height], ['width', width], ['outHeight', outHeight], ['outWidth', outWidth]] as const) checkSize('upsampleHeatmap', name, v);
  if (heatmap.length !== height * width) {
    throw new InputShapeError(`upsampleHeatmap: a ${height}×${width} map has ${height * width} values, got ${heatmap.length}`);
  }
  const out = new Float32Array(outHeight * outWidth);
  const sy = height / outHeight;
  const sx = width / outWidth;
  const x0s = new Int32Array(outWidth);
  const x1s = new Int32Array(outWidth);
  const fxs = new Float64Array(outWidth);
  for (let ox = 0; ox < outWidth; ox++) {
    const fx = Math.min(Math.max((ox + 0.5) * sx - 0.5, 0), width - 1);
    x0s[ox] = Math.floor(fx);
    x1s[ox] = Math.min(x0s[ox]! + 1, width - 1);
    fxs[ox] = fx - x0s[ox]!;
  }
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(Math.max((oy + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const ty = fy - y0;
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = x0s[ox]!;
      const x1 = x1s[ox]!;
      const tx = fxs[ox]!;
      const top = heatmap[y0 * width + x0]! * (1 - tx) + heatmap[y0 * width + x1]! * tx;
      const bottom = heatmap[y1 * width + x0]! * (1 - tx) + heatmap[y1 * width + x1]! * tx;
      out[oy * outWidth + ox] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/**
 * The jet colour map at `v` (clamped to [0, 1]): dark blue → blue → cyan → yellow → red → dark red,
 * as RGB in [0, 1]. r = clamp(1.5 − |4v − 3|), g = clamp(1.5 − |4v − 2|), b = clamp(1.5 − |4v − 1|).
 */
export function jetColour(v: number): [number, number, number] {
  const t = Number.isNaN(v) ? 0 : Math.min(Math.max(v, 0), 1);
  const clamp = (u: number) => Math.min(Math.max(u, 0), 1);
  return [clamp(1.5 - Math.abs(4 * t - 3)), clamp(1.5 - Math.abs(4 * t - 2)), clamp(1.5 - Math.abs(4 * t - 1))];
}

/**
 * Blends a heatmap (values in [0, 1], same `width × height` as the image; see
 * {@link upsampleHeatmap}) over an image: `out = round((1 − alpha)·pixel + alpha·255·jet(heat))` per
 * channel, opaque. `pixels` are row-major, interleaved, with 1 (grey), 3 (RGB) or 4 (RGBA, whose
 * alpha is ignored) channels. Returns RGBA bytes (`width × height × 4`).
 */
export function overlayHeatmap(pixels: Uint8Array, width: number, height: number, channels: number, heatmap: ArrayLike<number>, alpha = 0.45): Uint8Array {
  checkSize('overlayHeatmap', 'width', width);
  checkSize('overlayHeatmap', 'height', height);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new InputShapeError(`overlayHeatmap: channels must be 1, 3 or 4, got ${channels}`);
  const n = width * height;
  if (pixels.length !== n * channels) {
    throw new InputShapeError(`overlayHeatmap: a ${width}×${height} image with ${channels} channel(s) has ${n * channels} bytes, got ${pixels.length}`);
  }
  if (heatmap.length !== n) {
    throw new InputShapeError(`overlayHeatmap: the heatmap must match the image (${width}×${height} = ${n} values), got ${heatmap.length}; upsample it first`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new InputShapeError(`overlayHeatmap: alpha must be in [0, 1], got ${alpha}`);
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const colour = jetColour(heatmap[i]!);
    for (let k = 0; k < 3; k++) {
      const base = channels === 1 ? pixels[i]! : pixels[i * channels + k]!;
      out[i * 4 + k] = Math.round((1 - alpha) * base + alpha * 255 * colour[k]!);
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
