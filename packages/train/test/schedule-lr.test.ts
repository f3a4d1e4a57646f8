import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '@medxfer/models';
import { discriminativeLrs, findLearningRate, lrFactor, medmnistV2Plan, PlanError, presetPlan, validatePlan, notebookPlan } from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';
import { sampleOf, pneumonia } from './helpers.js';

describe('learning-rate schedules (hand-computed, torch semantics)', () => {
  it('one-cycle: warm-up from lr/25 to lr over the first 25% of steps, cosine down to lr/(25·1e4)', () => {
    const s = { kind: 'one-cycle' as const, pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 };
    expect(lrFactor(s, 0, 100, 10)).toBeCloseTo(1 / 25, 12);
    expect(lrFactor(s, 24, 100, 10)).toBeCloseTo(1, 12);
    // halfway through the warm-up (step 12 of 24): cosine midpoint between 1/25 and 1
    expect(lrFactor(s, 12, 100, 10)).toBeCloseTo((1 + 1 / 25) / 2, 12);
    expect(lrFactor(s, 99, 100, 10)).toBeCloseTo(1 / 25e4, 15);
    expect(lrFactor(s, 61.5, 100, 10)).toBeCloseTo((1 + 1 / 25e4) / 2, 12);
  });

  it('step and cosine', () => {
    expect([0, 9, 10, 25, 30].map((k) => lrFactor({ kind: 'step', everyEpochs: 1, gamma: 0.1 }, k, 40, 10))).toEqual([1, 1, 0.1, 0.1 ** 2, 0.1 ** 3].map((v) => expect.closeTo(v, 12)));
    expect(lrFactor({ kind: 'cosine' }, 0, 11, 1)).toBe(1);
    expect(lrFactor({ kind: 'cosine' }, 5, 11, 1)).toBeCloseTo(0.5, 12);
    expect(lrFactor({ kind: 'cosine', minFactor: 0.1 }, 10, 11, 1)).toBeCloseTo(0.1, 12);
  });

  it('discriminative rates spread geometrically from stem to head', () => {
    const lrs = discriminativeLrs(1e-5, 1e-3);
    expect(lrs.stem).toBeCloseTo(1e-5, 15);
    expect(lrs.head).toBeCloseTo(1e-3, 15);
    expect(lrs.layer2 / lrs.layer1).toBeCloseTo(lrs.head / lrs.layer4, 10);
  });

  it('plans are validated with messages that name the problem', () => {
    expect(() => validatePlan({ ...notebookPlan(), batchSize: 0 })).toThrow(/plan "notebook": batch size must be a positive integer, got 0/);
    expect(() => validatePlan({ ...notebookPlan(), phases: [{ ...notebookPlan().phases[0]!, lr: -1 }] })).toThrow(PlanError);
    expect(() => validatePlan({ ...notebookPlan(), phases: [{ ...notebookPlan().phases[0]!, train: ['neck' as 'head'] }] })).toThrow(/unknown group "neck"/);
  });
});

describe('the LR finder (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('sweeps exponentially, stops on divergence, and restores the model exactly', async () => {
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 3 });
    const before = Array.from(model.params.get('layer1.0.conv1.weight')!.dataSync());
    const stats = Array.from(model.buffers.get('bn1.running_mean')!.dataSync());
    const tensors = tf.memory().numTensors;
    const result = await findLearningRate({ model, train: sampleOf(pneumonia().splits.train, 256), transform: { size: 28, channels: 1 }, steps: 40, startLr: 1e-6, endLr: 10, batchSize: 32, divergence: 1.2 });
    expect(result.lrs[0]).toBeCloseTo(1e-6, 12);
    for (let i = 1; i < result.lrs.length; i++) expect(result.lrs[i]! / result.lrs[i - 1]!).toBeCloseTo((10 / 1e-6) ** (1 / 39), 8);
    // It stops exactly when the smoothed loss first exceeds 1.2× the best so far (or at the end of the sweep).
    let best = Infinity;
    result.losses.forEach((loss, i) => {
      best = Math.min(best, loss);
      if (i < result.losses.length - 1) expect(loss).toBeLessThanOrEqual(1.2 * best);
    });
    if (result.lrs.length < 40) expect(result.losses.at(-1)!).toBeGreaterThan(1.2 * Math.min(...result.losses));
    expect(result.lrs).toContain(result.steepest);
    expect(result.steepest).toBeGreaterThan(1e-6);
    expect(result.steepest).toBeLessThan(10);
    expect(Array.from(model.params.get('layer1.0.conv1.weight')!.dataSync())).toEqual(before);
    expect(Array.from(model.buffers.get('bn1.running_mean')!.dataSync())).toEqual(stats);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });
});

describe('the medmnist-v2 preset (MedMNIST v2 protocol)', () => {
  it('Adam 1e-3, batch 128, 100 epochs, ×0.1 at epochs 50 and 75 (torch MultiStepLR), best validation AUC kept', () => {
    const plan = medmnistV2Plan();
    expect(plan).toMatchObject({ name: 'medmnist-v2', batchSize: 128, keepBest: { metric: 'auc' } });
    const phase = plan.phases[0]!;
    expect(phase).toMatchObject({ epochs: 100, lr: 1e-3, optimizer: { kind: 'adam' }, schedule: { kind: 'multi-step', milestones: [50, 75], gamma: 0.1 } });
    const at = (epoch: number) => lrFactor(phase.schedule!, epoch * 10, 1000, 10);
    expect([at(0), at(49), at(50), at(74), at(75), at(99)]).toEqual([1, 1, 0.1, 0.1, 0.1 ** 2, 0.1 ** 2]);
    expect(medmnistV2Plan({ epochs: 20 }).phases[0]!.schedule).toEqual({ kind: 'multi-step', milestones: [10, 15], gamma: 0.1 });
    expect(presetPlan('medmnist-v2', { epochs: 4 }).phases[0]!.epochs).toBe(4);
  });
});
