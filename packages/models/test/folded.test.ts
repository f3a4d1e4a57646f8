import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '@medxfer/models';
import { useBackend } from '../../../test-support/backend.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('folded BatchNorm inference (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('keeps its folded weights between calls and refolds when a weight or running statistic changes', () => {
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 4 });
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const logits = (fold: boolean) => tf.tidy(() => model.apply(x, { foldBatchNorm: fold }).dataSync());
    const before = tf.memory().numTensors;
    const first = logits(true);
    const kept = tf.memory().numTensors - before;
    expect(kept, 'folded weights and shifts are kept past the tidy').toBeGreaterThan(0);
    expect(Array.from(logits(true)), 'the second call reuses them: same bits, no new tensors').toEqual(Array.from(first));
    expect(tf.memory().numTensors - before).toBe(kept);
    expect(maxAbsDiff(first, logits(false))).toBeLessThan(1e-4);

    // A training step or a new running statistic: the folded copies must follow.
    const mean = model.buffers.get('layer2.0.bn1.running_mean')!;
    tf.tidy(() => mean.assign(tf.add(mean, 0.5)));
    const w = model.params.get('layer4.1.conv2.weight')!;
    tf.tidy(() => w.assign(tf.mul(w, 1.5)));
    const refolded = logits(true);
    expect(maxAbsDiff(refolded, first), 'the change is visible').toBeGreaterThan(1e-3);
    expect(maxAbsDiff(refolded, logits(false))).toBeLessThan(1e-4);
    expect(tf.memory().numTensors - before, 'replaced entries are disposed').toBe(kept);

    model.releaseFoldedWeights();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    x.dispose();
  });

  it("keeps the grey stem's folded kernel and bias map per image size, and refolds them when conv1 or bn1 changes", () => {
    const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 5 });
    const at = (size: number) => tf.randomUniform([2, size, size, 1], 0, 1, 'float32', size) as tf.Tensor4D;
    const [x28, x32] = [at(28), at(32)];
    const logits = (x: tf.Tensor4D, fold: boolean) => tf.tidy(() => model.apply(x, { foldBatchNorm: fold }).dataSync());
    const before = tf.memory().numTensors;
    const first = [logits(x28, true), logits(x32, true)];
    const kept = tf.memory().numTensors - before;
    expect(Array.from(logits(x28, true)), 'reused: same bits').toEqual(Array.from(first[0]!));
    expect(tf.memory().numTensors - before, 'no new tensors on the second call').toBe(kept);
    expect(maxAbsDiff(first[0]!, logits(x28, false))).toBeLessThan(1e-4);
    expect(maxAbsDiff(first[1]!, logits(x32, false)), 'the 32 px bias map is its own').toBeLessThan(1e-4);

    const mean = model.buffers.get('bn1.running_mean')!;
    tf.tidy(() => mean.assign(tf.add(mean, 0.3)));
    const w = model.params.get('conv1.weight')!;
    tf.tidy(() => w.assign(tf.mul(w, 1.2)));
    const refolded = logits(x28, true);
    expect(maxAbsDiff(refolded, first[0]!), 'the change is visible').toBeGreaterThan(1e-4);
    expect(maxAbsDiff(refolded, logits(x28, false))).toBeLessThan(1e-4);
    expect(tf.memory().numTensors - before, 'replaced entries are disposed').toBe(kept);
    model.releaseFoldedWeights();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x28, x32]);
  });
});
