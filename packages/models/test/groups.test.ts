import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { PARAM_GROUPS, ResNet18, groupOf, type ForwardOptions, type ParamGroup } from '@medxfer/models';
import { useBackend } from '../../../test-support/backend.js';

/** Byte-exact snapshot of every variable, and the counters. */
function snapshot(model: ResNet18) {
  return {
    values: new Map([...model.allVariables()].map(([name, v]) => [name, new Uint8Array(Float32Array.from(v.dataSync()).buffer)])),
    tracked: new Map(model.batchesTracked),
  };
}
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Names whose value changed since the snapshot. */
function changed(model: ResNet18, before: ReturnType<typeof snapshot>): string[] {
  return [...model.allVariables()].filter(([name, v]) => !same(new Uint8Array(Float32Array.from(v.dataSync()).buffer), before.values.get(name)!)).map(([name]) => name);
}

/** One SGD step (lr 0.1) on the sum of squared logits, over the parameters of `groups` only. */
function step(model: ResNet18, x: tf.Tensor4D, groups: ParamGroup[], options: ForwardOptions): void {
  const vars = model.parameterNames(groups).map((n) => model.params.get(n)!);
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, options))) as tf.Scalar, vars);
    value.dispose();
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.1)));
  });
}

describe('parameter groups and freezing (wasm)', () => {
  let model: ResNet18;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    model = new ResNet18({ numClasses: 2, seed: 1 });
    x = tf.randomUniform([4, 32, 32, 3], -2, 2, 'float32', 3) as tf.Tensor4D;
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  it("the head group is exactly fc.weight and fc.bias", () => {
    expect(model.parameterNames(['head'])).toEqual(['fc.weight', 'fc.bias']);
    expect(model.countParameters(['head'])).toBe(512 * 2 + 2);
  });

  it('every parameter belongs to exactly one group; groups are stem, layer1–4, head', () => {
    const all = model.parameterNames();
    expect(all).toHaveLength(62);
    const seen = new Map<string, ParamGroup[]>();
    for (const g of PARAM_GROUPS) for (const n of model.parameterNames([g])) seen.set(n, [...(seen.get(n) ?? []), g]);
    expect([...seen.keys()].sort()).toEqual([...all].sort());
    for (const [name, groups] of seen) expect(groups, name).toEqual([groupOf(name)]);
    expect(model.parameterNames(['stem'])).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias']);
    expect(model.parameterNames(['layer4']).every((n) => n.startsWith('layer4.'))).toBe(true);
    expect(PARAM_GROUPS.reduce((sum, g) => sum + model.countParameters([g]), 0)).toBe(model.countParameters());
    // Running stats are buffers, never parameters.
    expect(all.some((n) => n.includes('running_'))).toBe(false);
  });

  it('a 1000-class ResNet18 has 11,689,512 parameters', () => {
    const full = new ResNet18();
    expect(full.countParameters()).toBe(11_689_512);
    full.dispose();
  });

  it('training only the head with frozen BN changes the head and nothing else', () => {
    const before = snapshot(model);
    step(model, x, ['head'], { bn: 'frozen' });
    expect(changed(model, before).sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(model.batchesTracked).toEqual(before.tracked);
  });

  it("bn: {layer4: 'train'} moves only layer4's running stats and num_batches_tracked", () => {
    const before = snapshot(model);
    step(model, x, ['head'], { bn: { layer4: 'train' } });
    const layer4Stats = [...model.buffers.keys()].filter((n) => n.startsWith('layer4.'));
    expect(layer4Stats).toHaveLength(5 * 2);
    expect(changed(model, before).sort()).toEqual(['fc.bias', 'fc.weight', ...layer4Stats].sort());
    for (const [prefix, count] of model.batchesTracked) {
      expect(count, prefix).toBe(before.tracked.get(prefix)! + (prefix.startsWith('layer4.') ? 1 : 0));
    }
    expect([...model.batchesTracked.keys()].filter((p) => p.startsWith('layer4.'))).toEqual([
      'layer4.0.bn1',
      'layer4.0.bn2',
      'layer4.0.downsample.1',
      'layer4.1.bn1',
      'layer4.1.bn2',
    ]);
  });

  it('updateStats: false trains layer4 BN on batch statistics without moving its running stats', () => {
    const before = snapshot(model);
    step(model, x, ['head', 'layer4'], { bn: { layer4: 'train' }, updateStats: false });
    const moved = changed(model, before);
    expect(moved.every((n) => n.startsWith('layer4.') || n.startsWith('fc.'))).toBe(true);
    expect(moved.some((n) => n.includes('running_'))).toBe(false);
    expect(moved).toContain('layer4.1.conv2.weight');
    expect(model.batchesTracked).toEqual(before.tracked);
  });
});
