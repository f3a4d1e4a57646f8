import { sha256HexSync } from '@medxfer/data';
import { encodeSafetensors, readSafetensors, readSafetensorsHeader, type ResNet18 } from '@medxfer/models';
import * as tf from '@tensorflow/tfjs-core';
import { ResumeError } from './errors.js';
import { readVariables } from './read.js';
import type { OptimizerState } from './optim/optimizer.js';
import type { EpochRecord } from './history.js';

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainingState {
  readonly plan: string;
  /** The phase and epoch-in-phase to run next. */
  readonly phaseIndex: number;
  readonly phaseEpoch: number;
  readonly history: readonly EpochRecord[];
  readonly model: ReadonlyMap<string, { shape: number[]; data: Float32Array }>;
  readonly batchesTracked: Readonly<Record<string, number>>;
  readonly optimizer?: OptimizerState;
  readonly best?: { value: number; epoch: number; model: ReadonlyMap<string, { shape: number[]; data: Float32Array }> };
  /** The plan's weight average (`Plan.ema`), if it has one. */
  readonly ema?: ReadonlyMap<string, { shape: number[]; data: Float32Array }>;
}

/** Copies the model's variables (parameters and running stats) to plain arrays. */
export function snapshotModel(model: ResNet18): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  return readVariables(model.allVariables());
}

/** Writes a snapshot back into the model. */
export function restoreModel(model: ResNet18, snapshot: ReadonlyMap<string, { shape: number[]; data: Float32Array }>): void {
  for (const [name, v] of model.allVariables()) {
    const s = snapshot.get(name);
    if (!s || s.data.length !== v.size) throw new ResumeError(`the checkpoint has no ${name} of ${v.size} values for this model`);
    tf.tidy(() => v.assign(tf.tensor(s.data, v.shape)));
  }
}

/** How checkpoints hash themselves: SHA-256 of byte chunks as hex (default: a portable synchronous one; Node can pass node:crypto's). */
export interface CheckpointDigest {
  readonly sha256?: (...chunks: Uint8Array[]) => string;
}

/** The data section of a safetensors file (after the 8-byte length and the JSON header). */
const dataSection = (bytes: Uint8Array) => bytes.subarray(8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)));

