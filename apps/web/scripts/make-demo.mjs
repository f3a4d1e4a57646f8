#!/usr/bin/env node
// Makes the demo subset that ships with the web app: a small, stratified, seeded sample of
// PneumoniaMNIST (28 px) in the MedMNIST .npz layout, so the app trains with no network.
//
//   node apps/web/scripts/make-demo.mjs [path/to/pneumoniamnist.npz]
//
// Default source: ../shared/data/pneumoniamnist.npz beside the repository (MEDXFER_SHARED overrides).
// Writes apps/web/public/demo/pneumoniamnist-demo.npz and apps/web/src/demo-manifest.json (its md5,
// sha256 and counts, which the app checks the file against). Run once; the outputs are kept in git.
// Reads the data with @medxfer/data (built: run `npx turbo run build` first).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { classCounts, encodeNpy, md5Hex, openMedMNIST, permutation, seededRandom, sha256Hex, subsetSplit } from '@medxfer/data';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, '..');
const shared = process.env.MEDXFER_SHARED ?? resolve(web, '../../../shared');
const source = resolve(process.argv[2] ?? join(shared, 'data/pneumoniamnist.npz'));

/** Images per split in the demo. */
const SIZES = { train: 400, val: 100, test: 100 };
const SEED = 20261125;

const bytes = new Uint8Array(readFileSync(source));
// The shared copy's train order differs from the official file (see its README), so its md5 is not
// the official one: it is accepted here explicitly, and its own md5 is recorded as the provenance.
const data = openMedMNIST(bytes, { flag: 'pneumoniamnist', size: 28, source, verify: false });

/** `n` indices of `split`, stratified by class (largest remainder), seeded, in ascending order. */
function stratified(split, n, seed) {
  const random = seededRandom(seed);
  const counts = classCounts(split);
  const exact = counts.map((c) => (c / split.count) * n);
  const take = exact.map(Math.floor);
  const order = exact.map((e, c) => [e - Math.floor(e), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; take.reduce((a, b) => a + b, 0) < n; k++) take[order[k % order.length][1]]++;
  const chosen = [];
  for (let c = 0; c < counts.length; c++) {
    const members = [];
    for (let i = 0; i < split.count; i++) if (split.labels[i] === c) members.push(i);
    const perm = permutation(members.length, random);
    for (let k = 0; k < take[c]; k++) chosen.push(members[perm[k]]);
  }
  return chosen.sort((a, b) => a - b);
}

const files = {};
const summary = {};
for (const [k, [split, n]] of Object.entries(SIZES).entries()) {
  const subset = subsetSplit(data.splits[split], stratified(data.splits[split], n, SEED + k));
  files[`${split}_images.npy`] = encodeNpy(subset.images, [subset.count, 28, 28]);
  files[`${split}_labels.npy`] = encodeNpy(subset.labels, [subset.count, 1]);
  summary[split] = { count: subset.count, classCounts: classCounts(subset) };
}

// A fixed time stamp keeps the file byte-identical from run to run.
const npz = zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
const out = join(web, 'public/demo/pneumoniamnist-demo.npz');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, npz);

const manifest = {
  file: 'demo/pneumoniamnist-demo.npz',
  flag: 'pneumoniamnist',
  size: 28,
  bytes: npz.length,
  md5: md5Hex(npz),
  sha256: await sha256Hex(npz),
  seed: SEED,
  splits: summary,
  source: { file: 'shared/data/pneumoniamnist.npz', md5: data.md5 },
  licence: 'CC BY 4.0',
};
writeFileSync(join(web, 'src/demo-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${out} (${npz.length} bytes, md5 ${manifest.md5})`);
for (const [split, s] of Object.entries(summary)) console.log(`  ${split}: ${s.count} images, normal/pneumonia ${s.classCounts.join('/')}`);
