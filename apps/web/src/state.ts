// The page's state and the one reducer that changes it. Pure: no DOM, no worker; the page renders
// whatever state results, and the tests drive the reducer directly.
import { formatMetric } from '@medxfer/metrics';
import type { BatchProgress, EpochRecord } from '@medxfer/train';
import type { ActiveBackend, DatasetSummary, Environment, EvaluationResult, ModelInfo, Prediction, SpeedRecord, TrainResult } from './protocol.js';

export type TrainingStatus = 'idle' | 'running' | 'paused' | 'stopping' | 'done' | 'stopped' | 'error';

export interface AppState {
  readonly environment?: Environment;
  readonly backend: { readonly active?: ActiveBackend; readonly switchingTo?: string; readonly error?: string };
  /** Measured images/s per backend (the latest measurement), and whether one is running. */
  readonly speed: { readonly running: boolean; readonly records: Readonly<Record<string, SpeedRecord>> };
  readonly dataset: {
    readonly status: 'none' | 'loading' | 'ready' | 'error';
    readonly label?: string;
    readonly download?: { loaded: number; total: number | undefined };
    readonly summary?: DatasetSummary;
    readonly error?: string;
  };
  readonly training: {
    readonly status: TrainingStatus;
    readonly progress?: BatchProgress;
    readonly phase?: string;
    readonly history: readonly EpochRecord[];
    /** `numTensors` after each epoch. */
    readonly tensors: readonly number[];
    readonly totalEpochs: number;
    readonly result?: TrainResult;
    readonly error?: string;
  };
  readonly evaluation: { readonly status: 'none' | 'running' | 'ready' | 'error'; readonly result?: EvaluationResult; readonly error?: string; readonly split: 'val' | 'test' };
  readonly model?: ModelInfo;
  readonly prediction: { readonly status: 'none' | 'running' | 'ready' | 'error'; readonly result?: Prediction; readonly error?: string };
  readonly weights?: { source: string; note: string };
  /** A line for the status bar (announced to screen readers). */
  readonly message?: string;
}

export type Action =
  | { type: 'environment'; environment: Environment }
  | { type: 'backend/switching'; name: string }
  | { type: 'backend/active'; active: ActiveBackend }
  | { type: 'backend/lost'; active: ActiveBackend; message: string }
  | { type: 'backend/error'; name: string; error: string }
  | { type: 'dataset/loading'; label: string }
  | { type: 'dataset/download'; loaded: number; total: number | undefined }
  | { type: 'dataset/ready'; summary: DatasetSummary }
  | { type: 'dataset/error'; error: string }
  | { type: 'train/start'; totalEpochs: number }
  | { type: 'train/phase'; name: string }
  | { type: 'train/batch'; progress: BatchProgress }
  | { type: 'train/epoch'; record: EpochRecord; numTensors: number }
  | { type: 'train/paused'; paused: boolean }
  | { type: 'train/stopping' }
  | { type: 'train/done'; result: TrainResult }
  | { type: 'train/error'; error: string }
  | { type: 'eval/start' }
  | { type: 'eval/done'; result: EvaluationResult }
  | { type: 'eval/error'; error: string }
  | { type: 'eval/split'; split: 'val' | 'test' }
  | { type: 'model/ready'; model: ModelInfo }
  | { type: 'weights/imported'; source: string; note: string }
  | { type: 'predict/start' }
  | { type: 'predict/done'; result: Prediction }
  | { type: 'predict/error'; error: string }
  | { type: 'message'; text: string }
  | { type: 'speed/start' }
  | { type: 'speed/record'; record: SpeedRecord }
  | { type: 'speed/done'; error?: string };

export const initialState: AppState = {
  backend: {},
  speed: { running: false, records: {} },
  dataset: { status: 'none' },
  training: { status: 'idle', history: [], tensors: [], totalEpochs: 0 },
  evaluation: { status: 'none', split: 'test' },
  prediction: { status: 'none' },
};

export const isTraining = (s: AppState): boolean => s.training.status === 'running' || s.training.status === 'paused' || s.training.status === 'stopping';

/** Whether Train can start now. */
export const canTrain = (s: AppState): boolean => s.dataset.status === 'ready' && !!s.backend.active && !s.backend.switchingTo && !isTraining(s) && s.evaluation.status !== 'running' && !s.speed.running;

/** The backend can change whenever no computation runs. */
export const canSwitchBackend = (s: AppState): boolean => !isTraining(s) && !s.backend.switchingTo && s.evaluation.status !== 'running' && s.prediction.status !== 'running' && s.dataset.status !== 'loading' && !s.speed.running;

/** The backend to start with: the user's last choice if available, else the fastest available one that is not GPU emulation. */
export function defaultBackend(backends: readonly { name: string; available: boolean; software?: boolean }[], saved?: string | null): string {
  const available = backends.filter((b) => b.available);
  if (saved && available.some((b) => b.name === saved)) return saved;
  return (available.find((b) => !b.software) ?? available[0])?.name ?? 'cpu';
}

/** Fraction of the whole plan done, from the last batch, in [0, 1]. */
export function progressFraction(s: AppState): number {
  const t = s.training;
  if (t.status === 'done') return 1;
  const p = t.progress;
  if (!p || p.totalEpochs === 0) return 0;
  return Math.min(1, (p.epoch - 1 + p.batch / p.batches) / p.totalEpochs);
}

/** True when `numTensors` was the same after every epoch of each phase (and, once done, after as before). */
export function tensorsFlat(s: AppState): boolean {
  const t = s.training;
  for (let i = 1; i < t.history.length; i++) {
    if (t.history[i]!.phase === t.history[i - 1]!.phase && t.tensors[i] !== t.tensors[i - 1]) return false;
  }
  return !t.result || t.result.tensorsAfter === t.result.tensorsBefore;
}

