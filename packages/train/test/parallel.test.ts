import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '@medxfer/models';
import { createGradientWorkers, predictSplit, train, type GradientWorkers, type Plan } from '@medxfer/train/node';
import { useBackend } from '../../../test-support/backend.js';
import { sampleOf, pneumonia } from './helpers.js';

const transform = { size: 28, channels: 1 as const };
// 72 images at batch 32: two full batches split 16 + 16, and a last batch of 8 (one chunk, on the main thread).
const data = () => ({ train: sampleOf(pneumonia().splits.train, 72), val: sampleOf(pneumonia().splits.val, 32) });
// Every BatchNorm situation: all BN in train mode with only the head learning; frozen (running-stat) BN
// below trained layers; everything training. Adam and SGD with momentum.
const plan: Plan = {
  name: 'parallel-check', batchSize: 32, seed: 11,
  phases: [
    { name: 'head', epochs: 1, train: ['head'], lr: 1e-3, optimizer: { kind: 'adam' }, frozenBn: 'train' },
    { name: 'top', epochs: 1, train: ['layer4', 'head'], lr: 1e-2, optimizer: { kind: 'sgd', momentum: 0.9 }, frozenBn: 'frozen' },
    { name: 'full', epochs: 2, train: ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'], lr: 1e-3, optimizer: { kind: 'adam' } },
  ],
};

describe('data-parallel gradients on worker threads (wasm, 28 px, real PneumoniaMNIST images)', () => {
  let workers: GradientWorkers | undefined;
  beforeAll(async () => {
    await useBackend('wasm');
    workers = createGradientWorkers({ workers: 2 });
  });
  afterAll(async () => {
    await workers?.close();
  });

  it('gives the micro-batch result (chunks of batch/2) with the chunks computed on two threads', async () => {
    const run = async (parallel: boolean) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
      const counts: number[] = [];
      const result = await train({
        model, plan, ...data(), transform,
        ...(parallel ? { parallel: workers! } : { microBatchSize: 16 }),
        callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
      });
      const values = new Map([...model.allVariables()].map(([name, v]) => [name, v.dataSync().slice() as Float32Array]));
      const tracked = Object.fromEntries(model.batchesTracked);
      model.dispose();
      return { result, values, tracked, counts };
    };
    const before = tf.memory().numTensors;
    const micro = await run(false);
    const parallel = await run(true);
    expect(tf.memory().numTensors, 'both models disposed: nothing left on the main thread').toBe(before);
    expect(parallel.counts[3], 'numTensors across epochs of a phase').toBe(parallel.counts[2]);
    // Its 102 variables, and from the last validation its 20 convolutions folded with their BatchNorms (filter
    // and bias each), which it frees at its next training step.
    expect(await workers!.workerTensors(), "the worker holds its replica's 102 variables and one folded copy").toEqual([102 + 2 * 20]);

    expect(parallel.tracked).toEqual(micro.tracked);
    // With two chunks both paths run the same kernels on the same values and add the two gradients in the
    // same order, so the runs agree bit for bit (0 measured on wasm); the margin only allows for float
    // rounding should a backend's kernels differ between threads. (A different summation order is tested
    // below with SGD: Adam's first steps are ≈ lr·sign(g), which makes rounding noise in near-zero gradients ±lr.)
    for (const [a, b] of micro.result.history.map((h, i) => [h, parallel.result.history[i]!] as const)) {
      expect(Math.abs(a.trainLoss - b.trainLoss)).toBeLessThan(1e-5);
      expect(a.trainAcc).toBe(b.trainAcc);
      expect(Math.abs(a.valLoss! - b.valLoss!)).toBeLessThan(1e-5);
    }
    let worst = 0;
    for (const [name, a] of micro.values) {
      const b = parallel.values.get(name)!;
      const scale = a.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-3);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
    }
    console.log(`parallel vs micro-batch: largest difference ${worst.toExponential(2)} (relative to each tensor's largest value)`);
    expect(worst).toBeLessThan(2e-5);
  });

  it('with microBatchSize below batch/2, each thread computes several chunks (summed in a different order)', async () => {
    // SGD: linear in the gradient, so a summation-order difference stays a rounding difference (Adam's
    // first steps are ≈ lr·sign(g), which turns rounding noise in near-zero gradients into ±lr). One step (one
    // batch of 32): over several steps train-mode BatchNorm over chunks of 8 at 28 px (layer4 is 1×1) amplifies
    // rounding differences chaotically, which would test that conditioning, not the summation.
    const full: Plan = { ...plan, phases: [{ ...plan.phases[2]!, epochs: 1, lr: 1e-2, optimizer: { kind: 'sgd', momentum: 0.9 } }] };
    const oneBatch = sampleOf(pneumonia().splits.train, 32);
    const run = async (parallel: boolean) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
      const result = await train({ model, plan: full, train: oneBatch, transform, microBatchSize: 8, ...(parallel ? { parallel: workers! } : {}) });
      const values = new Map([...model.allVariables()].map(([name, v]) => [name, v.dataSync().slice() as Float32Array]));
      const tracked = Object.fromEntries(model.batchesTracked);
      model.dispose();
      return { result, values, tracked };
    };
    const micro = await run(false);
    const parallel = await run(true);
    expect(parallel.tracked).toEqual(micro.tracked);
    expect(Math.abs(micro.result.history[0]!.trainLoss - parallel.result.history[0]!.trainLoss)).toBeLessThan(1e-5);
    // Chunks 0+1 on the main thread, 2+3 on the worker: the gradient is (g0 + g1) + (g2 + g3) instead of
    // ((g0 + g1) + g2) + g3, a difference of a few float32 roundings (ε ≈ 6e-8).
    let worst = 0;
    for (const [name, a] of micro.values) {
      const b = parallel.values.get(name)!;
      const scale = a.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-3);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
    }
    console.log(`parallel vs micro-batch, 4 chunks: largest difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(2e-5);
  });

  it("a plan's chunkSize is part of its math: the threads compute its chunks, not batch/threads", async () => {
    const full: Plan = { ...plan, phases: [{ ...plan.phases[2]!, epochs: 1, lr: 1e-2, optimizer: { kind: 'sgd', momentum: 0.9 } }] };
    const run = async (options: { chunkSize?: number; microBatchSize?: number; parallel?: boolean }) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
      const result = await train({
        model, plan: { ...full, ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}) }, train: sampleOf(pneumonia().splits.train, 32), transform,
        ...(options.microBatchSize ? { microBatchSize: options.microBatchSize } : {}), ...(options.parallel ? { parallel: workers! } : {}),
      });
      const values = [...model.allVariables().values()].map((v) => v.dataSync().slice() as Float32Array);
      model.dispose();
      return { loss: result.history[0]!.trainLoss, values };
    };
    const micro8 = await run({ microBatchSize: 8 });
    const plan8 = await run({ chunkSize: 8 });
    expect(plan8.loss, 'plan chunks = micro-batches on one thread, bit for bit').toBe(micro8.loss);
    plan8.values.forEach((a, k) => expect(Array.from(a)).toEqual(Array.from(micro8.values[k]!)));
    const threaded = await run({ chunkSize: 8, parallel: true });
    const halves = await run({ microBatchSize: 16 });
    expect(Math.abs(threaded.loss - micro8.loss)).toBeLessThan(1e-5);
    // BatchNorm over 8 images, not over the 16 that two threads would otherwise each take.
    expect(Math.abs(halves.loss - micro8.loss)).toBeGreaterThan(1e-3);
  });

  it('mixup and CutMix: the whole batch is mixed before it is cut, so threads give the one-thread result', async () => {
    const full: Plan = { ...plan, chunkSize: 16, phases: [{ ...plan.phases[2]!, epochs: 1, lr: 1e-2, optimizer: { kind: 'sgd', momentum: 0.9 } }] };
    const run = async (mix: 'mixup' | 'cutmix' | undefined, parallel: boolean) => {
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 5 });
      const result = await train({
        model, plan: { ...full, ...(mix ? { [mix]: { alpha: mix === 'mixup' ? 0.4 : 1 } } : {}) }, train: sampleOf(pneumonia().splits.train, 32), transform,
        ...(parallel ? { parallel: workers! } : {}),
      });
      const values = [...model.allVariables().values()].map((v) => v.dataSync().slice() as Float32Array);
      model.dispose();
      return { loss: result.history[0]!.trainLoss, values };
    };
    const plain = await run(undefined, false);
    const losses: number[] = [];
    for (const mix of ['mixup', 'cutmix'] as const) {
      const mixed = await run(mix, false);
      const threaded = await run(mix, true);
      expect(Math.abs(threaded.loss - mixed.loss), mix).toBeLessThan(1e-5);
      let worst = 0;
      mixed.values.forEach((a, k) => a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - threaded.values[k]![i]!)))));
      expect(worst, mix).toBeLessThan(2e-5);
      expect(Math.abs(plain.loss - mixed.loss), mix).toBeGreaterThan(1e-3);
      losses.push(mixed.loss);
    }
    expect(Math.abs(losses[0]! - losses[1]!)).toBeGreaterThan(1e-3);
  });

  it('predicts a split with each batch shared by both threads, with the one-thread probabilities', async () => {
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 7 });
    // 45 images in batches of 19: shares of 10 + 9 and a last batch of 7 (4 + 3).
    const split = sampleOf(pneumonia().splits.val, 45);
    const both = async () => {
      for (const tta of [undefined, 'flip'] as const) {
        const one = await predictSplit(model, split, transform, { batchSize: 19, ...(tta ? { tta } : {}) });
        const two = await predictSplit(model, split, transform, { batchSize: 19, parallel: workers!, ...(tta ? { tta } : {}) });
        expect(two.length).toBe(90);
        expect(two, `tta ${tta}`).toEqual(one);
      }
    };
    await both();
    // New weights reach the worker before its next share.
    const fc = model.params.get('fc.weight')!;
    tf.tidy(() => fc.assign(tf.mul(fc, 3)));
    await both();
    model.dispose();
  });

  it('rejects requests after close(), so no thread is left running', async () => {
    const w = createGradientWorkers({ workers: 2 });
    await w.close();
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 1 });
    const images = new Float32Array(4 * 28 * 28);
    await expect(
      w.batchGradients({
        model, spec: { names: ['fc.weight'], bn: { stem: 'frozen', layer1: 'frozen', layer2: 'frozen', layer3: 'frozen', layer4: 'frozen', head: 'train' }, loss: { kind: 'cross-entropy' } },
        images, shape: [4, 28, 28, 1], targets: { data: new Int32Array(4), shape: [4] }, chunkSize: 2,
      }),
    ).rejects.toThrow(/exited/);
    model.dispose();
  });
});
