import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { subsetSplit } from '@medxfer/data';
import { ResNet18 } from '@medxfer/models';
import {
  checkpointEachEpoch,
  decodeTrainingState,
  earlyStopping,
  NonFiniteLossError,
  notebookPlan,
  train,
  type Plan,
  type TrainingState,
} from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';
import { sampleOf, pneumonia } from './helpers.js';

const transform = { size: 28, channels: 1 as const };
const data = () => ({ train: sampleOf(pneumonia().splits.train, 96), val: sampleOf(pneumonia().splits.val, 64) });
const headPlan = (frozenBn: 'train' | 'frozen'): Plan => ({
  name: 'head-only', batchSize: 32, seed: 3,
  phases: [{ name: 'head', epochs: 2, train: ['head'], lr: 1e-2, optimizer: { kind: 'adam' }, frozenBn }],
});
const weightsOf = (model: ResNet18, names: string[]) => names.map((n) => Array.from(model.params.get(n)!.dataSync()));

describe('the training loop (wasm, 28 px, real PneumoniaMNIST images)', () => {
  beforeAll(() => useBackend('wasm'));

  it('the frozen-phase feature cache gives the same result as the full forward pass', async () => {
    const run = async (featureCache: boolean) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
      const result = await train({ model, plan: headPlan('frozen'), ...data(), transform, featureCache });
      const head = weightsOf(model, ['fc.weight', 'fc.bias']);
      model.dispose();
      return { result, head };
    };
    const cached = await run(true);
    const full = await run(false);
    expect(cached.result.history.map((h) => h.cachedFeatures)).toEqual([true, true]);
    expect(full.result.history.map((h) => h.cachedFeatures)).toEqual([false, false]);
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(cached.result.history[e]!.trainLoss - full.result.history[e]!.trainLoss)).toBeLessThan(1e-5);
      expect(Math.abs(cached.result.history[e]!.valAuc! - full.result.history[e]!.valAuc!)).toBeLessThan(1e-6);
    }
    const diff = Math.max(...cached.head.flat().map((v, i) => Math.abs(v - full.head.flat()[i]!)));
    expect(diff).toBeLessThan(1e-5);
  });

  it('notebook BN semantics: a frozen body still moves its running stats in phase 1, a frozen-BN body does not', async () => {
    for (const frozenBn of ['train', 'frozen'] as const) {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
      const before = Array.from(model.buffers.get('layer2.0.bn1.running_mean')!.dataSync());
      const conv = Array.from(model.params.get('layer2.0.conv1.weight')!.dataSync());
      await train({ model, plan: { ...headPlan(frozenBn), phases: [{ ...headPlan(frozenBn).phases[0]!, epochs: 1 }] }, train: data().train, transform });
      const after = Array.from(model.buffers.get('layer2.0.bn1.running_mean')!.dataSync());
      expect(Array.from(model.params.get('layer2.0.conv1.weight')!.dataSync())).toEqual(conv);
      if (frozenBn === 'train') expect(after).not.toEqual(before);
      else expect(after).toEqual(before);
      model.dispose();
    }
  });

  it('is seeded, keeps numTensors flat, and resumes from a checkpoint to the same result', async () => {
    const plan = notebookPlan({ epochsHead: 1, epochsFull: 2, batchSize: 32, seed: 7 });
    const counts: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const states: Uint8Array[] = [];
    const straightModel = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
    const straight = await train({
      model: straightModel, plan, ...data(), transform,
      callbacks: [checkpointEachEpoch(async (bytes) => void states.push(bytes)), { onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(straight.history).toHaveLength(3);
    expect(counts[2], 'numTensors across epochs of a phase').toBe(counts[1]);
    expect(tf.memory().numTensors - tensorsBefore, 'only the new model (62 parameters + 40 running stats) remains').toBe(102);

    const again = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
    const repeat = await train({ model: again, plan, ...data(), transform });
    expect(repeat.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));

    const resumedModel = new ResNet18({ numClasses: 2, input: 'single', seed: 99 });
    const state: TrainingState = decodeTrainingState(states[0]!, 'epoch-1.safetensors');
    expect([state.phaseIndex, state.phaseEpoch, state.history.length]).toEqual([1, 0, 1]);
    const resumed = await train({ model: resumedModel, plan, ...data(), transform, resume: state });
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));
    expect(weightsOf(resumedModel, ['layer4.1.conv2.weight', 'fc.weight'])).toEqual(weightsOf(straightModel, ['layer4.1.conv2.weight', 'fc.weight']));
    expect(Array.from(resumedModel.buffers.get('bn1.running_var')!.dataSync())).toEqual(Array.from(straightModel.buffers.get('bn1.running_var')!.dataSync()));
    for (const m of [straightModel, again, resumedModel]) m.dispose();
  });

  it('ema: the final model is the average of the weights after each step (hand-computed), and resumes exactly', async () => {
    // 48 images at batch 16: 3 steps per epoch, 2 epochs; the head and layer4 learn, BatchNorm in train mode moves running stats.
    const plan: Plan = {
      name: 'ema-check', batchSize: 16, seed: 4, ema: { decay: 0.6 },
      phases: [{ name: 'top', epochs: 2, train: ['layer4', 'head'], lr: 1e-2, optimizer: { kind: 'adam' }, frozenBn: 'train' }],
    };
    const small = { train: sampleOf(pneumonia().splits.train, 48), val: sampleOf(pneumonia().splits.val, 32) };
    const watched = ['fc.weight', 'layer4.1.conv2.weight', 'layer4.1.bn2.running_mean'];
    const values = (model: ResNet18) => watched.map((n) => Float64Array.from((model.params.get(n) ?? model.buffers.get(n))!.dataSync()));
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
    let expected = values(model);
    let live = expected;
    const states: Uint8Array[] = [];
    const before = tf.memory().numTensors;
    await train({
      model, plan, ...small, transform,
      callbacks: [
        { onBatchEnd: () => { live = values(model); expected = live.map((w, k) => expected[k]!.map((e, i) => 0.6 * e + 0.4 * w[i]!)); } },
        checkpointEachEpoch(async (bytes) => void states.push(bytes)),
      ],
    });
    expect(tf.memory().numTensors, 'the average is disposed').toBe(before);
    const final = values(model);
    watched.forEach((name, k) => {
      let worst = 0;
      for (let i = 0; i < final[k]!.length; i++) worst = Math.max(worst, Math.abs(final[k]![i]! - expected[k]![i]!));
      expect(worst, name).toBeLessThan(1e-6);
    });
    expect(Math.max(...final[0]!.map((w, i) => Math.abs(w - live[0]![i]!))), 'the model holds the average, not the last weights').toBeGreaterThan(1e-4);
    const state = decodeTrainingState(states[0]!, 'epoch-1.safetensors');
    expect(state.ema?.size, 'the checkpoint carries the average').toBe(102);
    const resumedModel = new ResNet18({ numClasses: 2, input: 'single', seed: 99 });
    await train({ model: resumedModel, plan, ...small, transform, resume: state });
    expect(values(resumedModel).map((a) => Array.from(a))).toEqual(final.map((a) => Array.from(a)));
    for (const m of [model, resumedModel]) m.dispose();
  });

  it('stops on a NaN loss before the step changes any weight', async () => {
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    // A head whose weights have already blown up: logits are ±Inf, log-softmax gives NaN.
    tf.tidy(() => model.params.get('fc.weight')!.assign(tf.fill([512, 2], Infinity)));
    const bias = Array.from(model.params.get('fc.bias')!.dataSync());
    const run = () => train({ model, plan: headPlan('frozen'), train: data().train, transform });
    await expect(run()).rejects.toThrow(NonFiniteLossError);
    await expect(run()).rejects.toThrow(/loss is NaN at phase "head", epoch 1, batch 1; training stopped and the weights are those before this step/);
    expect(Array.from(model.params.get('fc.bias')!.dataSync())).toEqual(bias);
    model.dispose();
  });

  it('early stopping ends the run when the metric stalls', async () => {
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    const plan: Plan = { ...headPlan('frozen'), phases: [{ ...headPlan('frozen').phases[0]!, epochs: 6, lr: 1e-9 }] };
    const result = await train({ model, plan, ...data(), transform, callbacks: [earlyStopping({ metric: 'valAuc', patience: 2, minDelta: 1e-3 })] });
    expect(result.history).toHaveLength(3);
    expect(result.stoppedEarly).toMatch(/no valAuc improvement for 2 epochs/);
    model.dispose();
  });
});

