// Consumer program (c): all four packages on the wasm backend in plain Node: a short two-phase run of
// the notebook plan on 64 real images, a checkpoint, evaluation with @medxfer/metrics, and a
// save/load round trip through @medxfer/models/node.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { openMedMNIST, permutation, seededRandom, subsetSplit } from '@medxfer/data';
import { ResNet18, useMedxferKernels } from '@medxfer/models';
import { loadModelFromDir, saveModelToDir } from '@medxfer/models/node';
import { checkpointEachEpoch, decodeTrainingState, notebookPlan, predictSplit, train } from '@medxfer/train';
import * as trainNode from '@medxfer/train/node';
import { evaluate } from '@medxfer/metrics';
import { assert, check, shared, summary } from './check.mjs';

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
assert(await tf.setBackend('wasm'), 'the wasm backend failed to initialise');
await tf.ready();
assert(useMedxferKernels(), "medxfer's wasm kernels failed to install");

const data = openMedMNIST(new Uint8Array(await readFile(shared('data', 'pneumoniamnist.npz'))), { flag: 'pneumoniamnist', verify: false });
const pick = (split, n, seed) => subsetSplit(split, permutation(split.count, seededRandom(seed)).subarray(0, n));
const trainSplit = pick(data.splits.train, 64, 1);
const valSplit = pick(data.splits.val, 64, 2);
const transform = { size: 28, channels: 1 };

await check(`tfjs-core op gradients are registered in plain Node (backend ${tf.getBackend()})`, () => {
  const g = tf.grad((x) => tf.sum(tf.mul(tf.relu(x), tf.square(x))))(tf.tensor1d([-1, 2, 3]));
  assert(JSON.stringify(Array.from(g.dataSync())) === '[0,12,27]', `grad ${g.dataSync()}`);
});

const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
let result;
const states = [];
await check('train: notebook plan, 1 epoch per phase, 64 images, batch 32, on wasm', async () => {
  const conv1 = Array.from(model.params.get('conv1.weight').dataSync());
  const fc = Array.from(model.params.get('fc.weight').dataSync());
  result = await train({
    model, plan: notebookPlan({ epochsHead: 1, epochsFull: 1, batchSize: 32, seed: 7 }), train: trainSplit, val: valSplit, transform,
    callbacks: [checkpointEachEpoch(async (bytes) => void states.push(bytes))],
  });
  assert(result.history.length === 2, `history ${result.history.length}`);
  for (const h of result.history) {
    assert(Number.isFinite(h.trainLoss) && h.trainLoss > 0, `train loss ${h.trainLoss}`);
    assert(h.valAuc >= 0 && h.valAuc <= 1, `val AUC ${h.valAuc}`);
    console.log(`         ${h.phase}: train loss ${h.trainLoss.toFixed(4)}, val AUC ${h.valAuc.toFixed(3)}, ${h.imgPerS.toFixed(1)} img/s`);
  }
  assert(Array.from(model.params.get('fc.weight').dataSync()).some((v, i) => v !== fc[i]), 'fc.weight did not change');
  assert(Array.from(model.params.get('conv1.weight').dataSync()).some((v, i) => v !== conv1[i]), 'conv1.weight did not change in the full phase');
});

await check('checkpointEachEpoch writes decodable training states', () => {
  assert(states.length === 2, `states ${states.length}`);
  const last = decodeTrainingState(states[1]);
  assert(last.plan === 'notebook' && last.history.length === 2, `${last.plan} ${last.history.length}`);
  assert(trainNode.decodeTrainingState === decodeTrainingState, '@medxfer/train/node re-exports the core');
});

let probs;
await check('predictSplit + evaluate on 128 test images', async () => {
  const test = pick(data.splits.test, 128, 3);
  probs = await predictSplit(model, test, transform);
  const e = evaluate('binary-class', test.labels, { data: probs, columns: 2 });
  assert(e.auc >= 0 && e.auc <= 1 && e.acc >= 0 && e.acc <= 1, `auc ${e.auc} acc ${e.acc}`);
  console.log(`         test (128 images, after 2 short epochs): AUC ${e.auc.toFixed(3)}, accuracy ${e.acc.toFixed(3)}`);
});

await check('saveModelToDir / loadModelFromDir round trip predicts the same', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medxfer-consumer-model-'));
  try {
    await saveModelToDir(dir, model, { classNames: ['normal', 'pneumonia'], inputSize: 28, normalization: { mean: [0], std: [1] }, task: 'binary-class', dataset: 'pneumoniamnist@28', weightsSource: 'none (random init, seed 1)' });
    const loaded = await loadModelFromDir(dir);
    assert(loaded.metadata.classNames.join() === 'normal,pneumonia', 'metadata');
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5);
    const a = model.predict(x).dataSync();
    const b = loaded.model.predict(x).dataSync();
    assert(a.every((v, i) => v === b[i]), 'predictions differ after the round trip');
    tf.dispose(x);
    loaded.model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

model.dispose();
summary('train');
