/**
 * What a saved model says about itself (`userDefinedMetadata.medxfer` in its `model.json`), and the
 * checks applied to it on save and on load. Portable: no file system, no Node globals.
 */
import type { Normalization } from '@medxfer/data';
import { VOLUME_CONVOLUTIONS, type VolumeConvolution } from '../ops/volume-conv.js';
import { ModelError } from '../errors.js';

/** `format` of a medxfer `model.json`. */
export const MODEL_FORMAT = 'medxfer-resnet18';
/** Version of the layout inside `model.json`; a newer file is refused with a clear message. */
export const MODEL_FORMAT_VERSION = 1;

export type ModelInput = 'rgb' | 'grey' | 'single';

/** What a saved model says about itself. */
export interface ModelMetadata {
  readonly architecture: 'resnet18';
  /** `rgb`: 3-channel normalised input; `grey`: 1-channel input in [0, 1] (normalisation folded into conv1); `single`: plain 1-channel conv1. */
  readonly input: ModelInput;
  /** Outputs of `fc`. */
  readonly numClasses: number;
  /** One name per output (a single-logit binary head may name both classes). */
  readonly classNames: readonly string[];
  /** Side of the (square) images — or cubic volumes — the model was trained on, in pixels (voxels). */
  readonly inputSize: number;
  /** For a model of volumes `[N, D, H, W, C]`: how its 2D kernels apply to them. Absent: a model of images. */
  readonly volume?: VolumeConvolution;
  /**
   * `rgb`/`single`: the normalisation the caller applies to [0, 1] images before the model.
   * `grey`: the normalisation folded into conv1 (the model takes [0, 1] images as they are).
   */
  readonly normalization: Normalization;
  /** e.g. `binary-class`, `multi-class`, `multi-label, binary-class` (MedMNIST's task names). */
  readonly task: string;
  /** e.g. `pneumoniamnist@28`. */
  readonly dataset: string;
  /** Where the starting weights came from: `imagenet:resnet18-f37072fd`, `none (random init, seed 0)`, `file:<sha256>`. */
  readonly weightsSource: string;
  /** ISO 8601 time of saving. */
  readonly createdAt: string;
}

/** Base class of the errors about model files; `file` names the file (or handler) concerned. */
export class ModelFileError extends ModelError {
  constructor(
    code: string,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A `model.json` (or metadata given to save) with a missing, mistyped or inconsistent field. */
export class ModelFormatError extends ModelFileError {
  constructor(
    file: string,
    readonly field: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super('MODEL_FORMAT', file, `${file}: field ${field}: ${problem}`, options);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === undefined ? 'missing' : `${JSON.stringify(v) ?? String(v)}`.slice(0, 80));

function nonEmptyString(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ModelFormatError(file, field, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function numberArray(v: unknown, file: string, field: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new ModelFormatError(file, field, `expected a non-empty array of finite numbers, got ${describe(v)}`);
  }
  return [...(v as number[])];
}

/**
 * Checks metadata read from a `model.json` (or handed to save) and returns a clean copy with only the
 * known fields. Every problem is a {@link ModelFormatError} naming `file` and the field, e.g.
 * `userDefinedMetadata.medxfer.classNames`.
 */
export function validateMetadata(value: unknown, file: string, field = 'userDefinedMetadata.medxfer'): ModelMetadata {
  if (!isObject(value)) throw new ModelFormatError(file, field, `expected an object with the model's metadata, got ${describe(value)}`);
  const at = (name: string) => `${field}.${name}`;
  if (value.architecture !== 'resnet18') throw new ModelFormatError(file, at('architecture'), `expected "resnet18", got ${describe(value.architecture)}`);
  const input = value.input;
  if (input !== 'rgb' && input !== 'grey' && input !== 'single') throw new ModelFormatError(file, at('input'), `expected "rgb", "grey" or "single", got ${describe(input)}`);
  const numClasses = value.numClasses;
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1) {
    throw new ModelFormatError(file, at('numClasses'), `expected a positive integer, got ${describe(numClasses)}`);
  }
  const classNames = value.classNames;
  if (!Array.isArray(classNames) || !classNames.every((c) => typeof c === 'string')) {
    throw new ModelFormatError(file, at('classNames'), `expected an array of strings, got ${describe(classNames)}`);
  }
  if (classNames.length !== numClasses && !(numClasses === 1 && classNames.length === 2)) {
    throw new ModelFormatError(file, at('classNames'), `has ${classNames.length} names for ${numClasses} outputs`);
  }
  const inputSize = value.inputSize;
  if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize < 28) {
    throw new ModelFormatError(file, at('inputSize'), `expected an integer of at least 28 (pixels), got ${describe(inputSize)}`);
  }
  const volume = value.volume;
  if (volume !== undefined && !VOLUME_CONVOLUTIONS.includes(volume as VolumeConvolution)) {
    throw new ModelFormatError(file, at('volume'), `expected ${VOLUME_CONVOLUTIONS.map((v) => `"${v}"`).join(', ')} (or no field, for images), got ${describe(volume)}`);
  }
  const norm = value.normalization;
  if (!isObject(norm)) throw new ModelFormatError(file, at('normalization'), `expected {mean: number[], std: number[]}, got ${describe(norm)}`);
  const mean = numberArray(norm.mean, file, at('normalization.mean'));
  const std = numberArray(norm.std, file, at('normalization.std'));
  if (mean.length !== std.length) throw new ModelFormatError(file, at('normalization'), `mean has ${mean.length} values but std has ${std.length}`);
  const channels = input === 'rgb' || input === 'grey' ? 3 : 1;
  if (mean.length !== 1 && mean.length !== channels) {
    throw new ModelFormatError(file, at('normalization'), `has ${mean.length} channel statistics; ${input} input takes 1${channels === 3 ? ' or 3' : ''}`);
  }
  if (!std.every((s) => s > 0)) throw new ModelFormatError(file, at('normalization.std'), `every std must be positive, got [${std.join(', ')}]`);
  const task = nonEmptyString(value.task, file, at('task'));
  const dataset = nonEmptyString(value.dataset, file, at('dataset'));
  const weightsSource = nonEmptyString(value.weightsSource, file, at('weightsSource'));
  const createdAt = nonEmptyString(value.createdAt, file, at('createdAt'));
  if (Number.isNaN(Date.parse(createdAt))) throw new ModelFormatError(file, at('createdAt'), `expected an ISO 8601 date, got ${describe(createdAt)}`);
  return {
    architecture: 'resnet18',
    input,
    numClasses,
    classNames: [...(classNames as string[])],
    inputSize,
    ...(volume ? { volume: volume as VolumeConvolution } : {}),
    normalization: { mean, std },
    task,
    dataset,
    weightsSource,
    createdAt,
  };
}
