// Loader bench: how fast datasets that live on disk feed training at 224 px.
//   md5      — MB/s of md5File (node:crypto over the file, as `nodeStore` verifies a dataset), and of coreutils'
//              md5sum on the same file for scale (MD5 is sequential: about 0.5 GB/s is this CPU's ceiling);
//   read     — images/s reading random batches of 32 RGB 224 px images (SplitImages.read), from a stored npz
//              (read in place) and from the inflated copy of a deflated one;
//   batch    — images/s of whole random batches as the trainer makes them (makeBatch: RGB, ImageNet normalisation);
//   train    — images/s of one wasm training step at 224 px (batch 16), to set the loader against: it must be
//              at least 10× faster, so that reading never holds training up.
// The files are written by test-support/large-npz.mjs in a temporary folder and read from the page cache after a
// first pass (a cold disk is slower; the trainer's prefetch overlaps reads with compute either way).
// Usage: npm run bench:loader -- [--images 4000] [--json out.json]; also run by `npm run bench` (--no-loader skips).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadMedMNIST, makeBatch, permutation, seededRandom, IMAGENET_NORMALIZATION } from '@medxfer/data';
import { md5File, nodeStore } from '@medxfer/data/node';
import { writeLargeNpz } from '../test-support/large-npz.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { images: { type: 'string', default: '4000' }, json: { type: 'string' } } });
const count = Number(args.images);
const BATCH = 32;
const transform = { size: 224, channels: 3, normalization: IMAGENET_NORMALIZATION };

const folder = mkdtempSync(join(tmpdir(), 'medxfer-loader-bench-'));
const records = [];
const record = (r) => {
  records.push({ impl: 'medxfer-loader', size: 224, ...r });
  console.log(`${r.mode.padEnd(6)} ${(r.source ?? '').padEnd(7)} ${r.imgPerS !== undefined ? `${r.imgPerS.toFixed(0)} img/s` : `${r.mbPerS.toFixed(0)} MB/s`}`);
};

/** images/s of `batches` random batches through `take`. */
function rate(split, take, batches = 40) {
  const order = permutation(split.count, seededRandom(7));
  const start = performance.now();
  for (let b = 0; b < batches; b++) take(order.subarray((b * BATCH) % (split.count - BATCH), ((b * BATCH) % (split.count - BATCH)) + BATCH));
  return (batches * BATCH) / ((performance.now() - start) / 1000);
}

try {
  for (const [source, deflate] of [['stored', []], ['cache', ['train_images']]]) {
    const root = join(folder, source);
    await writeLargeNpz(join(root, 'pathmnist_224.npz'), { imageShape: [224, 224, 3], classes: 9, counts: { train: count, val: 10, test: 10 }, deflate, seed: 1 });
    if (source === 'stored') {
      const file = join(root, 'pathmnist_224.npz');
      const start = performance.now();
      await md5File(file);
      const { size } = statSync(file);
      record({ mode: 'md5', source, mbPerS: size / 1e6 / ((performance.now() - start) / 1000), bytes: size });
      // The same file through coreutils' md5sum, where there is one: the machine's own md5 speed, for scale.
      const coreutils = performance.now();
      try {
        execFileSync('md5sum', [file], { stdio: 'ignore' });
        record({ mode: 'md5', source: 'md5sum', mbPerS: size / 1e6 / ((performance.now() - coreutils) / 1000), bytes: size });
      } catch {}
    }
    const data = await loadMedMNIST('pathmnist', { store: nodeStore(root), size: 224, verify: false, download: false });
    const train = data.splits.train;
    rate(train, (indices) => indices.forEach((i) => train.images.read(i)), Math.ceil(count / BATCH)); // warm the page cache
    record({ mode: 'read', source, storage: train.storage, imgPerS: rate(train, (indices) => indices.forEach((i) => train.images.read(i)), 200) });
    record({ mode: 'batch', source, storage: train.storage, imgPerS: rate(train, (indices) => makeBatch(train, indices, transform), 10) });
    await data.close?.();
  }

  // The training step as bench/run.mjs measures it (wasm, 224 px RGB is heavier than its grey input: a lower bound).
  const trainJson = join(folder, 'train.json');
  execFileSync(process.execPath, [join(here, 'run.mjs'), '--sizes', '224', '--backends', 'wasm', '--modes', 'train', '--batch', '16', '--steps', '2', '--warmup', '1', '--no-torch', '--no-plain', '--no-loader', '--json', trainJson], { stdio: 'ignore' });
  const trainRate = JSON.parse(readFileSync(trainJson, 'utf8'))[0].imgPerS;
  record({ mode: 'train', source: 'wasm', imgPerS: trainRate, batch: 16 });
  const slowest = Math.min(...records.filter((r) => r.mode === 'batch').map((r) => r.imgPerS));
  const md5sum = records.find((r) => r.source === 'md5sum');
  console.log(`loader / training step: ${(slowest / trainRate).toFixed(0)}× (needs ≥ 10×); md5 ${records[0].mbPerS.toFixed(0)} MB/s (needs ≥ 500${md5sum ? `; md5sum here: ${md5sum.mbPerS.toFixed(0)} MB/s` : ''})`);
  if (args.json) writeFileSync(args.json, JSON.stringify(records, null, 2));
} finally {
  rmSync(folder, { recursive: true, force: true });
}