describe('training data checks', () => {
  it('refuses a single-label training split that holds one class, naming it', async () => {
    await useBackend('cpu');
    const pneumoniaOnly = subsetSplit(pneumonia().splits.train, [0, 1, 2, 3, 4, 5, 6, 7]); // stored by class: all pneumonia
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    await expect(train({ model, plan: headPlan('frozen'), train: pneumoniaOnly, transform })).rejects.toThrow(/only one class, pneumonia/);
    model.dispose();
  });
});

describe('micro-batching (gradient accumulation)', () => {
  beforeAll(() => useBackend('wasm'));

  it('with frozen BatchNorm, chunks of 8 give the same step as the whole batch of 32', async () => {
    // Head-only with the body's BatchNorm frozen: nothing depends on batch statistics, so the sum of the
    // chunks' size-weighted gradients must equal the whole batch's gradient.
    const plan: Plan = { name: 'head-frozen-bn', batchSize: 32, seed: 1, phases: [{ name: 'head', epochs: 1, train: ['head'], lr: 1e-2, optimizer: { kind: 'sgd', momentum: 0.9 }, frozenBn: 'frozen' }] };
    const run = async (microBatchSize?: number) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 2 });
      const result = await train({ model, plan, train: sampleOf(pneumonia().splits.train, 64), transform, featureCache: false, ...(microBatchSize ? { microBatchSize } : {}) });
      const w = weightsOf(model, ['fc.weight'])[0]!;
      model.dispose();
      return { loss: result.history[0]!.trainLoss, w };
    };
    const whole = await run();
    const chunked = await run(8);
    expect(Math.abs(whole.loss - chunked.loss)).toBeLessThan(1e-5);
    expect(Math.max(...whole.w.map((v, i) => Math.abs(v - chunked.w[i]!)))).toBeLessThan(1e-6);
  });
});

