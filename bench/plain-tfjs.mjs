// The comparison the bench prints beside medxfer: the same ResNet18 (torchvision layout, grey input, 2
// classes) written the plain tfjs way — a tf.layers functional model, compiled with tfjs's Adam and trained
// with model.fit — on the same backend, batch and sizes. Used by bench/run.mjs (records with impl "plain-tfjs").
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const conv = (x, filters, kernel, stride, name) => {
  const pad = (kernel - 1) / 2;
  const padded = pad ? tfl.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) : x;
  return tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'valid', useBias: false, name }).apply(padded);
};
const bn = (x, name) => tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name }).apply(x);
const relu = (x) => tfl.layers.reLU().apply(x);

function basicBlock(x, filters, stride, name) {
  let y = relu(bn(conv(x, filters, 3, stride, `${name}_conv1`), `${name}_bn1`));
  y = bn(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
  const shortcut = stride !== 1 || x.shape[3] !== filters ? bn(conv(x, filters, 1, stride, `${name}_down`), `${name}_down_bn`) : x;
  return relu(tfl.layers.add().apply([y, shortcut]));
}

/** torchvision's resnet18 as a tf.layers model (NHWC), with a 1-channel input and a 2-way head. */
export function plainResNet18(size) {
  const input = tfl.input({ shape: [size, size, 1] });
  let x = relu(bn(conv(input, 64, 7, 2, 'conv1'), 'bn1'));
  x = tfl.layers.zeroPadding2d({ padding: 1 }).apply(x);
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x);
  [64, 128, 256, 512].forEach((filters, stage) => {
    x = basicBlock(x, filters, stage === 0 ? 1 : 2, `layer${stage + 1}_0`);
    x = basicBlock(x, filters, 1, `layer${stage + 1}_1`);
  });
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const output = tfl.layers.dense({ units: 2, name: 'fc' }).apply(x);
  return tfl.model({ inputs: input, outputs: output });
}

/**
 * Seconds for `steps` batches of `mode` ('infer' | 'train' | 'frozen') after `warmup` batches, or
 * `{ error }` when the backend cannot run it (plain tfjs-wasm has no Conv2DBackpropFilter kernel).
 */
export async function timePlain(c, x, y) {
  const model = plainResNet18(c.size);
  if (c.mode === 'frozen') for (const layer of model.layers) layer.trainable = layer.name === 'fc';
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'sparseCategoricalCrossentropy' });
  const labels = tf.cast(y, 'float32');
  const run = async (n) => {
    if (c.mode === 'infer') {
      for (let i = 0; i < n; i++) tf.tidy(() => void model.predict(x, { batchSize: c.batch }).dataSync());
      return;
    }
    // fit over n copies of the batch: n steps of Adam on batches of c.batch (no shuffling cost to speak of).
    const xs = tf.concat(Array.from({ length: n }, () => x));
    const ys = tf.concat(Array.from({ length: n }, () => labels));
    await model.fit(xs, ys, { batchSize: c.batch, epochs: 1, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);
  };
  try {
    await run(c.warmup);
    const t0 = performance.now();
    await run(c.steps);
    return { seconds: (performance.now() - t0) / 1000 };
  } catch (error) {
    return { error: error.message.split('\n')[0] };
  } finally {
    model.dispose();
    labels.dispose();
  }
}
