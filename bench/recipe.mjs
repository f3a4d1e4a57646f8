// End-to-end time of the course notebook's recipe with medxfer's CLI: `medxfer train --preset notebook`
// (phase 1: head only, Adam 1e-3, 3 epochs; phase 2: everything, Adam 1e-5, 5 epochs; validation each
// epoch; test metrics and the report at the end) on the real PneumoniaMNIST.
//
//   node bench/recipe.mjs                         # the notebook at 224 px on a sample, projected to the full data
//   node bench/recipe.mjs --resize 0 --full       # at the data's 28 px, the whole run measured
//   node bench/recipe.mjs --train-limit 128 --eval-limit 64 --backend wasm --json out.json
//   node bench/recipe.mjs --threads 2              # each convolution on 2 kernel threads (the CLI's default on 2 cores)
//   node bench/recipe.mjs --workers 2              # data parallel: 2 chunks per batch (BatchNorm per chunk)
//
// On a sample (--train-limit/--eval-limit) every epoch's training throughput and the evaluation time are
// measured, and the full run's time is projected from them (the dataset's 4,708 / 524 / 624 images; a phase's
// first-epoch warm-up counted once, not scaled with the data: projectedTraining): a projection, printed as one. PyTorch's recipe (bench/torch_recipe.py: Debian's python3-torch with
// torchvision and scikit-learn, as many threads as --workers or --threads; one without either) runs on the same sample and is projected the
// same way, unless --no-torch. Needs the built packages (npm run bench builds them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const SPLITS = { train: 4708, val: 524, test: 624 };
const DATA = new URL('../apps/cli/data/pneumoniamnist.npz', import.meta.url).pathname;

const { values: args } = parseArgs({
  options: {
    resize: { type: 'string', default: '224' },
    'train-limit': { type: 'string', default: '96' },
    'eval-limit': { type: 'string', default: '64' },
    full: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    workers: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
    'no-torch': { type: 'boolean', default: false },
  },
});

const resize = Number(args.resize);
const trainLimit = args.full ? SPLITS.train : Number(args['train-limit']);
const evalLimit = args.full ? Math.max(SPLITS.val, SPLITS.test) : Number(args['eval-limit']);
const out = mkdtempSync(join(tmpdir(), 'medxfer-recipe-'));
const cli = new URL('../apps/cli/bin/medxfer.js', import.meta.url).pathname;
const cliArgs = [
  'train', '--preset', 'notebook', '--weights', 'none', '--backend', args.backend, '--bootstrap', '0', '--out', join(out, 'run'), '--json',
  ...(resize ? ['--resize', String(resize)] : []),
  ...(args.full ? [] : ['--train-limit', String(trainLimit), '--eval-limit', String(evalLimit)]),
  ...(args.workers ? ['--workers', args.workers] : []),
  // One thread unless asked: the CLI's own default splits convolutions across every core.
  ...(args.workers ? [] : ['--threads', args.threads ?? '1']),
];
/** Threads either side uses: PyTorch gets as many. */
const threads = Number(args.workers ?? args.threads ?? 1);

