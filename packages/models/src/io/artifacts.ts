/**
 * Saving and loading a {@link ResNet18} in TensorFlow.js's own format — a `model.json` plus a binary
 * weights file — through `tf.io` model artifacts, so any tfjs IOHandler carries it: `tf.io.browserDownloads`,
 * `tf.io.http`, `indexeddb://`, `tf.io.fromMemory`/`withSaveHandler`, or {@link fileStoreHandler} over a
 * {@link FileStore}. Weights are keyed by torchvision's state-dict names, in tfjs layouts (HWIO convs,
 * `[in, out]` fc), with the BatchNorm running stats and `num_batches_tracked` (int32): 122 entries, as
 * torchvision's state dict. Portable: no file system, no Node globals.
 */
import { VERSION } from '../version.js';
import * as tf from '@tensorflow/tfjs-core';
import { sha256Hex, type FileStore, type Normalization } from '@medxfer/data';
import { ModelError } from '../errors.js';
import { BLOCKS, bnAfter } from '../resnet/architecture.js';
import { ResNet18 } from '../resnet/model.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, ModelFileError, ModelFormatError, validateMetadata, type ModelMetadata } from './metadata.js';

/** The version written into `generatedBy`. */
export const MODELS_VERSION = VERSION;
/** The file names a saved model uses (those of tfjs-node's `file://` handler). */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** A file the model needs is not there. */
export class ModelFileNotFoundError extends ModelFileError {
  constructor(file: string, detail = '') {
    super('MODEL_FILE_NOT_FOUND', file, `${file}: not found${detail ? ` (${detail})` : ''}. A saved model is a model.json plus its ${WEIGHTS_BIN}, side by side.`);
  }
}

/** A weights file whose size is not what `model.json`'s weight manifest needs (truncated, or another model's). */
export class WeightsSizeError extends ModelFileError {
  constructor(
    file: string,
    readonly expectedBytes: number,
    readonly actualBytes: number,
  ) {
    super(
      'WEIGHTS_SIZE',
      file,
      `${file}: holds ${actualBytes} bytes but the weight manifest in model.json needs ${expectedBytes}` +
        `${actualBytes < expectedBytes ? ' (truncated: an interrupted copy or download?)' : ''}. Nothing was loaded; copy or save the model again.`,
    );
  }
}

/** A weights file of the right size whose sha256 is not the one `model.json` recorded (not this model's weights). */
export class WeightsChecksumError extends ModelFileError {
  constructor(
    file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'WEIGHTS_CHECKSUM',
      file,
      `${file}: sha256 is ${actual} but model.json recorded ${expected}: the weights do not belong to this model.json ` +
        '(overwritten by another save, or damaged). Nothing was loaded.',
    );
  }
}

/** What the caller says about a model when saving it; the rest comes from the model. */
export interface SaveMetadata {
  /** One name per output. */
  classNames: readonly string[];
  /** Side of the training images, in pixels. */
  inputSize: number;
  /** Default for `grey` models: the normalisation folded into conv1; required for `rgb` and `single`. */
  normalization?: Normalization;
  task: string;
  dataset: string;
  /** `imagenet:resnet18-f37072fd`, `none (random init, seed 0)`, `file:<sha256>`… */
  weightsSource: string;
  /** Default: now. */
  createdAt?: string;
}

/** `model.json`'s `modelTopology`: not a Keras topology, a description of the medxfer model. */
export interface MedxferTopology {
  readonly format: typeof MODEL_FORMAT;
  readonly formatVersion: number;
  readonly architecture: 'resnet18';
  readonly input: ModelMetadata['input'];
  readonly numClasses: number;
  readonly layouts: { readonly conv: 'HWIO'; readonly fc: '[in, out]'; readonly names: string };
  /** Total bytes of the weights and their sha256 (checked on load: a weights file from another save is refused). */
  readonly weightsBytes: number;
  readonly weightsSha256: string;
}

/** An IOHandler that can also name its files in messages. */
export interface NamedIOHandler extends tf.io.IOHandler {
  readonly modelPath?: string;
  readonly weightsPath?: string;
}

export interface LoadedModel {
  readonly model: ResNet18;
  readonly metadata: ModelMetadata;
}

export interface SavedModel {
  readonly metadata: ModelMetadata;
  readonly result: tf.io.SaveResult;
}

