import { describe, expect, it } from 'vitest';
import type { BatchProgress, EpochRecord } from '@medxfer/train';
import type { DatasetSummary, EvaluationResult, Prediction, TrainResult } from '../src/protocol.js';
import { canSwitchBackend, canTrain, createStore, defaultBackend, initialState, isTraining, progressFraction, reduce, tensorsFlat, type Action, type AppState } from '../src/state.js';

const summary: DatasetSummary = {
  label: 'demo',
  flag: 'pneumoniamnist',
  task: 'binary-class',
  classNames: ['normal', 'pneumonia'],
  size: 28,
  channels: 1,
  splits: { train: { count: 400, classCounts: [103, 297] }, val: { count: 100, classCounts: [26, 74] }, test: { count: 100, classCounts: [38, 62] } },
  checksum: 'known-copy',
  notes: [],
};

const batch = (epoch: number, b: number, phase = 'head'): BatchProgress => ({ phase, phaseIndex: phase === 'head' ? 0 : 1, epoch, totalEpochs: 2, batch: b, batches: 4, loss: 0.5, imgPerS: 30, etaSeconds: 10, etaScope: 'run' });
const record = (epoch: number, phase: string): EpochRecord => ({ phase, epoch, phaseEpoch: 1, lr: 1e-3, trainLoss: 0.5, trainAcc: 0.7, valLoss: 0.6, valAcc: 0.7, valAuc: 0.8, seconds: 1, imgPerS: 30, cachedFeatures: false });
const result = (over: Partial<TrainResult> = {}): TrainResult => ({
  history: [record(1, 'head'), record(2, 'full')],
  seconds: 12,
  epochKept: 2,
  stopped: false,
  tensorsBefore: 102,
  tensorsAfter: 102,
  model: { classNames: ['normal', 'pneumonia'], inputSize: 28, input: 'grey', task: 'binary-class', dataset: 'pneumoniamnist@28', weightsSource: 'none', origin: 'trained here' },
  ...over,
});

const run = (actions: Action[], from: AppState = initialState) => actions.reduce(reduce, from);
const ready = run([
  { type: 'backend/active', active: { name: 'wasm', detail: 'SIMD' } },
  { type: 'dataset/ready', summary },
]);