/** A safetensors file with its header's metadata replaced (the tensors' offsets are relative to the data section, so they stay). */
function withMetadata(bytes: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const { __metadata__: _old, ...tensors } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  let json = JSON.stringify({ __metadata__: metadata, ...tensors });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const header = new TextEncoder().encode(json);
  const data = dataSection(bytes);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

/**
 * One file: tensors as safetensors, the rest as JSON in its metadata, sealed with the SHA-256 of that JSON and
 * of every tensor byte (`decodeTrainingState` refuses a checkpoint whose bytes or recorded state were changed).
 */
export function encodeTrainingState(state: TrainingState, digest: CheckpointDigest = {}): Uint8Array {
  const tensors = new Map<string, { dtype: 'float32'; shape: number[]; data: Float32Array }>();
  for (const [name, t] of state.model) tensors.set(`model/${name}`, { dtype: 'float32', ...t });
  for (const [name, t] of state.best?.model ?? []) tensors.set(`best/${name}`, { dtype: 'float32', ...t });
  for (const [name, t] of state.ema ?? []) tensors.set(`ema/${name}`, { dtype: 'float32', ...t });
  const optimizerParams: Record<string, { step: number; slots: string[] }> = {};
  for (const [name, p] of Object.entries(state.optimizer?.params ?? {})) {
    optimizerParams[name] = { step: p.step, slots: Object.keys(p.slots) };
    for (const [slot, s] of Object.entries(p.slots)) tensors.set(`optim/${name}/${slot}`, { dtype: 'float32', shape: s.shape, data: Float32Array.from(s.data) });
  }
  const meta = {
    format: 'medxfer-training-state',
    version: 1,
    plan: state.plan,
    phaseIndex: state.phaseIndex,
    phaseEpoch: state.phaseEpoch,
    history: state.history,
    batchesTracked: state.batchesTracked,
    optimizer: state.optimizer ? { kind: state.optimizer.kind, params: optimizerParams } : undefined,
    best: state.best ? { value: state.best.value, epoch: state.best.epoch } : undefined,
  };
  const text = JSON.stringify(meta);
  const unsealed = encodeSafetensors(tensors, { medxfer: text });
  const sha256 = (digest.sha256 ?? sha256HexSync)(new TextEncoder().encode(text), dataSection(unsealed));
  return withMetadata(unsealed, { medxfer: text, sha256 });
}

/** Checks a checkpoint's seal; checkpoints written before seals existed have none and pass. */
function checkSeal(bytes: Uint8Array, file: string, metadata: Record<string, string> | undefined, digest: CheckpointDigest): void {
  const recorded = metadata?.['sha256'];
  if (recorded === undefined) return;
  const actual = (digest.sha256 ?? sha256HexSync)(new TextEncoder().encode(metadata!['medxfer'] ?? ''), dataSection(bytes));
  if (actual !== recorded) throw new ResumeError(`${file}: the checkpoint is damaged — its contents do not match the SHA-256 recorded when it was written (${recorded.slice(0, 12)}…, now ${actual.slice(0, 12)}…)`);
}

/** Reads a checkpoint, verifying its seal first (see {@link encodeTrainingState}). */
export function decodeTrainingState(bytes: Uint8Array, file = '<checkpoint>', digest: CheckpointDigest = {}): TrainingState {
  let tensors: Map<string, { shape: number[]; data: unknown }>;
  let raw: string | undefined;
  try {
    const metadata = readSafetensorsHeader(bytes, file).metadata;
    raw = metadata?.['medxfer'];
    checkSeal(bytes, file, metadata, digest);
    tensors = readSafetensors(bytes, file);
  } catch (cause) {
    throw new ResumeError(`${file}: not a readable medxfer training checkpoint (${(cause as Error).message})`, { cause });
  }
  if (!raw) throw new ResumeError(`${file}: a safetensors file, but not a medxfer training checkpoint`);
  const meta = JSON.parse(raw) as {
    plan: string; phaseIndex: number; phaseEpoch: number; history: EpochRecord[]; batchesTracked: Record<string, number>;
    optimizer?: { kind: string; params: Record<string, { step: number; slots: string[] }> }; best?: { value: number; epoch: number };
  };
  const f32 = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new ResumeError(`${file}: tensor ${name} is missing`);
    return { shape: [...t.shape], data: t.data as Float32Array };
  };
  const model = new Map<string, { shape: number[]; data: Float32Array }>();
  const best = new Map<string, { shape: number[]; data: Float32Array }>();
  const ema = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of tensors.keys()) {
    if (name.startsWith('model/')) model.set(name.slice(6), f32(name));
    if (name.startsWith('best/')) best.set(name.slice(5), f32(name));
    if (name.startsWith('ema/')) ema.set(name.slice(4), f32(name));
  }
  const optimizer: OptimizerState | undefined = meta.optimizer && {
    kind: meta.optimizer.kind,
    params: Object.fromEntries(
      Object.entries(meta.optimizer.params).map(([name, p]) => [name, { step: p.step, slots: Object.fromEntries(p.slots.map((s) => [s, f32(`optim/${name}/${s}`)])) }]),
    ),
  };
  return {
    plan: meta.plan,
    phaseIndex: meta.phaseIndex,
    phaseEpoch: meta.phaseEpoch,
    history: meta.history,
    batchesTracked: meta.batchesTracked,
    model,
    ...(optimizer ? { optimizer } : {}),
    ...(meta.best ? { best: { ...meta.best, model: best } } : {}),
    ...(ema.size ? { ema } : {}),
  };
}
