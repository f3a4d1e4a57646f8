// MedMNIST's 3D datasets through the real `medxfer` binary, on synthetic files with the official keys, dtypes and
// shapes: montage and save, train (ACS from a 2D checkpoint, plain 3D, 2.5D at 64³) → run folder → evaluate → predict.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng, encodeNpy, imageAt, openMedMNIST } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';
import { writeSyntheticMedMNIST } from '../../../test-support/synthetic-medmnist.js';
import { runCli, scratch } from './run-cli.js';

const root = scratch('volumes');
const counts = { train: 64, val: 32, test: 32 };
const recipe = ['--epochs-head', '1', '--epochs-full', '2', '--lr-full', '1e-3', '--backend', 'wasm', '--bootstrap', '0', '--json'];
const checkpoint = sharedPath('fixtures', 'torch', 'resnet18-random-seed0.pth');

beforeAll(() => {
  writeSyntheticMedMNIST(root, 'nodulemnist3d', { seed: 3, counts });
  writeSyntheticMedMNIST(root, 'fracturemnist3d', { seed: 5, size: 64, counts: { train: 32, val: 12, test: 12 } });
});

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('medxfer datasets on 3D sets', () => {
  it('montage: one row of depth slices per volume; save: one PNG slice grid per volume, read back by predict', async () => {
    const out = join(scratch('montage3d'), 'm.png');
    const m = await runCli(['datasets', 'montage', 'nodulemnist3d', '--root', root, '--no-verify', '--length', '3', '--out', out, '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ width: 28 * 28, height: 3 * 28, volumes: 3 });
    const dir = scratch('save3d');
    const s = await runCli(['datasets', 'save', 'nodulemnist3d', '--root', root, '--no-verify', '--split', 'test', '--out', dir, '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).images).toBe(32);
    const sheet = decodePng(new Uint8Array(readFileSync(join(dir, 'test', 'test_5.png'))));
    expect([sheet.width, sheet.height]).toEqual([6 * 28, 5 * 28]);
    const test = openMedMNIST(readFileSync(join(root, 'nodulemnist3d.npz')), { flag: 'nodulemnist3d', verify: false }).splits.test;
    // Slice 0 is the grid's top-left tile.
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x += 9) expect(sheet.pixels[(y * sheet.width + x) * 4]).toBe(imageAt(test, 5)[y * 28 + x]);
  });
});

describe('medxfer train on 3D sets', () => {
  let acsRun = '';
  beforeAll(async () => {
    acsRun = join(scratch('acs'), 'run');
    const r = await runCli(['train', '--dataset', 'nodulemnist3d', '--root', root, '--no-verify', '--weights', checkpoint, ...recipe, '--out', acsRun]);
    expect(r.code, r.stderr).toBe(0);
  }, 300_000);

  it('ACS from a 2D checkpoint (the default --conv): learns the volumes and records how it was made', () => {
    const config = readJson(join(acsRun, 'config.json'));
    expect(config.volume).toBe('acs');
    expect(config.weights.source).toMatch(/^file:/);
    const model = readJson(join(acsRun, 'model', 'model.json')).userDefinedMetadata.medxfer;
    expect(model).toMatchObject({ volume: 'acs', input: 'grey', inputSize: 28, dataset: 'nodulemnist3d@28' });
    const metrics = readJson(join(acsRun, 'metrics.json'));
    expect(metrics.test.auc).toBeGreaterThan(0.9);
    expect(readFileSync(join(acsRun, 'report.html'), 'utf8')).not.toMatch(/NaN/);
  });

  it('evaluate reproduces the test metrics; predict gives the same answer for a .npy volume and its saved slice grid', async () => {
    const metrics = readJson(join(acsRun, 'metrics.json'));
    const e = await runCli(['evaluate', '--model', acsRun, '--backend', 'wasm', '--bootstrap', '0', '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ n: 32, acc: metrics.test.acc });
    const test = openMedMNIST(readFileSync(join(root, 'nodulemnist3d.npz')), { flag: 'nodulemnist3d', verify: false }).splits.test;
    const dir = scratch('predict3d');
    writeFileSync(join(dir, 'v.npy'), encodeNpy(imageAt(test, 2), [28, 28, 28]));
    const save = await runCli(['datasets', 'save', 'nodulemnist3d', '--root', root, '--no-verify', '--split', 'test', '--out', dir]);
    expect(save.code, save.stderr).toBe(0);
    const p = await runCli(['predict', '--model', acsRun, join(dir, 'v.npy'), join(dir, 'test', 'test_2.png'), '--backend', 'wasm', '--json']);
    expect(p.code, p.stderr).toBe(0);
    const [fromNpy, fromPng] = JSON.parse(p.stdout).results;
    expect(fromNpy.shape).toEqual([28, 28, 28]);
    expect(fromPng.probabilities).toEqual(fromNpy.probabilities);
    expect(fromNpy.prediction).toBe(['benign', 'malignant'][test.labels[2]!]);
    const cam = join(dir, 'cam.png');
    const c = await runCli(['predict', '--model', acsRun, join(dir, 'v.npy'), '--cam', cam, '--backend', 'wasm', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).results[0].camInfo).toMatchObject({ layer: 'layer1', grid: '7×7×7', flat: false });
    const overlay = decodePng(new Uint8Array(readFileSync(cam)));
    expect([overlay.width, overlay.height]).toEqual([3 * 28 + 4, 28]);
  });

  it('refuses what cannot work with one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['predict', '--model', acsRun, checkpoint], /not a PNG or JPEG file/],
      [['train', '--dataset', 'breastmnist', '--conv', 'acs'], /--conv is for 3D datasets; breastmnist is 2D/],
      [['train', '--dataset', 'nodulemnist3d', '--conv', 'cubic'], /--conv must be one of acs, 2\.5d, 3d/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect([r.code, r.stderr.trim().split('\n').length], args.join(' ')).toEqual([2, 1]);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a plain 3D ResNet-18 starts from the 2D checkpoint (kernels inflated) and saves its 3D kernels', async () => {
    // Its numerics and learning are the models tests' (PyTorch parity of the inflated network); here, the CLI path.
    const run = join(scratch('plain3d'), 'run');
    const r = await runCli(['train', '--dataset', 'nodulemnist3d', '--root', root, '--no-verify', '--weights', checkpoint, '--conv', '3d', '--train-limit', '8', '--eval-limit', '4', '--epochs-head', '0', '--epochs-full', '1', '--batch-size', '8', '--backend', 'wasm', '--bootstrap', '0', '--json', '--out', run]);
    expect(r.code, r.stderr).toBe(0);
    const model = readJson(join(run, 'model', 'model.json'));
    expect(model.userDefinedMetadata.medxfer).toMatchObject({ volume: '3d' });
    expect(model.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'layer1.0.conv1.weight').shape).toEqual([3, 3, 3, 64, 64]);
    expect(readJson(join(run, 'config.json')).volume).toBe('3d');
  });

  it('2.5D at 64³ learns from random weights (multi-class 3D: the web e2e run trains FractureMNIST3D)', async () => {
    // At 28³ a 2.5D ResNet-18 with torchvision's strides sees only depth slices 0 and 2 (models' volume tests):
    // the synthetic marks lie in the middle third of the depth, which it reaches at 64³.
    const flat = join(scratch('fracture64'), 'run');
    const b = await runCli(['train', '--dataset', 'fracturemnist3d', '--size', '64', '--conv', '2.5d', '--root', root, '--no-verify', '--weights', 'none', ...recipe, '--batch-size', '16', '--out', flat]);
    expect(b.code, b.stderr).toBe(0);
    expect(readJson(join(flat, 'config.json')).volume).toBe('2.5d');
    expect(readJson(join(flat, 'model', 'model.json')).userDefinedMetadata.medxfer).toMatchObject({ volume: '2.5d', inputSize: 64 });
    expect(readJson(join(flat, 'metrics.json')).test.auc).toBeGreaterThan(0.9);
  }, 300_000);
});