const VALUE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes one manifest entry takes in the weights file, or undefined when it cannot be known up front (strings). */
function entryBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const per = VALUE_BYTES[spec.quantization?.dtype ?? spec.dtype];
  if (per === undefined || !Array.isArray(spec.shape)) return undefined;
  return spec.shape.reduce((a, b) => a * b, 1) * per;
}

function joinBytes(data: tf.io.WeightData): Uint8Array {
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  if (buffers.length === 1) return new Uint8Array(buffers[0]!);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) out.set(new Uint8Array(b), at), (at += b.byteLength);
  return out;
}

const byteLengthOf = (data: tf.io.WeightData): number => (Array.isArray(data) ? data.reduce((sum, b) => sum + b.byteLength, 0) : data.byteLength);

/** The weights a ResNet18 of this input, class count and volume convolution has, in torchvision's state-dict order, with tfjs shapes. */
export function expectedWeights(input: ModelMetadata['input'], numClasses: number, volume?: ModelMetadata['volume']): Map<string, { shape: number[]; dtype: 'float32' | 'int32' }> {
  const out = new Map<string, { shape: number[]; dtype: 'float32' | 'int32' }>();
  const addConv = (name: string, k: number, cin: number, cout: number, bn: string) => {
    out.set(`${name}.weight`, { shape: [...(volume === '3d' ? [k] : []), k, k, cin, cout], dtype: 'float32' });
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${bn}.${p}`, { shape: [cout], dtype: 'float32' });
    out.set(`${bn}.num_batches_tracked`, { shape: [], dtype: 'int32' });
  };
  addConv('conv1', 7, input === 'single' ? 1 : 3, 64, 'bn1');
  for (const b of BLOCKS) {
    for (const c of [b.conv1, b.conv2, ...(b.downsample ? [b.downsample] : [])]) addConv(c.name, c.kernel, c.inChannels, c.outChannels, bnAfter(c.name));
  }
  out.set('fc.weight', { shape: [512, numClasses], dtype: 'float32' });
  out.set('fc.bias', { shape: [numClasses], dtype: 'float32' });
  return out;
}

const sameNormalization = (a: Normalization, b: Normalization) =>
  a.mean.length === b.mean.length && a.mean.every((m, i) => m === b.mean[i]) && a.std.every((s, i) => s === b.std[i]);

/** The model's metadata, from the model and what the caller says; checked like a loaded file's. */
export function describeModel(model: ResNet18, meta: SaveMetadata): ModelMetadata {
  const file = 'the metadata given to saveModel';
  if (model.input === 'grey' && meta.normalization && !sameNormalization(meta.normalization, model.normalization!)) {
    throw new ModelFormatError(file, 'normalization', "differs from the one folded into this grey model's conv1; leave it out to record the model's own");
  }
  const normalization = model.input === 'grey' ? model.normalization : meta.normalization;
  if (!normalization) throw new ModelFormatError(file, 'normalization', `is required for ${model.input} input: the (mean, std) the caller applies to [0, 1] images`);
  return validateMetadata(
    {
      architecture: 'resnet18',
      input: model.input,
      numClasses: model.numClasses,
      classNames: meta.classNames,
      inputSize: meta.inputSize,
      ...(model.volume ? { volume: model.volume } : {}),
      normalization: { mean: [...normalization.mean], std: [...normalization.std] },
      task: meta.task,
      dataset: meta.dataset,
      weightsSource: meta.weightsSource,
      createdAt: meta.createdAt ?? new Date().toISOString(),
    },
    file,
    'metadata',
  );
}

/**
 * The model as tfjs model artifacts: weights (torchvision names, tfjs layouts, running stats and
 * `num_batches_tracked`) encoded with `tf.io.encodeWeights`, the medxfer metadata in
 * `userDefinedMetadata.medxfer`, `format: 'medxfer-resnet18'`.
 */
export async function modelToArtifacts(model: ResNet18, meta: SaveMetadata): Promise<tf.io.ModelArtifacts> {
  const metadata = describeModel(model, meta);
  const variables = model.allVariables();
  const named: { name: string; tensor: tf.Tensor }[] = [];
  const counters: tf.Tensor[] = [];
  try {
    for (const [name, spec] of expectedWeights(model.input, model.numClasses, model.volume)) {
      if (spec.dtype === 'int32') {
        const prefix = name.slice(0, -'.num_batches_tracked'.length);
        const counter = tf.scalar(model.batchesTracked.get(prefix) ?? 0, 'int32');
        counters.push(counter);
        named.push({ name, tensor: counter });
      } else {
        const variable = variables.get(name);
        if (!variable) throw new ModelError('MODEL_STATE', `the model has no variable ${name} (was it disposed?)`);
        named.push({ name, tensor: variable });
      }
    }
    const { data, specs } = await tf.io.encodeWeights(named);
    const topology: MedxferTopology = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      architecture: 'resnet18',
      input: model.input,
      numClasses: model.numClasses,
      layouts: { conv: 'HWIO', fc: '[in, out]', names: 'torchvision state_dict keys' },
      weightsBytes: data.byteLength,
      weightsSha256: await sha256Hex(new Uint8Array(data)),
    };
    return {
      modelTopology: topology,
      format: MODEL_FORMAT,
      generatedBy: `@medxfer/models ${MODELS_VERSION} (TensorFlow.js ${tf.version_core})`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
      userDefinedMetadata: { medxfer: metadata as unknown as {} },
    };
  } finally {
    tf.dispose(counters);
  }
}

function handlerFor(target: tf.io.IOHandler | string, kind: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  if (handlers.length === 1) return handlers[0]!;
  throw new ModelFileError(
    'NO_IO_HANDLER',
    target,
    `${target}: ${handlers.length === 0 ? 'no' : 'more than one'} TensorFlow.js IOHandler for this URL in this runtime ` +
      `(browsers: downloads://, indexeddb://, localstorage://, http(s)://). Pass a handler (tf.io.http(url, { fetchFunc }), ` +
      `fileStoreHandler(store)), or in Node use ${kind === 'save' ? 'saveModelToDir' : 'loadModelFromDir'} from @medxfer/models/node.`,
  );
}

/**
 * Saves the model through any tfjs IOHandler (or a URL tfjs routes: `downloads://name`, `indexeddb://name`,
 * `http://…`). `metadata` completes what the model knows (architecture, input, class count).
 */
export async function saveModel(model: ResNet18, handlerOrUrl: tf.io.IOHandler | string, metadata: SaveMetadata): Promise<SavedModel> {
  const handler = handlerFor(handlerOrUrl, 'save');
  const where = typeof handlerOrUrl === 'string' ? handlerOrUrl : ((handler as NamedIOHandler).modelPath ?? 'the IOHandler');
  if (!handler.save) throw new ModelFileError('NO_IO_HANDLER', where, `${where}: this IOHandler cannot save`);
  const artifacts = await modelToArtifacts(model, metadata);
  const result = await handler.save(artifacts);
  if (result.errors?.length) throw new ModelFileError('SAVE_FAILED', where, `${where}: saving failed: ${result.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ')}`);
  return { metadata: (artifacts.userDefinedMetadata!.medxfer as unknown as ModelMetadata), result };
}

export interface LoadModelOptions {
  /** Names model.json in messages (default: the handler's own name, or the URL). */
  source?: string;
  /** Names the weights in messages. */
  weightsSource?: string;
}

/** Loads a model saved by {@link saveModel} through any tfjs IOHandler (or a URL tfjs routes). */
export async function loadModel(handlerOrUrl: tf.io.IOHandler | string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const handler = handlerFor(handlerOrUrl, 'load') as NamedIOHandler;
  const source = options.source ?? handler.modelPath ?? (typeof handlerOrUrl === 'string' ? handlerOrUrl : MODEL_JSON);
  const weightsSource = options.weightsSource ?? handler.weightsPath ?? `the weights of ${source}`;
  if (!handler.load) throw new ModelFileError('NO_IO_HANDLER', source, `${source}: this IOHandler cannot load`);
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw new ModelFileError('MODEL_LOAD', source, `${source}: cannot load the model: ${(error as Error).message ?? error}`, { cause: error });
  }
  return modelFromArtifacts(artifacts, source, weightsSource);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Builds a model from tfjs model artifacts written by {@link modelToArtifacts}. Everything is checked
 * before a model exists (format, metadata, every weight's name, shape and dtype, the byte count and the
 * recorded sha256): on any problem a typed error is thrown and nothing is created.
 */
export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts, source = MODEL_JSON, weightsSource = WEIGHTS_BIN): Promise<LoadedModel> {
  if (artifacts.format !== MODEL_FORMAT) {
    throw new ModelFormatError(
      source,
      'format',
      `expected "${MODEL_FORMAT}", got ${JSON.stringify(artifacts.format) ?? 'nothing'}: not a model saved by @medxfer/models ` +
        '(a Keras or graph model loads with tf.loadLayersModel / tf.loadGraphModel; a PyTorch checkpoint with readCheckpoint)',
    );
  }
  const topology = artifacts.modelTopology;
  if (!isObject(topology)) throw new ModelFormatError(source, 'modelTopology', 'expected the medxfer description object');
  const version = topology.formatVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new ModelFormatError(source, 'modelTopology.formatVersion', `expected a positive integer, got ${JSON.stringify(version)}`);
  if (version > MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(source, 'modelTopology.formatVersion', `is ${version}, newer than this @medxfer/models reads (${MODEL_FORMAT_VERSION}): update @medxfer/models`);
  }
  const metadata = validateMetadata(artifacts.userDefinedMetadata?.medxfer, source);
  if (topology.input !== metadata.input) throw new ModelFormatError(source, 'modelTopology.input', `is ${JSON.stringify(topology.input)} but the metadata says ${JSON.stringify(metadata.input)}`);
  if (topology.numClasses !== metadata.numClasses) {
    throw new ModelFormatError(source, 'modelTopology.numClasses', `is ${JSON.stringify(topology.numClasses)} but the metadata says ${metadata.numClasses}`);
  }

  const specs = artifacts.weightSpecs;
  if (!Array.isArray(specs)) throw new ModelFormatError(source, 'weightsManifest', 'missing: the file lists no weights');
  const expected = expectedWeights(metadata.input, metadata.numClasses, metadata.volume);
  const seen = new Set<string>();
  const unexpected: string[] = [];
  specs.forEach((spec, i) => {
    const want = expected.get(spec?.name);
    if (!want) return void unexpected.push(String(spec?.name));
    if (seen.has(spec.name)) throw new ModelFormatError(source, `weightsManifest weight ${i} (${spec.name})`, 'appears twice');
    seen.add(spec.name);
    const shapeOk = Array.isArray(spec.shape) && spec.shape.length === want.shape.length && spec.shape.every((d, j) => d === want.shape[j]);
    if (!shapeOk) throw new ModelFormatError(source, `weightsManifest weight ${i} (${spec.name})`, `has shape [${spec.shape}], expected [${want.shape}]`);
    if (spec.dtype !== want.dtype) throw new ModelFormatError(source, `weightsManifest weight ${i} (${spec.name})`, `has dtype ${spec.dtype}, expected ${want.dtype}`);
    if (spec.quantization && want.dtype === 'int32') throw new ModelFormatError(source, `weightsManifest weight ${i} (${spec.name})`, 'an integer counter cannot be quantized');
  });
  const missing = [...expected.keys()].filter((n) => !seen.has(n));
  if (missing.length || unexpected.length) {
    throw new ModelFormatError(
      source,
      'weightsManifest',
      [missing.length ? `missing weights: ${missing.join(', ')}` : '', unexpected.length ? `unexpected weights: ${unexpected.join(', ')}` : ''].filter(Boolean).join('; '),
    );
  }

  if (artifacts.weightData === undefined) throw new ModelFileNotFoundError(weightsSource, `${source} lists weights but none were loaded`);
  const needed = specs.reduce((sum, s) => sum + entryBytes(s)!, 0);
  const actual = byteLengthOf(artifacts.weightData);
  if (actual !== needed) throw new WeightsSizeError(weightsSource, needed, actual);
  if (typeof topology.weightsSha256 === 'string') {
    const sha = await sha256Hex(joinBytes(artifacts.weightData));
    if (sha !== topology.weightsSha256) throw new WeightsChecksumError(weightsSource, topology.weightsSha256, sha);
  }

  const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  let model: ResNet18 | undefined;
  try {
    model = new ResNet18({
      input: metadata.input,
      numClasses: metadata.numClasses,
      ...(metadata.input === 'grey' ? { normalization: metadata.normalization } : {}),
      ...(metadata.volume ? { volume: metadata.volume } : {}),
    });
    const variables = model.allVariables();
    for (const [name, tensor] of Object.entries(decoded)) {
      if (name.endsWith('.num_batches_tracked')) model.batchesTracked.set(name.slice(0, -'.num_batches_tracked'.length), tensor.dataSync()[0]!);
      else variables.get(name)!.assign(tensor);
    }
    return { model, metadata };
  } catch (error) {
    model?.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

export interface FileStoreHandlerOptions {
  /** Default `model.json`. */
  modelFile?: string;
  /** Default `weights.bin`. */
  weightsFile?: string;
}

/** A manifest path as a file name beside model.json; refuses paths that climb out (`../x`, `/x`, `http://…`). */
function weightsFileName(path: unknown, file: string, field: string): string {
  if (typeof path !== 'string') throw new ModelFormatError(file, field, `expected a file name, got ${JSON.stringify(path)}`);
  const name = path.replace(/^(\.\/)+/, '');
  if (name === '' || name.includes('..') || name.includes('\\') || name.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(name)) {
    throw new ModelFormatError(file, field, `${JSON.stringify(path)} is not a file name beside model.json; refusing to read it`);
  }
  return name;
}

/**
 * A tfjs IOHandler over a {@link FileStore}: `model.json` and `weights.bin` (tfjs-node's `file://` layout).
 * Save writes each file atomically, the weights first and `model.json` last (a `model.json` always comes
 * with complete weights; one left beside another save's weights is caught by the recorded sha256).
 * Load checks the weights' size against the manifest before anything else, naming the file.
 */
export function fileStoreHandler(store: FileStore, options: FileStoreHandlerOptions = {}): NamedIOHandler {
  const modelFile = options.modelFile ?? MODEL_JSON;
  const weightsFile = options.weightsFile ?? WEIGHTS_BIN;
  const modelPath = store.locate(modelFile);
  return {
    modelPath,
    weightsPath: store.locate(weightsFile),
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new ModelFileError('SAVE_FAILED', modelPath, `${modelPath}: binary model topologies are not supported`);
      const weightsManifest: tf.io.WeightsManifestConfig = [{ paths: [`./${weightsFile}`], weights: artifacts.weightSpecs ?? [] }];
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest,
      };
      for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
        if (artifacts[key] != null) json[key] = artifacts[key];
      }
      await store.writeAtomic(weightsFile, artifacts.weightData === undefined ? new Uint8Array(0) : joinBytes(artifacts.weightData));
      await store.writeAtomic(modelFile, new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const bytes = await store.read(modelFile);
      if (!bytes) throw new ModelFileNotFoundError(modelPath);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch (error) {
        throw new ModelFormatError(modelPath, '(the whole file)', `not valid UTF-8 JSON: ${(error as Error).message}`, { cause: error });
      }
      if (!isObject(json)) throw new ModelFormatError(modelPath, '(the whole file)', 'expected a JSON object');
      const manifest = json.weightsManifest;
      if (!Array.isArray(manifest) || manifest.length === 0) throw new ModelFormatError(modelPath, 'weightsManifest', 'missing or empty: expected [{ paths, weights }]');
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      const files: string[] = [];
      for (const [g, group] of manifest.entries()) {
        if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
          throw new ModelFormatError(modelPath, `weightsManifest[${g}]`, 'expected { paths: string[], weights: [...] }');
        }
        for (const [w, spec] of (group.weights as unknown[]).entries()) {
          if (!isObject(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string') {
            throw new ModelFormatError(modelPath, `weightsManifest[${g}].weights[${w}]`, 'expected { name, shape, dtype }');
          }
        }
        weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
        for (const [p, path] of (group.paths as unknown[]).entries()) {
          const name = weightsFileName(path, modelPath, `weightsManifest[${g}].paths[${p}]`);
          const data = await store.read(name);
          if (!data) throw new ModelFileNotFoundError(store.locate(name), `listed in ${modelPath}`);
          files.push(name);
          buffers.push(data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? (data.buffer as ArrayBuffer) : (data.slice().buffer as ArrayBuffer));
        }
      }
      const sizes = weightSpecs.map(entryBytes);
      if (sizes.every((s) => s !== undefined)) {
        const needed = sizes.reduce((a: number, b) => a + b!, 0);
        const actual = buffers.reduce((sum, b) => sum + b.byteLength, 0);
        if (needed !== actual) throw new WeightsSizeError(files.length === 1 ? store.locate(files[0]!) : files.map((f) => store.locate(f)).join(' + '), needed, actual);
      }
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: json.modelTopology as {},
        format: json.format as string,
        generatedBy: json.generatedBy as string,
        convertedBy: json.convertedBy as string | null,
        weightSpecs,
        weightData: buffers.length === 1 ? buffers[0]! : buffers,
      };
      for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer', 'initializerSignature'] as const) {
        if (json[key] != null) (artifacts as Record<string, unknown>)[key] = json[key];
      }
      return artifacts;
    },
  };
}
