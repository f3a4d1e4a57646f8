// Consumer program (b): @medxfer/models alone (with tfjs-core and the cpu backend): read a PyTorch
// checkpoint, load it into ResNet18 and predict; compare with PyTorch's logits.
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ResNet18, loadStateDict, readCheckpoint, tensorToNumbers } from '@medxfer/models';
import { assert, check, readNpyFile, shared, summary } from './check.mjs';

await tf.setBackend('cpu');
await tf.ready();
const torch = (name) => shared('fixtures', 'torch', name);

await check('readCheckpoint: tiny.zip.pth and tiny.legacy.pth hold the same state dict', async () => {
  const zip = readCheckpoint(new Uint8Array(await readFile(torch('tiny.zip.pth'))), 'tiny.zip.pth');
  const legacy = readCheckpoint(new Uint8Array(await readFile(torch('tiny.legacy.pth'))), 'tiny.legacy.pth');
  assert([...zip.keys()].join() === '0.weight,0.bias,1.weight,1.bias,1.running_mean,1.running_var,1.num_batches_tracked,4.weight,4.bias', [...zip.keys()].join());
  for (const [name, t] of zip) {
    assert(JSON.stringify(tensorToNumbers(t)) === JSON.stringify(tensorToNumbers(legacy.get(name))), `${name} differs`);
  }
  assert(zip.get('4.weight').shape.join() === '2,2704', 'fc shape');
});

await check('ResNet18 + loadStateDict + predict match PyTorch at 28 px on cpu (1e-4 + 1e-4·|ref|)', async () => {
  const state = readCheckpoint(new Uint8Array(await readFile(torch('resnet18-random-seed0.pth'))), 'resnet18-random-seed0.pth');
  const model = new ResNet18();
  const report = loadStateDict(model, state);
  assert(report.loaded.length === 102 && report.missing.length === 0, `loaded ${report.loaded.length}, missing ${report.missing}`);
  const input = readNpyFile(new Uint8Array(await readFile(torch('resnet18-random-seed0.input-28.npy'))));
  const ref = readNpyFile(new Uint8Array(await readFile(torch('resnet18-random-seed0.logits-28.npy')))).data;
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(input.data, input.shape), [0, 2, 3, 1]));
  const logits = model.predict(x);
  const ours = logits.dataSync();
  assert(logits.shape.join() === '2,1000', `shape ${logits.shape}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / (1e-4 + 1e-4 * Math.abs(ref[i])));
  assert(worst <= 1, `worst |diff| / (1e-4 + 1e-4|ref|) = ${worst}`);
  const argmax = (a, row) => { let k = 0; for (let j = 1; j < 1000; j++) if (a[row * 1000 + j] > a[row * 1000 + k]) k = j; return k; };
  assert(argmax(ours, 0) === argmax(ref, 0) && argmax(ours, 1) === argmax(ref, 1), 'argmax differs');
  console.log(`         worst logit error ${worst.toFixed(3)} of the tolerance; argmax ${argmax(ours, 0)}, ${argmax(ours, 1)}`);
  tf.dispose([x, logits]);
  model.dispose();
});

summary('models');
