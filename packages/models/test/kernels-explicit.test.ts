// Installing medxfer's wasm kernels is an explicit, global step: nothing installs them as a side effect, and
// ResNet18 gives the same numbers on tfjs-wasm's own kernels (forward and gradients) until it is taken.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { medxferKernelsActive, ResNet18, useMedxferKernels } from '@medxfer/models';

describe('useMedxferKernels', () => {
  it('is the only thing that installs the kernels; a forward and backward pass agree either way', async () => {
    setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(medxferKernelsActive()).toBe(false);
    const model = new ResNet18({ numClasses: 3, input: 'grey', seed: 4 });
    // Batch 8 at 64 px: train-mode BatchNorm over two images at layer4's 1×1 map would amplify rounding differences.
    const x = tf.randomUniform([8, 64, 64, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(x, { bn: 'train', updateStats: false }))) as tf.Scalar, [model.params.get('conv1.weight')!, model.params.get('layer4.1.conv2.weight')!]);
      const out = { loss: value.dataSync()[0]!, grads: Object.values(grads).map((g) => g.dataSync().slice() as Float32Array) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const plain = step();
    const logits = model.predict(x).dataSync().slice();
    expect(medxferKernelsActive(), 'a forward and backward pass installed nothing').toBe(false);
    expect(useMedxferKernels()).toBe(true);
    expect(medxferKernelsActive()).toBe(true);
    const ours = step();
    // Different kernels (XNNPACK's against medxfer's direct convolutions and float64 BatchNorm sums) round differently.
    expect(Math.abs(ours.loss - plain.loss)).toBeLessThan(1e-4 * Math.abs(plain.loss));
    ours.grads.forEach((g, k) => {
      const scale = plain.grads[k]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let worst = 0;
      g.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - plain.grads[k]![i]!))));
      expect(worst).toBeLessThan(1e-3 * scale);
    });
    const again = model.predict(x).dataSync();
    logits.forEach((v, i) => expect(Math.abs(again[i]! - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
    tf.dispose(x);
    model.dispose();
  });
});
