// A tiny page that imports the core entry ("." ) of each @medxfer package and uses a few functions.
// .ci/browser-bundle.sh builds it with Vite for the browser, with no polyfills or aliases for Node
// builtins, and checks that the output references no Node module.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { HALF_NORMALIZATION, datasetInfo, imagesInMemory, encodeNpy, encodePng, makeBatch, md5Hex, memoryStore, readNpy, type DatasetSplit } from '@medxfer/data';
import { ResNet18, readSafetensors, encodeSafetensors, stateDict } from '@medxfer/models';
import { crossEntropy, notebookPlan, validatePlan } from '@medxfer/train';
import { binaryReport, rocAuc } from '@medxfer/metrics';

async function run(): Promise<Record<string, unknown>> {
  await tf.setBackend('cpu');
  const info = datasetInfo('pneumoniamnist');
  // A synthetic 4-image split in MedMNIST's layout.
  const images = Uint8Array.from({ length: 4 * 28 * 28 }, (_, i) => (i * 7) % 256);
  const split: DatasetSplit = { info, split: 'test', size: 28, count: 4, imageShape: [28, 28], images: imagesInMemory(images, 784), labels: Uint8Array.from([0, 1, 1, 0]), labelWidth: 1 };
  const batch = makeBatch(split, [0, 1, 2, 3], { size: 32, channels: 1, normalization: HALF_NORMALIZATION });
  const npy = readNpy(encodeNpy(batch.images, batch.shape));
  const model = new ResNet18({ numClasses: 2, input: 'single', seed: 0 });
  const x = tf.tensor4d(batch.images, [...batch.shape] as [number, number, number, number]);
  const logits = model.predict(x);
  const loss = crossEntropy(logits, tf.tensor1d([0, 1, 1, 0], 'int32'));
  const probs = tf.softmax(logits).dataSync();
  const scores = Array.from({ length: 4 }, (_, i) => probs[2 * i + 1]!);
  const weights = readSafetensors(encodeSafetensors(new Map([['fc.bias', { dtype: 'float32' as const, shape: [2], data: stateDict(model).get('fc.bias')!.data }]])));
  validatePlan(notebookPlan());
  const result = {
    dataset: info.flag,
    batch: batch.shape,
    npy: npy.shape,
    md5: md5Hex(images),
    png: encodePng({ width: 28, height: 28, channels: 1, pixels: images.subarray(0, 784) }).length,
    store: memoryStore().locate('x'),
    logits: logits.shape,
    loss: loss.dataSync()[0],
    auc: rocAuc([0, 1, 1, 0], scores),
    accuracy: binaryReport([0, 1, 1, 0], scores).accuracy,
    fcBias: weights.get('fc.bias')!.shape,
  };
  tf.dispose([x, logits, loss]);
  model.dispose();
  return result;
}

// In a page: show the result. Elsewhere (.ci/browser-bundle.sh runs the built bundle under Deno with
// no permissions as a smoke test): print it, and fail loudly.
run().then(
  (r) => {
    if (typeof document !== 'undefined') document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
    else console.log(`bundle-smoke ${JSON.stringify(r)}`);
  },
  (e) => {
    if (typeof document !== 'undefined') document.getElementById('out')!.textContent = `failed: ${e}`;
    else {
      console.error(e);
      throw e;
    }
  },
);
