// The MedMNIST+ sizes through the CLI, as a user runs them: a stored PathMNIST 224 px file of 4.4 GB (train_images
// 2.4 GB) and a deflated one whose train_images inflates to 2.26 GB, generated here (seeded, not committed). Each
// command's peak RSS is measured with /usr/bin/time -v and must stay under 1 GiB. Run by .ci/large-files.sh;
// needs ≈ 10 GB of free disk (it says so and skips when the disk has less). Ends "large-files: N passed, M failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLargeNpz } from '../../../test-support/large-npz.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../bin/medxfer.js');
const base = process.env.MEDXFER_LARGE_DIR ?? tmpdir();
const NEEDED_GB = 12;
const RSS_LIMIT = 2 ** 30;
const GiB = 2 ** 30;
const IMAGE = [224, 224, 3];
const IMAGE_BYTES = 224 * 224 * 3;

let passed = 0;
let failed = 0;
const check = (name, ok, detail) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  ok ? passed++ : failed++;
};

const freeGB = (() => {
  const s = statfsSync(base);
  return (s.bavail * s.bsize) / 1e9;
})();
if (freeGB < NEEDED_GB || !existsSync('/usr/bin/time')) {
  console.log(`large-files: skipped — ${freeGB < NEEDED_GB ? `${freeGB.toFixed(1)} GB free in ${base}, the files and the inflated copy need ${NEEDED_GB} GB (set MEDXFER_LARGE_DIR to a roomier folder)` : '/usr/bin/time is missing (apt install time)'}`);
  console.log('large-files: 0 passed, 0 failed');
  process.exit(0);
}

/** Runs the CLI under /usr/bin/time -v: exit code, output, peak RSS in bytes and seconds. */
function cli(args) {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - started) / 1000;
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? Number.NaN);
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.replace(/\n\tCommand being timed[\s\S]*$/, ''), rss: rssKb * 1024, seconds };
}

function commandChecks(label, result, expectations) {
  const gb = (result.rss / GiB).toFixed(2);
  check(`${label}: exit 0`, result.code === 0, result.code === 0 ? `${result.seconds.toFixed(1)} s` : result.stderr.trim().split('\n').slice(-3).join(' | '));
  check(`${label}: peak RSS under 1 GiB`, result.rss < RSS_LIMIT, `${gb} GiB`);
  for (const [what, ok] of expectations) check(`${label}: ${what}`, ok);
}

/**
 * A disk that fills while train_images is inflated: a 100 MiB tmpfs holding a 64 px file whose train_images
 * inflates to 74 MB. Needs permission to mount (root); says so and skips otherwise.
 */
async function diskFull(root) {
  const small = join(root, 'small-disk');
  mkdirSync(small, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', small], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    console.log(`skip disk full while preparing: cannot mount a small tmpfs here (${(mounted.stderr || 'mount failed').trim()})`);
    return;
  }
  try {
    await writeLargeNpz(join(small, 'pathmnist_64.npz'), { imageShape: [64, 64, 3], classes: 9, counts: { train: 6000, val: 100, test: 100 }, deflate: ['train_images'], seed: 5 });
    const r = cli(['train', '--dataset', 'pathmnist', '--size', '64', '--root', small, '--no-verify', '--weights', 'none', '--preset', 'fine-tune', '--epochs', '1', '--train-limit', '32', '--eval-limit', '32', '--bootstrap', '0', '--backend', 'wasm', '--out', join(root, 'run-full')]);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('medxfer:'));
    check('disk full while preparing: exit 1 with one line', r.code === 1 && errors.length === 1 && /pathmnist_64\.npz\.medxfer\/train_images\.npy: the disk is full/.test(errors[0]) && !/\n\s+at /.test(r.stderr), `exit ${r.code}: ${errors.join(' | ') || r.stderr.trim().slice(-300)}`);
    const left = readdirSync(join(small, 'pathmnist_64.npz.medxfer'));
    check('disk full while preparing: no partial copy, temporary file or stamp left', !left.some((f) => f.startsWith('train_images')), left.join(', '));
  } finally {
    spawnSync('umount', [small]);
  }
}