describe('state reducer', () => {
  it('can train once a backend is active and a dataset is ready, and not while switching or training', () => {
    expect(canTrain(initialState)).toBe(false);
    expect(canTrain(run([{ type: 'dataset/ready', summary }]))).toBe(false);
    expect(canTrain(ready)).toBe(true);
    expect(canTrain(reduce(ready, { type: 'backend/switching', name: 'cpu' }))).toBe(false);
    const training = reduce(ready, { type: 'train/start', totalEpochs: 2 });
    expect(isTraining(training)).toBe(true);
    expect(canTrain(training)).toBe(false);
    expect(canSwitchBackend(training)).toBe(false);
    expect(canSwitchBackend(ready)).toBe(true);
  });

  it('follows a training run: batches, epochs, done; progress goes 0 → 1', () => {
    let s = reduce(ready, { type: 'train/start', totalEpochs: 2 });
    expect(progressFraction(s)).toBe(0);
    s = reduce(s, { type: 'train/batch', progress: batch(1, 2) });
    expect(progressFraction(s)).toBeCloseTo(0.25);
    expect(s.training.phase).toBe('head');
    s = reduce(s, { type: 'train/epoch', record: record(1, 'head'), numTensors: 106 });
    s = reduce(s, { type: 'train/batch', progress: batch(2, 4, 'full') });
    expect(progressFraction(s)).toBe(1);
    s = reduce(s, { type: 'train/epoch', record: record(2, 'full'), numTensors: 226 });
    expect(s.training.history).toHaveLength(2);
    expect(tensorsFlat(s)).toBe(true); // different phases may differ (optimizer state)
    s = reduce(s, { type: 'train/done', result: result() });
    expect(s.training.status).toBe('done');
    expect(s.model?.origin).toBe('trained here');
    expect(progressFraction(s)).toBe(1);
    expect(canTrain(s)).toBe(true);
  });

  it('flags a tensor count that grows within a phase or across the run', () => {
    let s = reduce(ready, { type: 'train/start', totalEpochs: 3 });
    s = reduce(s, { type: 'train/epoch', record: record(1, 'full'), numTensors: 226 });
    s = reduce(s, { type: 'train/epoch', record: record(2, 'full'), numTensors: 230 });
    expect(tensorsFlat(s)).toBe(false);
    const done = reduce(reduce(ready, { type: 'train/start', totalEpochs: 2 }), { type: 'train/done', result: result({ tensorsAfter: 110 }) });
    expect(tensorsFlat(done)).toBe(false);
  });

  it('pauses, resumes and stops only while training', () => {
    expect(reduce(ready, { type: 'train/paused', paused: true })).toBe(ready);
    expect(reduce(ready, { type: 'train/stopping' })).toBe(ready);
    let s = reduce(ready, { type: 'train/start', totalEpochs: 2 });
    s = reduce(s, { type: 'train/paused', paused: true });
    expect(s.training.status).toBe('paused');
    expect(isTraining(s)).toBe(true);
    s = reduce(s, { type: 'train/paused', paused: false });
    expect(s.training.status).toBe('running');
    s = reduce(s, { type: 'train/stopping' });
    expect(s.training.status).toBe('stopping');
    // A late "paused: false" echo does not undo the stop request.
    expect(reduce(s, { type: 'train/paused', paused: false }).training.status).toBe('stopping');
    s = reduce(s, { type: 'train/done', result: result({ stopped: true, history: [record(1, 'head')] }) });
    expect(s.training.status).toBe('stopped');
    expect(s.message).toMatch(/stopped/);
  });

  it('a new dataset clears results but keeps the model; a new run clears the evaluation', () => {
    const evaluation = { val: { report: { acc: 0.8, auc: 0.9 } }, test: { report: { acc: 0.7, auc: 0.85 } }, seconds: 1 } as unknown as EvaluationResult;
    let s = run([{ type: 'train/start', totalEpochs: 2 }, { type: 'train/done', result: result() }, { type: 'eval/done', result: evaluation }], ready);
    expect(s.evaluation.status).toBe('ready');
    expect(s.message).toContain('0.700');
    s = reduce(s, { type: 'eval/split', split: 'val' });
    expect(s.evaluation.split).toBe('val');
    const reloaded = reduce(s, { type: 'dataset/ready', summary });
    expect(reloaded.evaluation.status).toBe('none');
    expect(reloaded.evaluation.split).toBe('val');
    expect(reloaded.model).toBeDefined();
    expect(reloaded.training.history).toHaveLength(0);
    expect(reduce(s, { type: 'train/start', totalEpochs: 1 }).evaluation.status).toBe('none');
  });

  it("a new run clears the previous model's prediction and Grad-CAM", () => {
    const prediction = { classNames: ['a', 'b'], probabilities: [0.3, 0.7], task: 'binary-class', predicted: [1] } as unknown as Prediction;
    const s = run([{ type: 'predict/done', result: prediction }], ready);
    expect(s.prediction.status).toBe('ready');
    expect(s.message).toBe('prediction: b');
    expect(reduce(s, { type: 'train/start', totalEpochs: 1 }).prediction.status).toBe('none');
  });

  it('keeps the last good dataset and backend when loading or switching fails', () => {
    const s = run([{ type: 'dataset/loading', label: 'x.npz' }, { type: 'dataset/error', error: 'bad file' }], ready);
    expect(s.dataset.status).toBe('ready');
    expect(s.dataset.summary).toBe(summary);
    expect(s.dataset.error).toBe('bad file');
    const b = run([{ type: 'backend/switching', name: 'webgpu' }, { type: 'backend/error', name: 'webgpu', error: 'no adapter' }], ready);
    expect(b.backend.active?.name).toBe('wasm');
    expect(b.backend.error).toBe('webgpu: no adapter');
    expect(canTrain(b)).toBe(true);
  });

  it('a lost GPU leaves the worker on wasm and says so until the next switch', () => {
    const onGpu = run([{ type: 'backend/switching', name: 'webgpu' }, { type: 'backend/active', active: { name: 'webgpu', detail: 'WebGPU' } }], ready);
    const lost = reduce(onGpu, { type: 'backend/lost', active: { name: 'wasm', detail: 'SIMD, 1 thread' }, message: 'The GPU device was lost (x); now running on wasm.' });
    expect(lost.backend.active?.name).toBe('wasm');
    expect(lost.backend.error).toMatch(/GPU device was lost/);
    expect(lost.message).toBe(lost.backend.error);
    expect(canTrain(lost)).toBe(true);
    expect(run([{ type: 'backend/switching', name: 'webgpu' }], lost).backend.error).toBeUndefined();
  });

  it('a speed measurement fills in backend by backend and blocks switching and training while it runs', () => {
    const started = reduce(ready, { type: 'speed/start' });
    expect([canSwitchBackend(started), canTrain(started)]).toEqual([false, false]);
    const record = { backend: 'wasm', size: 28, batch: 8, infer: 400, train: 100 };
    const done = run([{ type: 'speed/record', record }, { type: 'speed/done' }], started);
    expect(done.speed.records.wasm).toEqual(record);
    expect([canSwitchBackend(done), canTrain(done)]).toEqual([true, true]);
    expect(reduce(done, { type: 'speed/start' }).speed.records).toEqual({});
  });

  it('store notifies subscribers on change only', () => {
    const store = createStore();
    const seen: string[] = [];
    store.subscribe((s, prev) => seen.push(`${prev.training.status}→${s.training.status}`));
    store.dispatch({ type: 'train/stopping' }); // not training: no change, no notification
    store.dispatch({ type: 'train/start', totalEpochs: 1 });
    expect(seen).toEqual(['idle→running']);
    expect(store.state.training.totalEpochs).toBe(1);
  });
});

describe('defaultBackend', () => {
  const b = (name: string, available: boolean, software = false) => ({ name, available, ...(software ? { software } : {}) });
  it('starts with the fastest available backend that is not GPU emulation, or the last choice', () => {
    const list = [b('webgpu', false), b('webgl', true, true), b('wasm', true), b('cpu', true)];
    expect(defaultBackend(list)).toBe('wasm');
    expect(defaultBackend(list, 'webgl')).toBe('webgl'); // the user chose it before
    expect(defaultBackend(list, 'webgpu')).toBe('wasm'); // no longer available
    expect(defaultBackend([b('webgpu', true), b('webgl', true), b('wasm', true), b('cpu', true)])).toBe('webgpu');
    expect(defaultBackend([b('webgl', true, true), b('cpu', false)])).toBe('webgl');
    expect(defaultBackend([])).toBe('cpu');
  });
});
