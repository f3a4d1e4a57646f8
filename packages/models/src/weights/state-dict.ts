import * as tf from '@tensorflow/tfjs-core';
import { StateDictMismatchError } from '../errors.js';
import type { ResNet18, StateTensor } from '../resnet/model.js';

/** What a checkpoint reader hands over: a tensor's PyTorch shape and values (floats as float32). */
export interface TorchTensor {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
}

export interface LoadStateOptions {
  /** Refuse missing, unexpected or mis-shaped keys (default true). */
  strict?: boolean;
  /**
   * Leave the model's own `fc` in place when the checkpoint's has another number of classes
   * (e.g. ImageNet's 1000 into a 2-class head); default true.
   */
  dropMismatchedHead?: boolean;
}

export interface LoadStateReport {
  readonly loaded: string[];
  readonly missing: string[];
  readonly unexpected: string[];
  readonly misshaped: { name: string; expected: number[]; actual: number[] }[];
  /** True when the checkpoint's `fc` was left out because its class count differs. */
  readonly headDropped: boolean;
  /**
   * 2D kernels loaded into a `3d` model's 3D ones, inflated as I3D does (Carreira & Zisserman): repeated along the
   * depth and divided by its size, so a volume constant along the depth gives the 2D response away from its ends.
   */
  readonly inflated: string[];
}

/** PyTorch shape of a model variable (tfjs stores HWIO convs and [in, out] linear weights). */
function torchShape(name: string, v: tf.Variable): number[] {
  if (v.rank === 5) return [v.shape[4]!, v.shape[3]!, v.shape[0]!, v.shape[1]!, v.shape[2]!];
  if (v.rank === 4) return [v.shape[3]!, v.shape[2]!, v.shape[0]!, v.shape[1]!];
  if (name === 'fc.weight') return [v.shape[1]!, v.shape[0]!];
  return [...v.shape];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function toFloat32(data: TorchTensor['data']): Float32Array {
  if (data instanceof Float32Array) return data;
  return Float32Array.from(data as ArrayLike<number | bigint>, Number);
}

/** OIHW → HWIO. */
function oihwToHwio(src: Float32Array, [o, i, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(src.length);
  for (let oo = 0; oo < o!; oo++)
    for (let ii = 0; ii < i!; ii++)
      for (let y = 0; y < h!; y++)
        for (let x = 0; x < w!; x++) out[((y * w! + x) * i! + ii) * o! + oo] = src[((oo * i! + ii) * h! + y) * w! + x]!;
  return out;
}

function hwioToOihw(src: Float32Array, [h, w, i, o]: readonly number[]): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h!; y++)
    for (let x = 0; x < w!; x++)
      for (let ii = 0; ii < i!; ii++)
        for (let oo = 0; oo < o!; oo++) out[((oo * i! + ii) * h! + y) * w! + x] = src[((y * w! + x) * i! + ii) * o! + oo]!;
  return out;
}

/** OIDHW → DHWIO (a 3D kernel; bit-exact, through tfjs). */
const oidhwToDhwio = (src: Float32Array, shape: readonly number[]) => tf.tidy(() => tf.transpose(tf.tensor(src, [...shape]), [2, 3, 4, 1, 0]).dataSync() as Float32Array);
const dhwioToOidhw = (src: Float32Array, shape: readonly number[]) => tf.tidy(() => tf.transpose(tf.tensor(src, [...shape]), [4, 3, 0, 1, 2]).dataSync() as Float32Array);

/** A 2D kernel (OIHW) as a `depth`-deep 3D one (DHWIO): repeated along the depth, divided by it (I3D). */
function inflate(src: Float32Array, shape: readonly number[], depth: number): Float32Array {
  const hwio = oihwToHwio(src, shape);
  const out = new Float32Array(hwio.length * depth);
  for (let t = 0; t < depth; t++) for (let i = 0; i < hwio.length; i++) out[t * hwio.length + i] = hwio[i]! / depth;
  return out;
}

function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/**
 * Loads a torchvision ResNet18 state dict (names like `layer1.0.conv1.weight`) into the model,
 * transposing OIHW→HWIO and [out, in]→[in, out]. Values are copied bit for bit. Nothing is changed
 * when a strict load fails.
 */
