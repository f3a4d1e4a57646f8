import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePng, imageAt, openMedMNIST, readNpy } from '@medxfer/data';
import { readCheckpoint } from '@medxfer/models';
import { repoRoot, sharedPath } from '../../../test-support/paths.js';
import { runCli, scratch } from './run-cli.js';

/** Debian's python3-torch and python3-torchvision, for the PyTorch round trip (.ci/run installs them). */
const HAS_TORCH = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;

const quick = ['--train-limit', '96', '--eval-limit', '64', '--epochs-head', '1', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '200'];

describe('medxfer train → evaluate → predict → metrics (the real binary, wasm)', () => {
  let run = '';
  let summary: { val: { acc: number; auc: number }; test: { acc: number; auc: number }; weights: string; epochs: number };

  beforeAll(async () => {
    run = join(scratch('run'), 'run');
    const r = await runCli(['train', '--weights', 'imagenet-or-none', ...quick, '--out', run, '--json']);
    expect(r.code, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
  });

  it('writes the whole run folder and records the weights it really used', () => {
    expect(readdirSync(run).sort()).toEqual(['config.json', 'history.csv', 'metrics.json', 'model', 'predictions-test.csv', 'predictions-val.csv', 'report.html', 'worst-errors.png']);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.weights).toMatchObject({ requested: 'imagenet-or-none', source: 'none (random init, seed 42)' });
    expect(config.weights.note).toMatch(/^ImageNet weights unavailable \(resnet18-f37072fd\.pth is not in .*hub[/\\]checkpoints and could not be downloaded\)/);
    expect(config.weights.note.length).toBeLessThan(200);
    expect(config).toMatchObject({ preset: 'notebook', backend: 'wasm', dataset: { flag: 'pneumoniamnist', checksum: 'known-copy', md5: 'b591286d75c096548ca78ab709b385da' } });
    expect(config.versions['@tensorflow/tfjs-core']).toBe('4.22.0');
    expect(summary.weights).toBe('none (random init, seed 42)');
    const history = readFileSync(join(run, 'history.csv'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(3);
    expect(history[1]).toMatch(/^1,head,1,0\.001,/);
    expect(history[2]).toMatch(/^2,full,1,0\.00001,/);
    const predictions = readFileSync(join(run, 'predictions-test.csv'), 'utf8').trim().split('\n');
    expect(predictions[0]).toBe('index,label,score_normal,score_pneumonia');
    expect(predictions).toHaveLength(65);
    // --eval-limit takes a stratified sample: both classes, in the test split's proportions (234 normal / 390 pneumonia).
    const labels = predictions.slice(1).map((l) => Number(l.split(',')[1]));
    expect(labels.filter((y) => y === 0)).toHaveLength(24);
    const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    expect(metrics.test.acc).toBe(summary.test.acc);
    expect(metrics.test.ci.rocAuc.lower).toBeLessThanOrEqual(metrics.test.rocAuc);
    const report = readFileSync(join(run, 'report.html'), 'utf8');
    expect(report).toContain('none (random init, seed 42)');
    expect(report).not.toMatch(/(src|href)="https?:/);
  });

  it('evaluate reproduces the test metrics from the saved model', async () => {
    const r = await runCli(['evaluate', '--model', run, '--backend', 'wasm', '--limit', '64', '--bootstrap', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    const saved = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).test;
    expect(e.n).toBe(64);
    expect(e.acc).toBe(saved.acc);
    expect(Math.abs(e.auc - saved.auc)).toBeLessThan(1e-9);
    expect(e.report.confusion).toEqual(saved.confusion);
    const whole = await runCli(['evaluate', '--model', join(run, 'model'), '--backend', 'wasm', '--bootstrap', '0', '--json']);
    expect(JSON.parse(whole.stdout).n).toBe(624);
    // Each batch's images shared by two threads: the one-thread report, every number of it.
    const scored = await Promise.all(['1', '2'].map((w) => runCli(['evaluate', '--model', run, '--backend', 'wasm', '--limit', '64', '--bootstrap', '0', '--workers', w, '--json'])));
    expect(JSON.parse(scored[1]!.stdout).report).toEqual(JSON.parse(scored[0]!.stdout).report);
    expect((await runCli(['evaluate', '--model', run, '--backend', 'wasm', '--workers', '0'])).stderr).toMatch(/--workers must be at least 1/);
  });

  it('metrics on the run’s predictions CSV equals metrics.json', async () => {
    const csv = join(run, 'predictions-test.csv');
    const r = await runCli(['metrics', '--labels', csv, '--scores', csv, '--bootstrap', '200', '--seed', '42', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    const saved = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')).test;
    expect(m.accuracy).toBe(saved.accuracy);
    expect(Math.abs(m.rocAuc - saved.rocAuc)).toBeLessThan(1e-6);
    expect(m.confusion).toEqual(saved.confusion);
  });

  it('predict classifies PNG images with the same numbers as the run, and draws a Grad-CAM overlay', async () => {
    const dir = scratch('predict');
    const data = openMedMNIST(new Uint8Array(readFileSync(sharedPath('data', 'pneumoniamnist.npz'))), { flag: 'pneumoniamnist', verify: false });
    const rows = readFileSync(join(run, 'predictions-test.csv'), 'utf8').trim().split('\n').slice(1, 3).map((l) => l.split(',').map(Number));
    // The CSV's index is the image's index in the whole test split.
    const files = rows.map((row) => {
      const file = join(dir, `test-${row[0]}.png`);
      writeFileSync(file, encodePng({ width: 28, height: 28, channels: 1, pixels: imageAt(data.splits.test, row[0]!) }));
      return file;
    });
    const r = await runCli(['predict', '--model', run, ...files, '--cam', join(dir, 'cam.png'), '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    out.results.forEach((res: { probabilities: Record<string, number> }, i: number) => expect(Math.abs(res.probabilities.pneumonia! - rows[i]![3]!)).toBeLessThan(1e-5));
    expect(existsSync(join(dir, 'cam-1.png')) && existsSync(join(dir, 'cam-2.png'))).toBe(true);
    // At 28 px layer4 is one cell; Grad-CAM takes layer1, whose 7×7 map can localise.
    expect(out.results[0].camInfo).toMatchObject({ layer: 'layer1', grid: '7×7' });
    const chosen = await runCli(['predict', '--model', run, files[0]!, '--cam', join(dir, 'l4.png'), '--cam-layer', 'layer4', '--backend', 'wasm', '--json']);
    expect(JSON.parse(chosen.stdout).results[0].camInfo).toMatchObject({ layer: 'layer4', grid: '1×1', flat: true });
    const bad = await runCli(['predict', '--model', run, join(dir, 'nope.png')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope\.png: no such image/);
  });

  it('weights export writes a torchvision state dict that PyTorch loads strictly and that reproduces the predictions', async () => {
    const dir = scratch('export');
    const r = await runCli(['weights', 'export', '--model', run, '--out', join(dir, 'model.pth'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(meta).toMatchObject({ num_classes: 2, class_names: ['normal', 'pneumonia'], input_size: 28, activation: 'softmax', preprocessing: { mean: [0.485, 0.456, 0.406] } });
    // medxfer's own reader reads it back: the torchvision names and shapes, the BatchNorm counters as int64.
    const state = readCheckpoint(new Uint8Array(readFileSync(join(dir, 'model.pth'))), 'model.pth');
    expect(state.size).toBe(122);
    expect(state.get('conv1.weight')!.shape).toEqual([64, 3, 7, 7]);
    expect(state.get('fc.weight')!.shape).toEqual([2, 512]);
    expect(state.get('bn1.num_batches_tracked')!.dtype).toBe('int64');
    if (!HAS_TORCH) {
      console.log('skipped the PyTorch half: /usr/bin/python3 has no torch/torchvision (.ci/run installs Debian\'s python3-torch and python3-torchvision)');
      return;
    }
    const check = spawnSync('/usr/bin/python3', [join(repoRoot, 'scripts/check-torch-export.py'), run, join(dir, 'model.pth')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const result = JSON.parse(check.stdout.trim().split('\n').pop()!);
    expect(result.images).toBe(64);
    expect(result.max_abs_diff).toBeLessThanOrEqual(1e-4);
    console.log(`PyTorch ${result.torch} reproduces predictions-test.csv: largest difference ${result.max_abs_diff.toExponential(2)}`);
  });

  it('refuses to overwrite a run folder, to resume a finished one, and to train no epoch', async () => {
    const r = await runCli(['train', '--weights', 'none', ...quick, '--out', run]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists and is not empty; choose another folder, or continue that run with --resume/);
    const finished = await runCli(['train', '--resume', run]);
    expect(finished.code).toBe(2);
    expect(finished.stderr).toMatch(/the run has finished: its model is in model\//);
    const nothing = await runCli(['train', '--weights', 'none', '--epochs-head', '0', '--epochs-full', '0', '--out', join(scratch('zero'), 'run')]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/every phase has 0 epochs/);
  });

  it('--keep-checkpoint keeps the resumable checkpoint of a finished run', async () => {
    const dir = join(scratch('keep'), 'run');
    const r = await runCli(['train', '--weights', 'none', '--train-limit', '32', '--eval-limit', '16', '--epochs-head', '1', '--epochs-full', '0', '--backend', 'wasm', '--bootstrap', '0', '--keep-checkpoint', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toContain('checkpoint.safetensors');
  });

  it('--workers 2 trains on two threads to the same history as --micro-batch 16, and records it', async () => {
    const args = ['--weights', 'none', '--train-limit', '64', '--eval-limit', '32', '--epochs-head', '1', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '0'];
    const dir = scratch('workers');
    const parallel = await runCli(['train', ...args, '--workers', '2', '--out', join(dir, 'w2')]);
    expect(parallel.code, parallel.stderr).toBe(0);
    const micro = await runCli(['train', ...args, '--micro-batch', '16', '--out', join(dir, 'm16')]);
    expect(micro.code, micro.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'w2', 'config.json'), 'utf8')).workers).toBe(2);
    // Two chunks of 16 either way, summed in the same order: the same numbers.
    const numbers = (run: string) => readFileSync(join(dir, run, 'history.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 9).join(','));
    expect(numbers('w2')).toEqual(numbers('m16'));
  });

  it('--threads 2 splits each convolution across two threads: the same run, bit for bit, as --threads 1', async () => {
    const args = ['--weights', 'none', '--train-limit', '64', '--eval-limit', '32', '--epochs-head', '1', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '0'];
    const dir = scratch('threads');
    const runs = await Promise.all(['1', '2'].map((t) => runCli(['train', ...args, '--threads', t, '--out', join(dir, `t${t}`)])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[1]!.stderr).toMatch(/threads: 2 per convolution/);
    expect(runs[0]!.stderr).not.toMatch(/threads: \d+ per convolution/);
    const numbers = (run: string) => readFileSync(join(dir, run, 'history.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 9).join(','));
    expect(numbers('t2')).toEqual(numbers('t1'));
    const predictions = (run: string) => readFileSync(join(dir, run, 'predictions-test.csv'), 'utf8');
    expect(predictions('t2')).toEqual(predictions('t1'));
    const both = await runCli(['train', ...args, '--threads', '2', '--workers', '2', '--out', join(dir, 'both')]);
    expect([both.code, both.stderr.trim()]).toEqual([2, expect.stringMatching(/--threads 2 and --workers 2 would both use the cores/)]);
    expect(existsSync(join(dir, 'both', 'config.json'))).toBe(false);
  });

  it('--preset scratch: two threads by default for its two chunks, the same run as one thread; evaluate applies its flip TTA', async () => {
    const args = ['--preset', 'scratch', '--weights', 'none', '--train-limit', '128', '--eval-limit', '48', '--epochs', '1', '--backend', 'wasm', '--bootstrap', '0'];
    const dir = scratch('scratch-preset');
    const auto = await runCli(['train', ...args, '--out', join(dir, 'auto')]);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).toMatch(/workers: 2 threads computing each batch in chunks of 64 images/);
    const one = await runCli(['train', ...args, '--workers', '1', '--out', join(dir, 'one')]);
    expect(one.code, one.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'auto', 'config.json'), 'utf8'));
    expect(config.workers).toBe(2);
    expect(config.plan).toMatchObject({ batchSize: 128, chunkSize: 64, ema: { decay: 0.98 }, recomputeBnStats: true, tta: 'flip' });
    // The plan fixes the chunks (BatchNorm over 64 images), so the thread count only changes the speed.
    const numbers = (run: string) => readFileSync(join(dir, run, 'history.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 9).map((v) => (Number.isNaN(Number(v)) ? v : Number(v).toFixed(5))).join(','));
    expect(numbers('auto')).toEqual(numbers('one'));
    const saved = JSON.parse(readFileSync(join(dir, 'auto', 'metrics.json'), 'utf8')).val;
    const byDefault = JSON.parse((await runCli(['evaluate', '--model', join(dir, 'auto'), '--split', 'val', '--limit', '48', '--backend', 'wasm', '--bootstrap', '0', '--json'])).stdout);
    expect(byDefault.tta).toBe('flip');
    expect(Math.abs(byDefault.auc - saved.auc)).toBeLessThan(1e-9);
    const plain = JSON.parse((await runCli(['evaluate', '--model', join(dir, 'auto'), '--split', 'val', '--limit', '48', '--tta', 'none', '--backend', 'wasm', '--bootstrap', '0', '--json'])).stdout);
    expect(plain.tta).toBe('none');
    expect(plain.report.brier).not.toBe(byDefault.report.brier);
  });

  it('--weights imagenet offline fails with where to put the file, and writes nothing', async () => {
    const out = join(scratch('imagenet'), 'run');
    const r = await runCli(['train', '--weights', 'imagenet', ...quick, '--out', out]);
    expect(r.code, 'the environment (no network): exit 1').toBe(1);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('medxfer:')), 'one error line').toHaveLength(1);
    expect(r.stderr).toMatch(/--weights imagenet-or-none .* or --weights none/);
    expect(r.stderr).toMatch(/resnet18-f37072fd\.pth/);
    expect(r.stderr).toMatch(/hub[/\\]checkpoints/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('medxfer train --plan: a recipe of your own as JSON', () => {
  const recipe = {
    name: 'my-recipe',
    batchSize: 32,
    chunkSize: 16,
    seed: 9,
    augmentation: { hflip: 0.5, rotate: 10, translate: 0.05, fill: 'edge' },
    loss: { classWeights: 'balanced', labelSmoothing: 0.05 },
    tta: 'flip',
    phases: [{ name: 'all', epochs: 1, train: ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'], lr: 1e-3, optimizer: { kind: 'adamw' }, weightDecay: 0.01, schedule: { kind: 'cosine' } }],
  };

  it('trains the file\'s plan, with --seed replacing its seed, and records it in config.json', async () => {
    const dir = scratch('plan');
    writeFileSync(join(dir, 'recipe.json'), JSON.stringify(recipe));
    const out = join(dir, 'run');
    const r = await runCli(['train', '--plan', join(dir, 'recipe.json'), '--seed', '3', '--weights', 'none', '--train-limit', '64', '--eval-limit', '32', '--backend', 'wasm', '--bootstrap', '0', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.preset).toBe('my-recipe');
    expect(config.plan).toEqual({ ...recipe, seed: 3 });
    expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ preset: 'my-recipe', epochs: 1 });
  });

  it('refuses preset flags beside it, and a file that is not a plan, in one line with exit 2', async () => {
    const dir = scratch('plan-bad');
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const cases: [string[], RegExp][] = [
      [['--plan', file('ok.json', JSON.stringify(recipe)), '--epochs', '3', '--preset', 'scratch'], /--plan .*ok\.json holds the whole recipe: leave out --preset, --epochs/],
      [['--plan', file('typo.json', JSON.stringify({ ...recipe, phases: [{ ...recipe.phases[0], epoch: 2 }] }))], /plan file: unknown field plan\.phases\[0\]\.epoch/],
      [['--plan', file('broken.json', '{"name": ')], /--plan .*broken\.json is not JSON/],
      [['--plan', join(dir, 'missing.json')], /--plan .*missing\.json: cannot read it \(ENOENT\)/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['train', ...args, '--weights', 'none', '--out', join(dir, 'never')]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('medxfer infer and weights import: parity with PyTorch', () => {
  it('infer on the fixture checkpoint reproduces PyTorch logits, and so does the imported model', async () => {
    const dir = scratch('infer');
    const pth = sharedPath('fixtures', 'torch', 'resnet18-random-seed0.pth');
    const input = sharedPath('fixtures', 'torch', 'resnet18-random-seed0.input-28.npy');
    const ref = readNpy(new Uint8Array(readFileSync(sharedPath('fixtures', 'torch', 'resnet18-random-seed0.logits-28.npy')))).data as Float32Array;
    const check = (file: string) => {
      const ours = readNpy(new Uint8Array(readFileSync(file)));
      expect(ours.shape).toEqual([2, 1000]);
      let worst = 0;
      (ours.data as Float32Array).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref[i]!) / (1e-4 + 1e-4 * Math.abs(ref[i]!)))));
      expect(worst).toBeLessThanOrEqual(1);
    };
    const r = await runCli(['infer', '--weights', pth, '--input', input, '--out', join(dir, 'a.npy'), '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    check(join(dir, 'a.npy'));
    const imp = await runCli(['weights', 'import', pth, '--out', join(dir, 'model')]);
    expect(imp.code, imp.stderr).toBe(0);
    const taskOf = (model: string) => JSON.parse(readFileSync(join(dir, model, 'model.json'), 'utf8')).userDefinedMetadata.medxfer.task;
    expect(taskOf('model')).toBe('multi-class');
    // A multi-label head (a sigmoid per output) says so; a binary task needs two outputs.
    expect((await runCli(['weights', 'import', pth, '--task', 'multi-label', '--out', join(dir, 'labels')])).code).toBe(0);
    expect(taskOf('labels')).toBe('multi-label, binary-class');
    const binary = await runCli(['weights', 'import', pth, '--task', 'binary-class', '--out', join(dir, 'binary')]);
    expect([binary.code, binary.stderr.trim()]).toEqual([2, expect.stringMatching(/--task binary-class needs a head of 2 outputs; the checkpoint's fc has 1000/)]);
    const again = await runCli(['infer', '--weights', join(dir, 'model'), '--input', input, '--out', join(dir, 'b.npy'), '--backend', 'cpu']);
    expect(again.code, again.stderr).toBe(0);
    check(join(dir, 'b.npy'));
    const wrong = await runCli(['infer', '--weights', pth, '--input', pth, '--out', join(dir, 'c.npy')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/not an NPY file/);
    expect(existsSync(join(dir, 'c.npy'))).toBe(false);
  });

  it('a pickle that tries to run code is refused, naming the global', async () => {
    const dir = scratch('evil');
    // A torch zip checkpoint whose data.pkl is: PROTO 2, GLOBAL 'os system', BINUNICODE 'id', TUPLE1, REDUCE, STOP.
    const pickle = new Uint8Array([0x80, 0x02, ...new TextEncoder().encode('cos\nsystem\n'), 0x58, 2, 0, 0, 0, ...new TextEncoder().encode('id'), 0x85, 0x52, 0x2e]);
    writeFileSync(join(dir, 'evil.pth'), zipSync({ 'evil/data.pkl': [pickle, { level: 0 }], 'evil/version': [new TextEncoder().encode('3\n'), { level: 0 }] }));
    const r = await runCli(['weights', 'import', join(dir, 'evil.pth'), '--out', join(dir, 'model')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/os\.system/);
    expect(existsSync(join(dir, 'model'))).toBe(false);
  });
});

describe('Ctrl-C and --resume', () => {
  it('an interrupted run keeps its last epoch and resumes to the same result as an uninterrupted one', async () => {
    const args = ['--weights', 'none', '--train-limit', '96', '--eval-limit', '32', '--epochs-head', '1', '--epochs-full', '2', '--backend', 'wasm', '--bootstrap', '0', '--json'];
    const whole = join(scratch('whole'), 'run');
    expect((await runCli(['train', ...args, '--out', whole])).code).toBe(0);

    const cut = join(scratch('cut'), 'run');
    let sent = false;
    const interrupted = await runCli(['train', ...args, '--out', cut], {
      onStderr: (text, child) => {
        if (!sent && /epoch 2 \(full\)/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/continue with: medxfer train --resume/);
    expect(readFileSync(join(cut, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(existsSync(join(cut, 'model'))).toBe(false);

    const resumed = await runCli(['train', '--resume', cut, '--backend', 'wasm', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const losses = (dir: string) => readFileSync(join(dir, 'history.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[4]);
    expect(losses(cut)).toEqual(losses(whole));
    const wholeTest = JSON.parse(readFileSync(join(whole, 'metrics.json'), 'utf8')).test;
    expect(JSON.parse(resumed.stdout).test).toEqual({ acc: wholeTest.acc, auc: wholeTest.auc });
  });
});
