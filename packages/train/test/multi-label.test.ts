// Multi-label training (ChestMNIST's task) through every path binary has: feature cache, micro-batches,
// worker threads, EMA with keep-best, abort and bit-exact resume; on a synthetic ChestMNIST-shaped file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { openMedMNIST } from '@medxfer/data';
import { ResNet18 } from '@medxfer/models';
import {
  checkpointEachEpoch, decodeTrainingState, findLearningRate, lossOptionsFor, scoreSplit, train, TrainingAborted, type Plan, type TrainingState,
} from '@medxfer/train';
import { createGradientWorkers, type GradientWorkers } from '@medxfer/train/node';
import { useBackend } from '../../../test-support/backend.js';
import { syntheticMedMNIST } from '../../../test-support/synthetic-medmnist.js';

const chest = openMedMNIST(syntheticMedMNIST('chestmnist', { counts: { train: 96, val: 48, test: 48 }, seed: 11 }), { flag: 'chestmnist', verify: false });
const transform = { size: 28, channels: 1 as const };
const plan: Plan = {
  name: 'multi-label-check', batchSize: 32, seed: 5, ema: { decay: 0.9 }, keepBest: { metric: 'auc' },
  loss: { posWeight: 'balanced', labelSmoothing: 0.05 },
  phases: [
    { name: 'head', epochs: 1, train: ['head'], lr: 1e-2, optimizer: { kind: 'adam' }, frozenBn: 'frozen' },
    { name: 'full', epochs: 2, train: ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head'], lr: 2e-3, optimizer: { kind: 'adam' } },
  ],
};
const newModel = () => new ResNet18({ numClasses: 14, input: 'grey', seed: 2 });
const valuesOf = (model: ResNet18) => [...model.allVariables()].map(([, v]) => Array.from(v.dataSync()));

describe('multi-label training (wasm, synthetic ChestMNIST, 14 findings)', () => {
  let workers: GradientWorkers;
  beforeAll(async () => {
    await useBackend('wasm');
    workers = createGradientWorkers({ workers: 2 });
  });
  afterAll(() => workers.close());

  it('the balanced pos_weight is negatives / positives of each finding', () => {
    const loss = lossOptionsFor(plan.loss, chest.splits.train);
    expect(loss.kind).toBe('binary-cross-entropy');
    const labels = chest.splits.train.labels;
    const positives = Array.from({ length: 14 }, (_, j) => Array.from({ length: 96 }, (_, i) => labels[i * 14 + j]!).reduce((a, b) => a + b, 0));
    expect(loss.kind === 'binary-cross-entropy' && loss.posWeight).toEqual(positives.map((p) => (96 - p) / p));
    expect(() => lossOptionsFor({ classWeights: 'balanced' }, chest.splits.train)).toThrow(/posWeight/);
  });

  it('learns (head on cached features, then all layers), and worker threads give the micro-batch result', async () => {
    const run = async (parallel: boolean) => {
      const model = newModel();
      const result = await train({ model, plan, train: chest.splits.train, val: chest.splits.val, transform, microBatchSize: 16, ...(parallel ? { parallel: workers } : {}) });
      const values = valuesOf(model);
      const score = await scoreSplit(model, chest.splits.test, transform);
      model.dispose();
      return { result, values, score };
    };
    const before = tf.memory().numTensors;
    const micro = await run(false);
    const parallel = await run(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(micro.result.history.map((h) => h.cachedFeatures)).toEqual([true, false, false]);
    expect(micro.result.history.at(-1)!.trainLoss).toBeLessThan(micro.result.history[0]!.trainLoss);
    for (const h of micro.result.history) expect(h.trainAcc).toBeGreaterThan(0), expect(h.trainAcc).toBeLessThanOrEqual(1);
    expect(micro.score.report.task).toBe('multi-label');
    expect(micro.score.report.auc).toBeGreaterThan(0.6);
    // Chunks of 16 either way (the cached-feature head phase runs here in both), the same ops in the same order: bit for bit.
    expect(parallel.result.history.map((h) => [h.trainLoss, h.trainAcc, h.valAuc])).toEqual(micro.result.history.map((h) => [h.trainLoss, h.trainAcc, h.valAuc]));
    expect(parallel.values).toEqual(micro.values);
  });

  it('stops on its abort signal and resumes from the last epoch to the same weights', async () => {
    const whole = newModel();
    await train({ model: whole, plan, train: chest.splits.train, val: chest.splits.val, transform });
    const expected = valuesOf(whole);
    whole.dispose();

    const cut = newModel();
    const stop = new AbortController();
    let saved: Uint8Array | undefined;
    const stopping = train({
      model: cut, plan, train: chest.splits.train, val: chest.splits.val, transform, signal: stop.signal,
      callbacks: [
        checkpointEachEpoch(async (bytes: Uint8Array, state: TrainingState) => {
          saved = bytes;
          if (state.history.length === 2) stop.abort('test');
        }),
      ],
    });
    await expect(stopping).rejects.toBeInstanceOf(TrainingAborted);
    cut.dispose();
    const resume = decodeTrainingState(saved!);
    expect(resume.history).toHaveLength(2);
    const resumed = newModel();
    await train({ model: resumed, plan, train: chest.splits.train, val: chest.splits.val, transform, resume });
    expect(valuesOf(resumed)).toEqual(expected);
    resumed.dispose();
  });

  it('the learning-rate finder runs on the task loss', async () => {
    const model = newModel();
    const found = await findLearningRate({ model, train: chest.splits.train, transform, steps: 6, batchSize: 16 });
    expect(found.losses).toHaveLength(6);
    for (const l of found.losses) expect(Number.isFinite(l)).toBe(true);
    model.dispose();
  });
});