// MEDXFER_LARGE_FILES=DIR keeps the generated files there and reuses them on the next run (for working on this check).
const keep = process.env.MEDXFER_LARGE_FILES;
const root = keep ? resolve(keep) : join(base, `medxfer-large-${process.pid}`);
const stored = join(root, 'stored');
const deflated = join(root, 'deflated');
mkdirSync(stored, { recursive: true });
mkdirSync(deflated, { recursive: true });
try {
  const write = (file, spec) => (keep && existsSync(join(file, '..', 'spec.json')) ? JSON.parse(readFileSync(join(file, '..', 'spec.json'), 'utf8')) : writeLargeNpz(file, spec).then((r) => (keep && writeFileSync(join(file, '..', 'spec.json'), JSON.stringify(r)), r)));
  let t = performance.now();
  const storedFile = await write(join(stored, 'pathmnist_224.npz'), { imageShape: IMAGE, classes: 9, counts: { train: 16000, val: 6000, test: 7180 }, seed: 1 });
  console.log(`wrote ${join(stored, 'pathmnist_224.npz')}: ${(storedFile.size / 1e9).toFixed(2)} GB stored in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  check('stored file is over 4 GiB with train_images over 2 GiB', storedFile.size > 4 * GiB && storedFile.entries[0].uncompressed > 2 * GiB);
  t = performance.now();
  const deflatedFile = await write(join(deflated, 'pathmnist_224.npz'), {
    imageShape: IMAGE, classes: 9, counts: { train: 15000, val: 300, test: 400 }, deflate: ['train_images', 'val_images', 'test_images'], seed: 2,
  });
  console.log(`wrote ${join(deflated, 'pathmnist_224.npz')}: ${(deflatedFile.size / 1e9).toFixed(2)} GB deflated in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  check('deflated train_images inflates to over 2 GiB', deflatedFile.entries[0].method === 8 && deflatedFile.entries[0].uncompressed > 2 * GiB);

  // The same short run on the small bundled PneumoniaMNIST: what a large file's run is held against.
  const baseline = cli([
    'train', '--weights', 'none', '--preset', 'fine-tune', '--epochs', '1', '--resize', '28', '--batch-size', '16', '--train-limit', '96', '--eval-limit', '64',
    '--bootstrap', '0', '--backend', 'wasm', '--out', join(root, 'run-small'),
  ]);
  commandChecks('small bundled PneumoniaMNIST: the same train run', baseline, []);

  for (const [kind, folder, trainCount] of [['stored', stored, 16000], ['deflated', deflated, 15000]]) {
    const info = cli(['datasets', 'info', 'pathmnist', '--size', '224', '--root', folder, '--no-verify']);
    commandChecks(`${kind}: datasets info`, info, [
      ['lists the split sizes', new RegExp(`train\\s+${trainCount}\\b`).test(info.stdout)],
      [kind === 'stored' ? 'reads train in place' : 'says preparing train will take about N s', kind === 'stored' ? /train read in place/.test(info.stdout) : /train deflated \(2\.\d+ GB\): inflated once .* about \d+ (s|min) here/.test(info.stdout)],
    ]);
    console.log(info.stdout.split('\n').find((l) => l.startsWith('images:')));

    const run = join(root, `run-${kind}`);
    const train = cli([
      'train', '--dataset', 'pathmnist', '--size', '224', '--root', folder, '--no-verify', '--weights', 'none', '--preset', 'fine-tune', '--epochs', '1',
      '--resize', '28', '--batch-size', '16', '--train-limit', '96', '--eval-limit', '64', '--bootstrap', '0', '--backend', 'wasm', '--out', run,
    ]);
    commandChecks(`${kind}: train --train-limit 96`, train, [
      [`peak RSS within 256 MiB of the small dataset's run (${(baseline.rss / GiB).toFixed(2)} GiB)`, train.rss <= baseline.rss + 256 * 2 ** 20],
      ['wrote the model', existsSync(join(run, 'model'))],
      ...(kind === 'deflated' ? [['inflated train_images into the cache next to the file', existsSync(join(folder, 'pathmnist_224.npz.medxfer', 'train_images.npy.json'))]] : []),
    ]);
    const evaluate = cli(['evaluate', '--model', run, '--split', 'test', '--limit', '256', '--bootstrap', '0', '--backend', 'wasm', '--json']);
    let metrics;
    try {
      metrics = JSON.parse(evaluate.stdout);
    } catch {}
    commandChecks(`${kind}: evaluate --limit 256`, evaluate, [['scored 256 test images', metrics?.n === 256]]);
  }
  await diskFull(root);
  const cache = join(deflated, 'pathmnist_224.npz.medxfer', 'train_images.npy');
  check('the inflated copy is the entry, whole', existsSync(cache) && readFileSync(join(deflated, 'pathmnist_224.npz.medxfer', 'train_images.npy.json'), 'utf8').includes(String(15000 * IMAGE_BYTES + 128)));
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
  for (const run of ['stored', 'deflated', 'full', 'small']) rmSync(join(root, `run-${run}`), { recursive: true, force: true });
  execFileSync('sync');
}
console.log(`large-files: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