try {
  process.stderr.write(`… medxfer ${cliArgs.join(' ')}\n`);
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, ...cliArgs], { stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = (performance.now() - t0) / 1000;
  const history = readFileSync(join(out, 'run', 'history.csv'), 'utf8').trim().split('\n');
  const head = history[0].split(',');
  const epochs = history.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [head[i], v])));
  const trainImages = Math.min(trainLimit, SPLITS.train);
  const valImages = Math.min(evalLimit, SPLITS.val);
  const testImages = Math.min(evalLimit, SPLITS.test);
  // history.csv's seconds are each epoch's training time; the rest of the wall time is start-up, the
  // validation passes (one per epoch), the test pass, metrics and the report, scaled here by evaluated images
  // (an over-estimate: start-up does not grow with the data).
  const trainSeconds = epochs.reduce((sum, e) => sum + Number(e.seconds), 0);
  const rest = wall - trainSeconds;
  const evaluated = epochs.length * valImages + testImages;
  const projected = args.full
    ? wall
    : projectedTraining(epochs.map((e) => ({ phase: e.phase, seconds: Number(e.seconds), imgPerS: Number(e.imgPerS), cached: e.cachedFeatures === 'true' })), trainImages)
      + rest * ((epochs.length * SPLITS.val + SPLITS.test) / evaluated);
  const record = {
    recipe: 'notebook', backend: args.backend, threads, how: args.workers ? 'workers' : 'kernel threads', resize: resize || null, trainImages, valImages, testImages, epochs: epochs.length,
    measuredSeconds: Math.round(wall), trainSeconds: Math.round(trainSeconds), otherSeconds: Math.round(rest),
    projectedFullSeconds: Math.round(projected),
    perEpoch: epochs.map((e) => ({ phase: e.phase, seconds: Number(e.seconds), trainImgPerS: Number(e.imgPerS), cachedFeatures: e.cachedFeatures === 'true' })),
  };
  const minutes = (s) => `${Math.floor(Math.round(s) / 60)} min ${Math.round(s) % 60} s`;
  console.log(`notebook recipe, ${args.backend}, ${resize ? `${resize} px` : '28 px'}, ${threads} thread${threads > 1 ? `s (${record.how})` : ''}: ${epochs.length} epochs on ${trainImages} training / ${valImages} val / ${testImages} test images in ${minutes(wall)}`);
  for (const e of record.perEpoch) console.log(`  ${e.phase.padEnd(5)} ${e.seconds.toFixed(1).padStart(7)} s  train ${e.trainImgPerS.toFixed(1).padStart(7)} img/s${e.cachedFeatures ? ' (cached features)' : ''}`);
  console.log(`  evaluation (${evaluated} images), start-up, metrics and report: ${rest.toFixed(1)} s`);
  if (!args.full) console.log(`projected for the full data (${SPLITS.train} / ${SPLITS.val} / ${SPLITS.test}): ${minutes(projected)} (from the throughput measured above; a projection, not a run)`);
  const torch = args['no-torch'] || args.full ? undefined : torchRecipe();
  if (torch) {
    record.pytorch = torch;
    console.log(`PyTorch ${torch.torch}, ${torch.threads} thread${torch.threads > 1 ? 's' : ''}, the same sample (bench/torch_recipe.py):`);
    for (const e of torch.epochs) console.log(`  ${e.phase.padEnd(5)} ${e.seconds.toFixed(1).padStart(7)} s  train ${e.trainImgPerS.toFixed(1).padStart(7)} img/s`);
    console.log(`  evaluation ${torch.evalImgPerS.toFixed(1)} img/s`);
    console.log(`projected for the full data: PyTorch ${minutes(torch.projectedFullSeconds)}, medxfer ${minutes(projected)}: medxfer ${(torch.projectedFullSeconds / projected).toFixed(2)}× PyTorch's speed`);
  }
  if (args.json) writeFileSync(args.json, `${JSON.stringify(record, null, 2)}\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}

/**
 * Seconds of the full data's training epochs, from epochs measured on `images` training images: each epoch at
 * its own throughput, except that the time a phase's first epoch takes beyond the phase's steady throughput (the
 * median of its later epochs) — start-up, first allocations, warm-up — is counted once rather than scaled with
 * the data. Phases with one epoch, or with cached features (a first epoch that computes them), scale as measured.
 */
function projectedTraining(epochs, images) {
  const median = (values) => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  let seconds = 0;
  for (const phase of new Set(epochs.map((e) => e.phase))) {
    const [first, ...later] = epochs.filter((e) => e.phase === phase);
    const steady = later.length && !later.some((e) => e.cached) ? median(later.map((e) => e.imgPerS)) : undefined;
    const oneOff = steady ? Math.max(0, first.seconds - images / steady) : 0;
    seconds += oneOff + SPLITS.train / (steady ? Math.max(steady, first.imgPerS) : first.imgPerS);
    for (const e of later) seconds += SPLITS.train / e.imgPerS;
  }
  return seconds;
}

/** PyTorch's recipe on the same sample and threads, projected like medxfer's; undefined where torch is missing. */
function torchRecipe() {
  for (const python of [process.env.MEDXFER_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    try {
      execFileSync(python, ['-c', 'import torch, torchvision, sklearn'], { stdio: 'ignore' });
    } catch {
      continue;
    }
    process.stderr.write(`… PyTorch's recipe (${python}, ${threads} thread${threads > 1 ? 's' : ''})\n`);
    const script = new URL('torch_recipe.py', import.meta.url).pathname;
    const line = execFileSync(python, [script, DATA, '--resize', String(resize), '--train-limit', String(trainLimit), '--eval-limit', String(evalLimit), '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const result = JSON.parse(line.trim().split('\n').pop());
    const evaluatedFull = result.epochs.length * SPLITS.val + SPLITS.test;
    const measured = result.epochs.map((e) => ({ phase: e.phase, seconds: e.seconds, imgPerS: e.trainImgPerS, cached: false }));
    result.projectedFullSeconds = Math.round(projectedTraining(measured, Math.min(trainLimit, SPLITS.train)) + evaluatedFull / result.evalImgPerS);
    return result;
  }
  console.log('(no python3 with torch, torchvision and scikit-learn: apt-get install python3-torch python3-torchvision python3-sklearn for the PyTorch projection)');
  return undefined;
}
