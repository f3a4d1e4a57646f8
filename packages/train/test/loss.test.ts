import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { binaryCrossEntropyWithLogits, crossEntropy } from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';

// logits [[2, 0], [0, 1]], labels [0, 1]; −log p by hand:
const row0 = [Math.log(1 + Math.E ** 2) - 2, Math.log(1 + Math.E ** 2)]; // classes 0, 1
const row1 = [Math.log(1 + Math.E), Math.log(1 + Math.E) - 1];
const loss = (options: Parameters<typeof crossEntropy>[2]) =>
  tf.tidy(() => crossEntropy(tf.tensor2d([[2, 0], [0, 1]]), tf.tensor1d([0, 1], 'int32'), options).dataSync()[0]!);

describe('cross-entropy as torch.nn.CrossEntropyLoss', () => {
  beforeAll(() => useBackend('cpu'));

  it('mean over the batch', () => expect(loss({})).toBeCloseTo((row0[0]! + row1[1]!) / 2, 6));

  it('class weights: Σ w_y·ℓ / Σ w_y', () => expect(loss({ classWeights: [1, 3] })).toBeCloseTo((1 * row0[0]! + 3 * row1[1]!) / 4, 6));

  it('label smoothing ε: (1 − ε)·ℓ + ε·mean_c(−log p_c)', () => {
    const e = 0.1;
    const per0 = (1 - e) * row0[0]! + e * (row0[0]! + row0[1]!) / 2;
    const per1 = (1 - e) * row1[1]! + e * (row1[0]! + row1[1]!) / 2;
    expect(loss({ labelSmoothing: e })).toBeCloseTo((per0 + per1) / 2, 6);
  });

  it('both: torch divides the weighted smoothing term by Σ w_y too', () => {
    const e = 0.2;
    const w = [1, 3];
    const nll = (w[0]! * row0[0]! + w[1]! * row1[1]!) / (w[0]! + w[1]!);
    const smooth = ((w[0]! * row0[0]! + w[1]! * row0[1]!) / 2 + (w[0]! * row1[0]! + w[1]! * row1[1]!) / 2) / (w[0]! + w[1]!);
    expect(loss({ classWeights: w, labelSmoothing: e })).toBeCloseTo((1 - e) * nll + e * smooth, 6);
  });
});

interface BceCase {
  name: string;
  logits: number[][];
  targets: number[][];
  posWeight: number[] | null;
  labelSmoothing: number;
  loss: number;
  grad: number[][];
}
const bce = JSON.parse(readFileSync(new URL('./fixtures/bce-with-logits.json', import.meta.url), 'utf8')) as { cases: BceCase[] };

describe.each(['cpu', 'wasm'] as const)('binary cross-entropy with logits as torch.nn.BCEWithLogitsLoss (PyTorch 1.13 fixture, %s)', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(bce.cases.map((c) => [c.name, c] as const))('%s: loss and gradient', (_name, c) => {
    const x = tf.tensor2d(c.logits);
    const y = tf.tensor2d(c.targets);
    const options = { ...(c.posWeight ? { posWeight: c.posWeight } : {}), ...(c.labelSmoothing ? { labelSmoothing: c.labelSmoothing } : {}) };
    const before = tf.memory().numTensors;
    const { value, grad } = tf.valueAndGrad((logits: tf.Tensor) => binaryCrossEntropyWithLogits(logits as tf.Tensor2D, y, options))(x);
    expect(Math.abs(value.dataSync()[0]! - c.loss)).toBeLessThan(1e-6 + 1e-6 * c.loss);
    const g = grad.dataSync();
    c.grad.flat().forEach((ref, i) => expect(Math.abs(g[i]! - ref), `grad[${i}] (x = ${c.logits.flat()[i]})`).toBeLessThan(1e-7 + 1e-5 * Math.abs(ref)));
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});
