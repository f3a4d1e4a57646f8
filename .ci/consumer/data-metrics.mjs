// Consumer program (a): @medxfer/data + @medxfer/metrics, WITHOUT @medxfer/models or tfjs installed.
// Runs with plain `node` in a scratch project that installed only the two packed tarballs.
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IMAGENET_NORMALIZATION,
  classCounts,
  datasetFile,
  datasetInfo,
  loadMedMNIST,
  makeBatch,
  openMedMNIST,
  readNpy,
  readNpz,
} from '@medxfer/data';
import { nodeStore } from '@medxfer/data/node';
import { binaryReport, evaluate, rocAuc } from '@medxfer/metrics';
import * as metricsNode from '@medxfer/metrics/node';
import { assert, check, close, shared, summary } from './check.mjs';

const require = createRequire(import.meta.url);
const npzPath = shared('data', 'pneumoniamnist.npz');
const bytes = new Uint8Array(await readFile(npzPath));
const reference = JSON.parse(await readFile(shared('fixtures', 'reference', 'metrics-reference.json'), 'utf8'));

await check('models and tfjs are not installed here (data + metrics stand alone)', () => {
  for (const name of ['@medxfer/models', '@medxfer/train', '@tensorflow/tfjs-core']) {
    let found = true;
    try {
      require.resolve(name);
    } catch {
      found = false;
    }
    assert(!found, `${name} should not be resolvable`);
  }
});

let dataset;
await check('readNpz + openMedMNIST(verify: false) read the shared PneumoniaMNIST', () => {
  const arrays = readNpz(bytes, 'pneumoniamnist.npz');
  assert(arrays.get('train_images').shape.join() === '4708,28,28', `train_images shape ${arrays.get('train_images').shape}`);
  dataset = openMedMNIST(bytes, { flag: 'pneumoniamnist', verify: false, source: npzPath });
  assert(dataset.checksum === 'unverified', `checksum ${dataset.checksum}`);
  assert(dataset.info.task === 'binary-class', dataset.info.task);
});

await check('class counts match the official splits', () => {
  const counts = Object.fromEntries(['train', 'val', 'test'].map((s) => [s, classCounts(dataset.splits[s])]));
  console.log(`         class counts (normal/pneumonia): ${JSON.stringify(counts)}`);
  assert(JSON.stringify(counts) === JSON.stringify({ train: [1214, 3494], val: [135, 389], test: [234, 390] }), 'counts differ');
});

await check('makeBatch (PIL resize + grey→RGB + ImageNet normalisation) matches torchvision to 1e-6', async () => {
  const expected = readNpy(new Uint8Array(await readFile(shared('fixtures', 'reference', 'transform-imagenet-64.npy'))), 'transform-imagenet-64.npy');
  const batch = makeBatch(dataset.splits.train, reference.source_indices, { size: 64, channels: 3, normalization: IMAGENET_NORMALIZATION, layout: 'NCHW' });
  assert(batch.shape.join() === expected.shape.join(), `shape ${batch.shape} vs ${expected.shape}`);
  let worst = 0;
  for (let i = 0; i < batch.images.length; i++) worst = Math.max(worst, Math.abs(batch.images[i] - expected.data[i]));
  assert(worst <= 1e-6, `max abs diff ${worst}`);
});

await check('binaryReport on scores computed from the test images', () => {
  // A deliberately crude "classifier": the mean intensity of the image's centre.
  const test = dataset.splits.test;
  const scores = Array.from({ length: test.count }, (_, i) => {
    const image = test.images.read(i);
    let sum = 0;
    for (let y = 7; y < 21; y++) for (let x = 7; x < 21; x++) sum += image[y * 28 + x];
    return sum / (14 * 14 * 255);
  });
  const labels = Array.from(test.labels);
  const report = binaryReport(labels, scores, { bootstrap: { samples: 200, seed: 1 } });
  // AUC by brute force over all (positive, negative) pairs.
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) for (let j = 0; j < labels.length; j++) if (labels[j] === 0) {
    pairs++;
    wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
  }
  close(report.rocAuc, wins / pairs, 1e-12, 0, 'rocAuc');
  const c = report.confusion;
  assert(c.tp + c.fp + c.tn + c.fn === test.count, 'confusion total');
  assert(report.ci.rocAuc.lower <= report.rocAuc && report.rocAuc <= report.ci.rocAuc.upper, 'CI holds the estimate');
  console.log(`         test AUC of mean centre intensity: ${report.rocAuc.toFixed(4)} (95% CI ${report.ci.rocAuc.lower.toFixed(3)}–${report.ci.rocAuc.upper.toFixed(3)})`);
});

await check('metrics match the scikit-learn reference to 1e-9', () => {
  const b = reference.binary;
  const r = binaryReport(b.labels, b.scores);
  close(r.rocAuc, b.roc_auc, 1e-9, 0, 'roc_auc');
  close(r.averagePrecision, b.average_precision, 1e-9, 0, 'average_precision');
  close(r.logLoss, b.log_loss, 1e-9, 0, 'log_loss');
  close(r.ece, b.ece_10_equal_width_bins, 1e-9, 0, 'ece');
  close(evaluate('multi-class', reference.multiclass.labels, reference.multiclass.probs).auc, reference.multiclass.macro_ovr_auc, 1e-9, 0, 'macro AUC');
  close(evaluate('multi-label', reference.multilabel.labels, reference.multilabel.scores).auc, reference.multilabel.mean_auc, 1e-9, 0, 'mean AUC');
  assert(metricsNode.rocAuc === rocAuc, '@medxfer/metrics/node re-exports the core');
});

await check('@medxfer/data/node: loadMedMNIST from a nodeStore folder, no download', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medxfer-consumer-'));
  try {
    const file = datasetFile(datasetInfo('pneumoniamnist'), 28).fileName;
    await symlink(npzPath, join(dir, file));
    const loaded = await loadMedMNIST('pneumoniamnist', { store: nodeStore(dir), download: false, verify: false });
    assert(loaded.splits.val.count === 524, `val count ${loaded.splits.val.count}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

summary('data + metrics');
