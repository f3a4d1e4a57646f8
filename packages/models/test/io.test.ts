import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { memoryStore } from '@medxfer/data';
import {
  MODEL_FORMAT,
  ModelError,
  ModelFileNotFoundError,
  ModelFormatError,
  ResNet18,
  WeightsChecksumError,
  WeightsSizeError,
  fileStoreHandler,
  loadModel,
  loadStateDict,
  readCheckpoint,
  saveModel,
  validateMetadata,
  type SaveMetadata,
} from '@medxfer/models';
import { loadModelFromDir, saveModelToDir } from '@medxfer/models/node';
import { useBackend } from '../../../test-support/backend.js';
import { readBytes, torchFixture } from './helpers.js';

const META: SaveMetadata = {
  classNames: ['normal', 'pneumonia'],
  inputSize: 28,
  normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  task: 'binary-class',
  dataset: 'pneumoniamnist@28',
  weightsSource: 'file:resnet18-random-seed0',
  createdAt: '2026-01-02T03:04:05.000Z',
};

const bits = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
/** The logits' bit patterns (the logits tensor is disposed). */
const predictBits = (m: ResNet18, x: tf.Tensor4D) => {
  const logits = m.predict(x);
  const out = bits(logits);
  logits.dispose();
  return out;
};

/** A 2-class model whose every variable and counter is non-trivial: PyTorch seed-0 body, perturbed BN stats. */
function makeModel(input: 'rgb' | 'grey' = 'rgb'): ResNet18 {
  const model = new ResNet18({ numClasses: 2, seed: 11, input });
  loadStateDict(model, readCheckpoint(readBytes(torchFixture('resnet18-random-seed0.pth'))));
  tf.tidy(() => {
    let k = 0;
    for (const [name, v] of model.buffers) {
      k++;
      const noise = tf.randomUniform(v.shape, 0.8, 1.25, 'float32', 100 + k);
      v.assign(name.endsWith('running_var') ? tf.mul(v, noise) : tf.add(v, tf.sub(noise, 1)));
    }
  });
  let i = 0;
  for (const prefix of model.batchesTracked.keys()) model.batchesTracked.set(prefix, 7 + i++);
  return model;
}

const input = (channels: 1 | 3, seed = 5) => tf.randomUniform([2, 28, 28, channels], 0, 1, 'float32', seed) as tf.Tensor4D;

