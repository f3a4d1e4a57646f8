// @medxfer/models' public API under Deno: checkpoint reading, ResNet18 logits against PyTorch on the
// cpu and wasm backends, state dicts, safetensors and the TensorFlow.js save format.
import * as tf from '@tensorflow/tfjs-core';
import { memoryStore, readNpy } from '@medxfer/data';
import {
  ResNet18,
  StateDictMismatchError,
  UnrecognizedCheckpointError,
  encodeSafetensors,
  fileStoreHandler,
  loadModel,
  loadStateDict,
  readCheckpoint,
  readSafetensors,
  saveModel,
  stateDict,
  tensorToNumbers,
} from '@medxfer/models';
import { assert, assertClose, assertEquals, assertThrows, nchwToNhwc, readShared, useBackend } from './harness.ts';

const torch = (name: string) => readShared('fixtures', 'torch', name);
const state = readCheckpoint(torch('resnet18-random-seed0.pth'), 'resnet18-random-seed0.pth');

Deno.test('readCheckpoint: zip and legacy formats hold the same tiny state dict; junk is refused', () => {
  const zip = readCheckpoint(torch('tiny.zip.pth'), 'tiny.zip.pth');
  const legacy = readCheckpoint(torch('tiny.legacy.pth'), 'tiny.legacy.pth');
  assertEquals([...zip.keys()], ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '4.weight', '4.bias']);
  for (const [name, t] of zip) assertEquals(tensorToNumbers(legacy.get(name)!), tensorToNumbers(t), name);
  assertEquals([zip.get('4.weight')!.shape, zip.get('1.num_batches_tracked')!.dtype], [[2, 2704], 'int64']);
  assertThrows(() => readCheckpoint(new Uint8Array(64), 'junk.pth'), UnrecognizedCheckpointError);
});

Deno.test('the ResNet18 checkpoint: 122 entries, 11,689,512 parameters', () => {
  assertEquals(state.size, 122);
  let parameters = 0;
  for (const [name, t] of state) if (!name.includes('running_') && !name.endsWith('num_batches_tracked')) parameters += t.data.length;
  assertEquals(parameters, 11_689_512);
});

function argmaxRows(values: ArrayLike<number>, columns: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < values.length / columns; r++) {
    let k = 0;
    for (let j = 1; j < columns; j++) if (values[r * columns + j]! > values[r * columns + k]!) k = j;
    out.push(k);
  }
  return out;
}

for (const [backend, sizes] of [['cpu', [28, 64]], ['wasm', [28, 64, 224]]] as const) {
  Deno.test(`ResNet18 logits = PyTorch 1.13 within 1e-4 + 1e-4·|ref| on ${backend} at ${sizes.join(', ')} px`, async () => {
    await useBackend(backend);
    const model = new ResNet18();
    const report = loadStateDict(model, state);
    assertEquals([report.loaded.length, report.missing.length, report.unexpected.length, report.headDropped], [102, 0, 0, false]);
    for (const size of sizes) {
      const input = readNpy(torch(`resnet18-random-seed0.input-${size}.npy`));
      const ref = readNpy(torch(`resnet18-random-seed0.logits-${size}.npy`)).data as Float32Array;
      const x = nchwToNhwc(input.data as Float32Array, input.shape);
      const logits = model.predict(x);
      const ours = logits.dataSync();
      tf.dispose([x, logits]);
      assertClose(ours, ref, 1e-4, 1e-4, `${backend} logits at ${size} px`);
      assertEquals(argmaxRows(ours, 1000), argmaxRows(ref, 1000), 'argmax');
    }
    model.dispose();
  });
}

Deno.test('stateDict gives back the checkpoint in PyTorch layouts; strict loading names what is wrong', async () => {
  await useBackend('cpu');
  const model = new ResNet18();
  loadStateDict(model, state);
  const out = stateDict(model);
  for (const name of ['conv1.weight', 'layer3.0.downsample.0.weight', 'fc.weight', 'bn1.running_var']) {
    assertEquals(out.get(name)!.shape, state.get(name)!.shape, `${name} shape`);
    assertEquals(Array.from(out.get(name)!.data.subarray(0, 50)), Array.from((state.get(name)!.data as Float32Array).subarray(0, 50)), name);
  }
  const partial = new Map(state);
  partial.delete('layer1.0.conv1.weight');
  assertThrows(() => loadStateDict(new ResNet18(), partial), StateDictMismatchError, /layer1\.0\.conv1\.weight/);
  model.dispose();
});

Deno.test('safetensors round trip', () => {
  const bytes = encodeSafetensors(new Map([['a', { dtype: 'float32' as const, shape: [2, 2], data: [1, 2, 3, 4.5] }], ['b', { dtype: 'int64' as const, shape: [], data: [7n] }]]), { note: 'deno' });
  const back = readSafetensors(bytes);
  assertEquals([back.get('a')!.shape, tensorToNumbers(back.get('a')!), tensorToNumbers(back.get('b')!)], [[2, 2], [1, 2, 3, 4.5], [7]]);
});

Deno.test('saveModel / loadModel through a FileStore handler: the same logits and metadata', async () => {
  await useBackend('cpu');
  const model = new ResNet18({ numClasses: 2, input: 'single', seed: 3 });
  const store = memoryStore();
  await saveModel(model, fileStoreHandler(store), { classNames: ['normal', 'pneumonia'], inputSize: 28, normalization: { mean: [0.5], std: [0.5] }, task: 'binary-class', dataset: 'pneumoniamnist@28', weightsSource: 'none (random init, seed 3)' });
  assertEquals([...store.files.keys()].sort(), ['model.json', 'weights.bin']);
  const { model: loaded, metadata } = await loadModel(fileStoreHandler(store));
  assertEquals([metadata.input, metadata.numClasses, metadata.classNames], ['single', 2, ['normal', 'pneumonia']]);
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const a = model.predict(x);
  const b = loaded.predict(x);
  assertEquals(Array.from(b.dataSync()), Array.from(a.dataSync()));
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
  assert(tf.memory().numTensors < 1000, 'tensors are released');
});
