// @medxfer/train's public API under Deno: gradients (tfjs-core's, registered by @medxfer/models'
// vendored bundle), optimisers, plans, and real training steps of ResNet18 on PneumoniaMNIST (wasm).
import * as tf from '@tensorflow/tfjs-core';
import { openMedMNIST, permutation, seededRandom, subsetSplit } from '@medxfer/data';
import { ResNet18 } from '@medxfer/models';
import {
  Adam,
  PlanError,
  Sgd,
  checkpointEachEpoch,
  crossEntropy,
  decodeTrainingState,
  lrFactor,
  notebookPlan,
  predictSplit,
  presetPlan,
  train,
  validatePlan,
} from '@medxfer/train';
import { assert, assertClose, assertEquals, assertThrows, readShared, useBackend } from './harness.ts';

const data = openMedMNIST(readShared('data', 'pneumoniamnist.npz'), { flag: 'pneumoniamnist', verify: false });
const pick = (split: typeof data.splits.train, n: number, seed: number) => subsetSplit(split, permutation(split.count, seededRandom(seed)).subarray(0, n));

Deno.test('tfjs-core op gradients work under Deno (cpu and wasm)', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), tf.square(x))))(tf.tensor1d([-1, 2, 3]));
    assertEquals(Array.from(g.dataSync()), [0, 12, 27], `${backend} gradient`);
    g.dispose();
  }
});

Deno.test('cross-entropy, Adam and SGD steps, schedules and plans', async () => {
  await useBackend('cpu');
  const logits = tf.tensor2d([[2, 0], [0, 1]]);
  const labels = tf.tensor1d([0, 1], 'int32');
  const loss = crossEntropy(logits, labels);
  assertClose(loss.dataSync()[0]!, (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-1))) / 2, 1e-6, 0, 'loss');
  for (const optimizer of [new Adam(), new Sgd({ momentum: 0.9 })]) {
    const w = tf.variable(tf.tensor1d([1, -2]), true, `w-${optimizer.constructor.name}`);
    const grads = new Map([['w', tf.tensor1d([0.5, -0.5])]]);
    optimizer.apply(new Map([['w', w]]), grads, () => ({ lr: 0.1, weightDecay: 0 }));
    // The first Adam step moves each weight by lr against the gradient's sign; SGD by lr·grad.
    assertClose(w.dataSync(), optimizer instanceof Adam ? [0.9, -1.9] : [0.95, -1.95], 1e-6, 0, optimizer.constructor.name);
    tf.dispose([w, ...grads.values()]);
    optimizer.dispose();
  }
  tf.dispose([logits, labels, loss]);
  assertClose([0, 5, 10].map((step) => lrFactor({ kind: 'cosine' }, step, 11, 5)), [1, 0.5, 0], 1e-12, 0, 'cosine');
  assertClose(lrFactor({ kind: 'step', everyEpochs: 1, gamma: 0.5 }, 5, 10, 5), 0.5, 1e-12);
  for (const name of ['notebook', 'fine-tune', 'scratch']) validatePlan(presetPlan(name));
  assertThrows(() => presetPlan('nope'), PlanError, /unknown preset/);
  assertThrows(() => validatePlan({ ...notebookPlan(), batchSize: 0 }), PlanError, /batch size/);
});

Deno.test('train: the notebook plan, one epoch per phase on 64 real images (wasm), checkpoints and predictions', async () => {
  await useBackend('wasm');
  const trainSplit = pick(data.splits.train, 64, 1);
  const val = pick(data.splits.val, 64, 2);
  const transform = { size: 28, channels: 1 as const };
  const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
  const before = { fc: Array.from(model.params.get('fc.weight')!.dataSync()), conv1: Array.from(model.params.get('conv1.weight')!.dataSync()) };
  const states: Uint8Array[] = [];
  const tensors = tf.memory().numTensors;
  const result = await train({
    model, plan: notebookPlan({ epochsHead: 1, epochsFull: 1, batchSize: 32, seed: 7 }), train: trainSplit, val, transform,
    callbacks: [checkpointEachEpoch(async (bytes) => void states.push(bytes))],
  });
  assertEquals(result.history.map((h) => h.phase), ['head', 'full']);
  for (const h of result.history) assert(Number.isFinite(h.trainLoss) && h.valAuc! >= 0 && h.valAuc! <= 1, JSON.stringify(h));
  assert(Array.from(model.params.get('fc.weight')!.dataSync()).some((v, i) => v !== before.fc[i]), 'fc trained');
  assert(Array.from(model.params.get('conv1.weight')!.dataSync()).some((v, i) => v !== before.conv1[i]), 'conv1 trained in the full phase');
  assertEquals(tf.memory().numTensors, tensors, 'no tensors leak');
  assertEquals(decodeTrainingState(states[1]!).history.length, 2);
  const probs = await predictSplit(model, pick(data.splits.test, 32, 3), transform);
  assertEquals(probs.length, 64);
  for (let i = 0; i < 32; i++) assertClose(probs[2 * i]! + probs[2 * i + 1]!, 1, 1e-5, 0, 'softmax rows');
  model.dispose();
});
