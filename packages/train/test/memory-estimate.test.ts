// resnet18StepBytes is what the CLI chooses micro-batches by (wasm's heap holds 4 GiB): it must not be below what
// a step really holds (the heap guard's peak), nor so far above it that it throws away batch sizes that fit.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { imagesThatFit, resnet18StepBytes, ResNet18, useMedxferKernels, wasmHeapUsage, WASM_STEP_BUDGET } from '@medxfer/models';
import { Adam, crossEntropy } from '@medxfer/train';

function trainingStep(model: ResNet18, optimizer: Adam, x: tf.Tensor4D, y: tf.Tensor1D): void {
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train' }), y), [...model.params.values()]);
  value.dataSync();
  optimizer.apply(model.params, new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g])), () => ({ lr: 1e-4, weightDecay: 0 }));
  tf.dispose([value, ...Object.values(grads)]);
}

describe('resnet18StepBytes', () => {
  it('is above the peak heap a step really holds on wasm, and within 2× of it', async () => {
    setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    expect(await tf.setBackend('wasm')).toBe(true);
    useMedxferKernels();
    const usage = wasmHeapUsage()!;
    const cases = [
      { inputSize: 64, images: 16, training: true },
      { inputSize: 128, images: 8, training: true },
      { inputSize: 128, images: 16, training: false },
    ] as const;
    for (const c of cases) {
      const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 1 });
      const optimizer = new Adam();
      const x = tf.randomUniform([c.images, c.inputSize, c.inputSize, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
      const y = tf.tensor1d(Int32Array.from({ length: c.images }, (_, i) => i % 2), 'int32');
      const before = usage.inUseBytes;
      usage.resetPeak();
      // Two steps: the optimiser's moments exist from the first.
      for (let i = 0; i < 2; i++) {
        if (c.training) trainingStep(model, optimizer, x, y);
        else tf.tidy(() => void model.predict(x).dataSync());
      }
      // The model's weights count as the step's (created just before it).
      const measured = usage.peakBytes - before + model.countParameters() * 4;
      const estimate = resnet18StepBytes(c);
      expect(estimate, JSON.stringify(c)).toBeGreaterThan(measured);
      expect(estimate, JSON.stringify(c)).toBeLessThan(2 * measured);
      optimizer.dispose();
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('chooses the largest half, quarter… that fits the budget', () => {
    expect(imagesThatFit({ inputSize: 28, images: 128, training: true })).toBe(128);
    // The failures: 320 px in chunks of 32 and 512 px in chunks of 16 do not fit a 4 GiB heap.
    expect(imagesThatFit({ inputSize: 320, images: 32, training: true })).toBe(16);
    expect(imagesThatFit({ inputSize: 512, images: 16, training: true })).toBe(8);
    expect(imagesThatFit({ inputSize: 224, images: 256, training: true })).toBe(32);
    expect(imagesThatFit({ inputSize: 4096, images: 1, training: true })).toBeUndefined();
    for (const images of [16, 8]) expect(resnet18StepBytes({ inputSize: 512, images, training: true }) <= WASM_STEP_BUDGET).toBe(images === 8);
  });
});
