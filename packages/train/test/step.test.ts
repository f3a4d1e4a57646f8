import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { PARAM_GROUPS, ResNet18, type BatchNormMode, type ParamGroup } from '@medxfer/models';
import { chunkGradients, lossOf, type StepSpec } from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

// A step that trains only the head runs the body outside the tape (its frozen BatchNorms folded). The
// reference is the plain taped step: tf.variableGrads through model.apply.
describe('a head-only step on images (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  const bnOf = (body: BatchNormMode) => Object.fromEntries(PARAM_GROUPS.map((g) => [g, g === 'head' ? 'train' : body])) as Record<ParamGroup, BatchNormMode>;
  const x = () => tf.randomUniform([6, 32, 32, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
  const y = () => tf.tensor1d([0, 1, 2, 1, 0, 2], 'int32');

  function taped(model: ResNet18, bn: Record<ParamGroup, BatchNormMode>, input: tf.Tensor4D, targets: tf.Tensor1D) {
    const names = model.parameterNames(['head']);
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(input, { bn: { ...bn } });
      return tf.mul(lossOf(logits, targets, { kind: 'cross-entropy' }), 0.5) as tf.Scalar;
    }, names.map((n) => model.params.get(n)!));
    const loss = value.dataSync()[0]!;
    const out = new Map(names.map((n) => [n, grads[model.params.get(n)!.name]!.dataSync()]));
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grads: out };
  }

  for (const body of ['train', 'frozen'] as const) {
    it(`body BatchNorm ${body}: the taped step's loss, head gradients and running stats${body === 'train' ? ', bit for bit' : ' within float rounding (folded)'}`, async () => {
      const [ours, reference, untouched] = [2, 2, 2].map((seed) => new ResNet18({ numClasses: 3, input: 'grey', seed })) as [ResNet18, ResNet18, ResNet18];
      const [input, targets] = [x(), y()];
      const spec: StepSpec = { names: ours.parameterNames(['head']), bn: bnOf(body), loss: { kind: 'cross-entropy' } };
      const before = tf.memory().numTensors;
      const result = await chunkGradients(ours, spec, input, targets, 0.5);
      const ref = taped(reference, bnOf(body), input, targets);
      expect(Math.abs(result.loss - ref.loss)).toBeLessThanOrEqual(body === 'train' ? 0 : 1e-5 * Math.abs(ref.loss));
      for (const [name, g] of ref.grads) {
        const got = result.grads.get(name)!.dataSync();
        if (body === 'train') expect(Array.from(got), name).toEqual(Array.from(g));
        else expect(maxAbsDiff(got, g), name).toBeLessThanOrEqual(1e-4 * maxAbs(g) + 1e-7);
      }
      const mean = 'layer3.0.bn1.running_mean';
      const moved = maxAbsDiff(ours.buffers.get(mean)!.dataSync(), untouched.buffers.get(mean)!.dataSync());
      if (body === 'train') {
        expect(moved, 'train-mode BatchNorms moved their running stats').toBeGreaterThan(0);
        expect(Array.from(ours.buffers.get(mean)!.dataSync())).toEqual(Array.from(reference.buffers.get(mean)!.dataSync()));
      } else expect(moved).toBe(0);
      tf.dispose([...result.grads.values()]);
      ours.releaseFoldedWeights();
      expect(tf.memory().numTensors, 'nothing left behind').toBe(before);
      tf.dispose([input, targets]);
      for (const model of [ours, reference, untouched]) model.dispose();
    });
  }
});