export function reduce(s: AppState, a: Action): AppState {
  switch (a.type) {
    case 'environment':
      return { ...s, environment: a.environment };
    case 'backend/switching':
      return { ...s, backend: { ...s.backend, switchingTo: a.name, error: undefined }, message: `switching to ${a.name}…` };
    case 'backend/active':
      return { ...s, backend: { active: a.active }, message: `backend: ${a.active.name}${a.active.detail ? ` (${a.active.detail})` : ''}` };
    case 'speed/start':
      return { ...s, speed: { running: true, records: {} }, message: 'measuring each backend…' };
    case 'speed/record':
      return { ...s, speed: { ...s.speed, records: { ...s.speed.records, [a.record.backend]: a.record } }, message: `measured ${a.record.backend}` };
    case 'speed/done':
      return { ...s, speed: { ...s.speed, running: false }, message: a.error ? `speed measurement failed: ${a.error}` : 'speed measured on every available backend' };
    case 'backend/lost':
      return { ...s, backend: { active: a.active, error: a.message }, message: a.message };
    case 'backend/error':
      return { ...s, backend: { active: s.backend.active, error: `${a.name}: ${a.error}` }, message: `could not switch to ${a.name}: ${a.error}` };
    case 'dataset/loading':
      // The previous dataset stays in the worker (and here) until the new one has opened.
      return { ...s, dataset: { status: 'loading', label: a.label, summary: s.dataset.summary }, message: `loading ${a.label}…` };
    case 'dataset/download':
      return { ...s, dataset: { ...s.dataset, download: { loaded: a.loaded, total: a.total } } };
    case 'dataset/ready':
      // A new dataset makes earlier results meaningless; the model stays (it can be evaluated on it).
      return {
        ...s,
        dataset: { status: 'ready', label: a.summary.label, summary: a.summary },
        evaluation: { status: 'none', split: s.evaluation.split },
        training: isTraining(s) ? s.training : { ...initialState.training },
        message: `dataset ready: ${a.summary.label}`,
      };
    case 'dataset/error':
      return { ...s, dataset: { ...s.dataset, status: s.dataset.summary ? 'ready' : 'error', error: a.error, download: undefined }, message: a.error };
    case 'train/start':
      return {
        ...s,
        training: { status: 'running', history: [], tensors: [], totalEpochs: a.totalEpochs },
        evaluation: { status: 'none', split: s.evaluation.split },
        // The previous model's prediction and Grad-CAM no longer describe the model being trained.
        prediction: { status: 'none' },
        message: 'training…',
      };
    case 'train/phase':
      return { ...s, training: { ...s.training, phase: a.name } };
    case 'train/batch':
      return { ...s, training: { ...s.training, progress: a.progress, phase: a.progress.phase } };
    case 'train/epoch':
      return { ...s, training: { ...s.training, history: [...s.training.history, a.record], tensors: [...s.training.tensors, a.numTensors] } };
    case 'train/paused':
      if (!isTraining(s) || s.training.status === 'stopping') return s;
      return { ...s, training: { ...s.training, status: a.paused ? 'paused' : 'running' }, message: a.paused ? 'paused' : 'training…' };
    case 'train/stopping':
      return isTraining(s) ? { ...s, training: { ...s.training, status: 'stopping' }, message: 'stopping after this batch…' } : s;
    case 'train/done': {
      const stopped = a.result.stopped;
      return {
        ...s,
        training: { ...s.training, status: stopped ? 'stopped' : 'done', result: a.result, history: a.result.history },
        model: a.result.model,
        message: stopped ? 'stopped: the model keeps the weights of the last finished batch' : `trained in ${Math.round(a.result.seconds)} s`,
      };
    }
    case 'train/error':
      return { ...s, training: { ...s.training, status: 'error', error: a.error }, message: a.error };
    case 'eval/start':
      return { ...s, evaluation: { status: 'running', split: s.evaluation.split }, message: 'evaluating…' };
    case 'eval/done':
      return { ...s, evaluation: { status: 'ready', result: a.result, split: s.evaluation.split }, message: `evaluated: test ACC ${formatMetric(a.result.test.report.acc)}, AUC ${formatMetric(a.result.test.report.auc)}` };
    case 'eval/error':
      return { ...s, evaluation: { status: 'error', error: a.error, split: s.evaluation.split }, message: a.error };
    case 'eval/split':
      return { ...s, evaluation: { ...s.evaluation, split: a.split } };
    case 'model/ready':
      return { ...s, model: a.model, evaluation: { status: 'none', split: s.evaluation.split }, prediction: { status: 'none' }, message: `model ready: ${a.model.origin}` };
    case 'weights/imported':
      return { ...s, weights: { source: a.source, note: a.note }, message: `starting weights imported: ${a.source}` };
    case 'predict/start':
      return { ...s, prediction: { status: 'running' } };
    case 'predict/done':
      return { ...s, prediction: { status: 'ready', result: a.result }, message: `prediction: ${a.result.predicted.map((c) => a.result.classNames[c]).join(', ') || 'no finding above 0.5'}` };
    case 'predict/error':
      return { ...s, prediction: { status: 'error', error: a.error }, message: a.error };
    case 'message':
      return { ...s, message: a.text };
  }
}

/** A tiny store: state, dispatch, subscribers. */
export function createStore(state: AppState = initialState) {
  const listeners = new Set<(s: AppState, prev: AppState) => void>();
  return {
    get state() {
      return state;
    },
    dispatch(action: Action) {
      const prev = state;
      state = reduce(state, action);
      if (state !== prev) for (const l of listeners) l(state, prev);
    },
    subscribe(listener: (s: AppState, prev: AppState) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