export function loadStateDict(model: ResNet18, state: ReadonlyMap<string, TorchTensor>, options: LoadStateOptions = {}): LoadStateReport {
  const strict = options.strict ?? true;
  const variables = model.allVariables();
  const fc = state.get('fc.weight');
  const headDropped = (options.dropMismatchedHead ?? true) && fc !== undefined && fc.shape[0] !== model.numClasses;
  const missing: string[] = [];
  const misshaped: LoadStateReport['misshaped'] = [];
  const plan: [string, tf.Variable, TorchTensor][] = [];
  for (const [name, variable] of variables) {
    if (headDropped && name.startsWith('fc.')) continue;
    const tensor = state.get(name);
    if (!tensor) {
      missing.push(name);
      continue;
    }
    const expected = torchShape(name, variable);
    if (sameShape(expected, tensor.shape) || inflatable(expected, tensor.shape)) plan.push([name, variable, tensor]);
    else misshaped.push({ name, expected, actual: [...tensor.shape] });
  }
  const known = new Set([...variables.keys(), ...[...model.batchesTracked.keys()].map((p) => `${p}.num_batches_tracked`)]);
  const unexpected = [...state.keys()].filter((k) => !known.has(k));
  if (strict && (missing.length || unexpected.length || misshaped.length)) throw new StateDictMismatchError(missing, unexpected, misshaped);
  const inflated: string[] = [];
  for (const [name, variable, tensor] of plan) {
    let data = toFloat32(tensor.data);
    if (variable.rank === 5 && tensor.shape.length === 4) {
      data = inflate(data, tensor.shape, variable.shape[0]!);
      inflated.push(name);
    } else if (variable.rank === 5) data = oidhwToDhwio(data, tensor.shape);
    else if (variable.rank === 4) data = oihwToHwio(data, tensor.shape);
    else if (name === 'fc.weight') data = transpose2d(data, tensor.shape[0]!, tensor.shape[1]!);
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, 'float32')));
  }
  for (const prefix of model.batchesTracked.keys()) {
    const tracked = state.get(`${prefix}.num_batches_tracked`);
    if (tracked) model.batchesTracked.set(prefix, Number(tracked.data[0]));
  }
  return { loaded: plan.map(([n]) => n), missing, unexpected, misshaped, headDropped, inflated };
}

/** A 2D kernel `[O, I, k, k]` for a 3D one `[O, I, k, k, k]`. */
const inflatable = (expected: readonly number[], actual: readonly number[]) =>
  expected.length === 5 && actual.length === 4 && sameShape([expected[0]!, expected[1]!, expected[3]!, expected[4]!], actual);

/** The model's state dict in PyTorch's layouts and order-independent names (floats only; num_batches_tracked as numbers). */
export function stateDict(model: ResNet18): Map<string, StateTensor> {
  const out = new Map<string, StateTensor>();
  for (const [name, variable] of model.allVariables()) {
    let data = variable.dataSync() as Float32Array;
    if (variable.rank === 5) data = dhwioToOidhw(data, variable.shape);
    else if (variable.rank === 4) data = hwioToOihw(data, variable.shape);
    else if (name === 'fc.weight') data = transpose2d(data, variable.shape[0]!, variable.shape[1]!);
    out.set(name, { shape: torchShape(name, variable), data });
  }
  return out;
}

/** What {@link initFromCheckpoint} did. */
export interface InitReport {
  /** True when the model got a fresh `fc` (the checkpoint had none, or one with another class count). */
  readonly headReplaced: boolean;
  /** True when the checkpoint's 2D kernels were inflated into a `3d` model's (see {@link LoadStateReport.inflated}). */
  readonly inflated: boolean;
}

/**
 * Starts a model from a torchvision ResNet18 checkpoint the way transfer learning does: every body weight
 * loaded, and a fresh head (`model.fc = nn.Linear(512, classes)`, seeded) unless the checkpoint already has
 * one of the model's class count.
 *
 * @throws {StateDictMismatchError} when a body weight is missing or mis-shaped: not a ResNet18 checkpoint.
 */
export function initFromCheckpoint(model: ResNet18, state: ReadonlyMap<string, TorchTensor>, seed = 0): InitReport {
  const report = loadStateDict(model, state, { strict: false });
  const missing = report.missing.filter((k) => !k.startsWith('fc.'));
  if (missing.length || report.misshaped.length) throw new StateDictMismatchError(missing, [], report.misshaped);
  const headReplaced = report.headDropped || report.missing.includes('fc.weight');
  if (headReplaced) model.replaceHead(model.numClasses, seed);
  return { headReplaced, inflated: report.inflated.length > 0 };
}

/**
 * The model as a torchvision `resnet18` state dict, ready for `encodeTorchCheckpoint`: every parameter and
 * running statistic in PyTorch's layout, and each BatchNorm's `num_batches_tracked` (int64) after its
 * `running_var`, as `model.state_dict()` orders them — what `load_state_dict(strict=True)` expects.
 */
export function torchvisionStateDict(model: ResNet18): Map<string, { shape: number[]; data: Float32Array | BigInt64Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>();
  for (const [name, t] of stateDict(model)) {
    out.set(name, { shape: [...t.shape], data: Float32Array.from(t.data as ArrayLike<number>) });
    if (name.endsWith('.running_var')) {
      const prefix = name.slice(0, -'.running_var'.length);
      out.set(`${prefix}.num_batches_tracked`, { shape: [], data: BigInt64Array.of(BigInt(model.batchesTracked.get(prefix) ?? 0)) });
    }
  }
  return out;
}