describe('saving and loading in tfjs format (wasm)', () => {
  let dir: string;
  let model: ResNet18;
  let x: tf.Tensor4D;
  let before: Uint32Array;

  beforeAll(async () => {
    await useBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'medxfer-io-'));
    model = makeModel();
    x = input(3);
    before = predictBits(model, x);
  });
  afterAll(async () => {
    model.dispose();
    x.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through a folder: logits identical bit for bit, metadata and counters kept', async () => {
    const saved = await saveModelToDir(join(dir, 'm1'), model, META);
    expect(saved.metadata).toEqual({ architecture: 'resnet18', input: 'rgb', numClasses: 2, ...META });
    expect((await readdir(join(dir, 'm1'))).sort()).toEqual(['model.json', 'weights.bin']);

    const tensorsBefore = tf.memory().numTensors;
    const { model: loaded, metadata } = await loadModelFromDir(join(dir, 'm1'));
    expect(metadata).toEqual(saved.metadata);
    expect(loaded.input).toBe('rgb');
    expect(loaded.numClasses).toBe(2);
    const after = predictBits(loaded, x);
    expect(after).toEqual(before);
    expect([...loaded.batchesTracked]).toEqual([...model.batchesTracked]);
    // Every variable, bit for bit (a byte comparison: deep equality on 2M-element arrays is slow).
    const differing = [...model.allVariables()].filter(([name, v]) => !Buffer.from(bits(loaded.allVariables().get(name)!).buffer).equals(Buffer.from(bits(v).buffer)));
    expect(differing.map(([name]) => name)).toEqual([]);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('writes tfjs model.json: format, generatedBy, the manifest of 122 torchvision-named weights, medxfer metadata', async () => {
    const json = JSON.parse(await readFile(join(dir, 'm1', 'model.json'), 'utf8'));
    expect(json.format).toBe(MODEL_FORMAT);
    expect(json.generatedBy).toMatch(/^@medxfer\/models \d+\.\d+\.\d+ \(TensorFlow\.js 4\./);
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    const weights = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[];
    expect(weights).toHaveLength(122);
    expect(weights.slice(0, 6).map((w) => w.name)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
    expect(weights.find((w) => w.name === 'conv1.weight')!.shape).toEqual([7, 7, 3, 64]);
    expect(weights.find((w) => w.name === 'fc.weight')!.shape).toEqual([512, 2]);
    expect(weights.find((w) => w.name === 'layer2.0.downsample.1.num_batches_tracked')).toMatchObject({ shape: [], dtype: 'int32' });
    expect(json.userDefinedMetadata.medxfer).toMatchObject({ architecture: 'resnet18', input: 'rgb', numClasses: 2, classNames: ['normal', 'pneumonia'] });
    const size = (await stat(join(dir, 'm1', 'weights.bin'))).size;
    expect(size).toBe(json.modelTopology.weightsBytes);
    // 11,177,538 weights (2-class head) + 9,600 running stats, float32, + 20 int32 counters
    expect(size).toBe((11_177_538 + 9_600) * 4 + 20 * 4);
  });

  it.each(['acs', '3d'] as const)('a volume model (%s) round-trips as one: its metadata says how it convolves, logits identical bit for bit', async (volume) => {
    const volumeModel = new ResNet18({ numClasses: 2, seed: 3, volume, input: 'grey' });
    const saved = await saveModelToDir(join(dir, volume), volumeModel, { ...META, normalization: undefined });
    expect(saved.metadata.volume).toBe(volume);
    const { model: loaded, metadata } = await loadModelFromDir(join(dir, volume));
    expect([metadata.volume, loaded.volume, loaded.input]).toEqual([volume, volume, 'grey']);
    expect(loaded.params.get('layer1.0.conv1.weight')!.shape).toEqual(volume === '3d' ? [3, 3, 3, 64, 64] : [3, 3, 64, 64]);
    const v = tf.randomUniform([1, 28, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor5D;
    const [a, b] = [volumeModel.predict(v), loaded.predict(v)];
    expect(bits(b)).toEqual(bits(a));
    tf.dispose([v, a, b]);
    volumeModel.dispose();
    loaded.dispose();
    expect(() => validateMetadata({ ...saved.metadata, volume: 'cubic' }, 'x.json')).toThrow(/volume: expected "acs", "2\.5d", "3d"/);
  });

  it('works through tfjs handlers: withSaveHandler / fromMemory and tf.io.http over loopback', async () => {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveModel(
      model,
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
      META,
    );
    const viaMemory = await loadModel(tf.io.fromMemory(artifacts!));
    expect(predictBits(viaMemory.model, x)).toEqual(before);
    viaMemory.model.dispose();

    const files = new Map([
      ['/m/model.json', await readFile(join(dir, 'm1', 'model.json'))],
      ['/m/weights.bin', await readFile(join(dir, 'm1', 'weights.bin'))],
    ]);
    const server: Server = createServer((req, res) => {
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/model.json`;
      const viaHttp = await loadModel(tf.io.http(url, { fetchFunc: fetch }));
      expect(predictBits(viaHttp.model, x)).toEqual(before);
      expect(viaHttp.metadata.classNames).toEqual(META.classNames);
      viaHttp.model.dispose();
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('round-trips a grey model (its folded normalisation included) through a FileStore', async () => {
    const grey = makeModel('grey');
    const g = input(1, 9);
    const ref = predictBits(grey, g);
    const store = memoryStore();
    const { metadata: written } = await saveModel(grey, fileStoreHandler(store), { ...META, normalization: undefined });
    expect(written.normalization).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect([...store.files.keys()]).toEqual(['weights.bin', 'model.json']);
    const { model: loaded, metadata } = await loadModel(fileStoreHandler(store));
    expect(metadata.input).toBe('grey');
    expect(loaded.input).toBe('grey');
    expect(predictBits(loaded, g)).toEqual(ref);
    tf.dispose([g]);
    grey.dispose();
    loaded.dispose();
  });

  it('refuses bad metadata when saving, naming the field', async () => {
    const store = memoryStore();
    await expect(saveModel(model, fileStoreHandler(store), { ...META, classNames: ['only one'] })).rejects.toThrow(/field metadata\.classNames: has 1 names for 2 outputs/);
    await expect(saveModel(model, fileStoreHandler(store), { ...META, normalization: undefined })).rejects.toThrow(/field normalization: is required for rgb input/);
    await expect(saveModel(model, fileStoreHandler(store), { ...META, inputSize: 12 })).rejects.toBeInstanceOf(ModelFormatError);
    expect(store.files.size).toBe(0);
  });

  it('a URL no tfjs handler serves in this runtime gets a typed error pointing at saveModelToDir', async () => {
    const error = await saveModel(model, 'file:///tmp/m', META).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/no TensorFlow\.js IOHandler for this URL.*saveModelToDir/);
  });

  describe('damaged or missing files give typed errors and no model', () => {
    const copy = async (name: string) => {
      const target = join(dir, name);
      await saveModelToDir(target, model, META);
      return target;
    };
    const noNewTensors = async (run: () => Promise<unknown>) => {
      const count = tf.memory().numTensors;
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(tf.memory().numTensors).toBe(count);
      return error as Error;
    };

    it('truncated weights.bin → WeightsSizeError naming the file, expected and actual bytes', async () => {
      const target = await copy('truncated');
      const full = (await stat(join(target, 'weights.bin'))).size;
      await truncate(join(target, 'weights.bin'), full - 1000);
      const error = await noNewTensors(() => loadModelFromDir(target));
      expect(error).toBeInstanceOf(WeightsSizeError);
      expect(error).toBeInstanceOf(ModelError);
      expect(error).toMatchObject({ code: 'WEIGHTS_SIZE', file: join(target, 'weights.bin'), expectedBytes: full, actualBytes: full - 1000 });
      expect(error.message).toContain(`${join(target, 'weights.bin')}: holds ${full - 1000} bytes but the weight manifest in model.json needs ${full}`);
      expect(error.message).toContain('truncated');
    });

    it('truncated weights through a plain tfjs handler → WeightsSizeError too', async () => {
      let artifacts: tf.io.ModelArtifacts | undefined;
      await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })), META);
      const cut = { ...artifacts!, weightData: (artifacts!.weightData as ArrayBuffer).slice(0, 4096) };
      const error = await noNewTensors(() => loadModel(tf.io.fromMemory(cut), { weightsSource: 'shard.bin' }));
      expect(error).toBeInstanceOf(WeightsSizeError);
      expect(error.message).toMatch(/^shard\.bin: holds 4096 bytes/);
    });

    it("weights.bin from another save (same size) → WeightsChecksumError", async () => {
      const target = await copy('swapped');
      const other = makeModel();
      other.batchesTracked.set('bn1', 99);
      await saveModelToDir(join(dir, 'other'), other, META);
      other.dispose();
      await writeFile(join(target, 'weights.bin'), await readFile(join(dir, 'other', 'weights.bin')));
      const error = await noNewTensors(() => loadModelFromDir(target));
      expect(error).toBeInstanceOf(WeightsChecksumError);
      expect(error.message).toContain(join(target, 'weights.bin'));
    });

    it('missing weights.bin or model.json → ModelFileNotFoundError with the path', async () => {
      const target = await copy('missing');
      await rm(join(target, 'weights.bin'));
      const error = await noNewTensors(() => loadModelFromDir(target));
      expect(error).toBeInstanceOf(ModelFileNotFoundError);
      expect(error.message).toContain(join(target, 'weights.bin'));
      const empty = await noNewTensors(() => loadModelFromDir(join(dir, 'does-not-exist')));
      expect(empty).toBeInstanceOf(ModelFileNotFoundError);
      expect(empty.message).toContain(join(dir, 'does-not-exist', 'model.json'));
    });

    const edit = async (name: string, change: (json: Record<string, any>) => void) => {
      const target = await copy(name);
      const path = join(target, 'model.json');
      const json = JSON.parse(await readFile(path, 'utf8'));
      change(json);
      await writeFile(path, JSON.stringify(json));
      return { target, path };
    };

    const cases: [string, (json: Record<string, any>) => void, string][] = [
      ['missing classNames', (j) => delete j.userDefinedMetadata.medxfer.classNames, 'userDefinedMetadata.medxfer.classNames'],
      ['bad input', (j) => (j.userDefinedMetadata.medxfer.input = 'rgba'), 'userDefinedMetadata.medxfer.input'],
      ['no metadata', (j) => delete j.userDefinedMetadata, 'userDefinedMetadata.medxfer'],
      ['bad std', (j) => (j.userDefinedMetadata.medxfer.normalization.std = [0.2, 0, 0.2]), 'userDefinedMetadata.medxfer.normalization.std'],
      ['bad date', (j) => (j.userDefinedMetadata.medxfer.createdAt = 'yesterday'), 'userDefinedMetadata.medxfer.createdAt'],
      ['another format', (j) => (j.format = 'layers-model'), 'format'],
      ['newer version', (j) => (j.modelTopology.formatVersion = 2), 'modelTopology.formatVersion'],
      ['class count disagrees', (j) => (j.modelTopology.numClasses = 3), 'modelTopology.numClasses'],
      ['a weight renamed', (j) => (j.weightsManifest[0].weights[0].name = 'stem.weight'), 'weightsManifest'],
      ['a weight reshaped', (j) => (j.weightsManifest[0].weights[0].shape = [7, 7, 64, 3]), 'weightsManifest weight 0 (conv1.weight)'],
      ['a path climbing out', (j) => (j.weightsManifest[0].paths = ['../weights.bin']), 'weightsManifest[0].paths[0]'],
    ];
    for (const [what, change, field] of cases) {
      it(`${what} → ModelFormatError naming model.json and ${field}`, async () => {
        const { target, path } = await edit(what.replace(/ /g, '-'), change);
        const error = await noNewTensors(() => loadModelFromDir(target));
        expect(error).toBeInstanceOf(ModelFormatError);
        expect(error).toMatchObject({ code: 'MODEL_FORMAT', file: path, field });
        expect(error.message.startsWith(`${path}: field ${field}: `)).toBe(true);
      });
    }

    it('model.json that is not JSON → ModelFormatError', async () => {
      const target = await copy('not-json');
      await writeFile(join(target, 'model.json'), '{"format": "medxfer-resnet18", ');
      const error = await loadModelFromDir(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as Error).message).toContain('not valid UTF-8 JSON');
    });
  });

  it('validateMetadata accepts a single-logit binary head with two class names', () => {
    const meta = { ...META, architecture: 'resnet18', input: 'rgb', numClasses: 1 };
    expect(validateMetadata(meta, 'x.json').classNames).toEqual(['normal', 'pneumonia']);
  });
});