describe('the ETA of a run whose phases differ in cost', () => {
  it('covers only the head phase until the all-layer phase has run, then the whole run at each phase’s speed', async () => {
    await useBackend('wasm');
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    const plan: Plan = {
      name: 'eta', batchSize: 32, seed: 3,
      phases: [
        { name: 'head', epochs: 1, train: ['head'], lr: 1e-3, optimizer: { kind: 'adam' }, frozenBn: 'frozen' },
        { name: 'full', epochs: 2, train: ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'], lr: 1e-4, optimizer: { kind: 'adam' } },
      ],
    };
    const seen: { phase: string; epoch: number; batch: number; scope: string; eta: number; imgPerS: number }[] = [];
    await train({ model, plan, train: sampleOf(pneumonia().splits.train, 64), transform, callbacks: [{ onBatchEnd: (p) => void seen.push({ phase: p.phase, epoch: p.epoch, batch: p.batch, scope: p.etaScope, eta: p.etaSeconds, imgPerS: p.imgPerS }) }] });
    model.dispose();
    expect(seen.filter((s) => s.phase === 'head').map((s) => s.scope)).toEqual(['phase', 'phase']);
    expect(seen.filter((s) => s.phase === 'full').map((s) => s.scope)).toEqual(['run', 'run', 'run', 'run']);
    // After the first full batch: the rest of epoch 2 (32 images) and all of epoch 3 (64) at the full phase's speed.
    const first = seen.find((s) => s.phase === 'full')!;
    expect(first.eta).toBeCloseTo(96 / first.imgPerS, 6);
    expect(seen.at(-1)!.eta).toBe(0);
  });
});

describe('checkpoints that prove themselves', () => {
  it('refuse a changed tensor byte or an edited recorded state, and read back an intact one', async () => {
    await useBackend('cpu');
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    let bytes: Uint8Array | undefined;
    await train({ model, plan: { ...headPlan('frozen'), phases: [{ ...headPlan('frozen').phases[0]!, epochs: 1 }] }, train: sampleOf(pneumonia().splits.train, 32), transform, callbacks: [checkpointEachEpoch(async (b) => void (bytes = b))] });
    model.dispose();
    expect(decodeTrainingState(bytes!, 'ok.safetensors').history).toHaveLength(1);
    const flipped = bytes!.slice();
    flipped[flipped.length - 100] ^= 0x40;
    expect(() => decodeTrainingState(flipped, 'flipped.safetensors')).toThrow(/flipped\.safetensors: the checkpoint is damaged/);
    // The recorded state lives in the header's JSON: an edited phase index (same length) is caught too.
    const text = new TextDecoder('latin1').decode(bytes!);
    const at = text.indexOf('\\"phaseIndex\\":1');
    expect(at).toBeGreaterThan(0);
    const edited = bytes!.slice();
    edited[at + '\\"phaseIndex\\":'.length] = '0'.charCodeAt(0);
    expect(() => decodeTrainingState(edited, 'edited.safetensors')).toThrow(/the checkpoint is damaged/);
  });
});
