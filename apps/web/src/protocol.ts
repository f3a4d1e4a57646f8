// The messages between the page and the training worker. Plain data only (structured clone):
// typed arrays travel as transferables; no class instances cross the boundary.
import type { EpochRecord, BatchProgress } from '@medxfer/train';
import type { TaskReport } from '@medxfer/metrics';

/** What the browser can run, one entry per backend of `backendsFor('browser')`. */
export interface BackendSupport {
  readonly name: string;
  readonly description: string;
  readonly available: boolean;
  /** Why not, or what it will run with (e.g. "SIMD, 1 thread"). */
  readonly note: string;
  /** A GPU backend emulated on the CPU (SwiftShader, llvmpipe, a fallback adapter): slower than wasm, so not picked by default. */
  readonly software?: boolean;
}

export interface Environment {
  readonly backends: BackendSupport[];
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
}

/** The backend running now. */
export interface ActiveBackend {
  readonly name: string;
  /** Details, e.g. "SIMD, 2 threads" for wasm. */
  readonly detail: string;
}

/** Where a dataset comes from. `File`s are read inside the worker; their bytes never leave the page. */
export type DatasetSource =
  | { kind: 'demo'; url: string; md5: string }
  | { kind: 'catalogue'; flag: string; size: number }
  | { kind: 'npz'; file: File; flag?: string }
  | { kind: 'folder'; files: { path: string; file: File }[]; size: number; seed: number };

export interface DatasetLimits {
  /** Use at most this many training images (stratified, seeded); 0 or absent: all. */
  readonly train?: number;
  /** Use at most this many val and test images each. */
  readonly eval?: number;
  readonly seed: number;
}

export interface SplitSummary {
  readonly count: number;
  readonly classCounts: number[];
}

export interface DatasetSummary {
  readonly label: string;
  readonly flag: string;
  readonly task: string;
  readonly classNames: string[];
  readonly size: number;
  readonly channels: number;
  readonly splits: Record<'train' | 'val' | 'test', SplitSummary>;
  /** `official`, `known-copy` (the bundled demo), `unverified` or `folder`. */
  readonly checksum: string;
  readonly md5?: string;
  readonly notes: string[];
  /** A montage of training images, RGBA. */
  readonly preview?: { width: number; height: number; rgba: Uint8ClampedArray };
}

export interface TrainConfig {
  readonly preset: 'notebook' | 'fine-tune' | 'scratch' | 'medmnist-v2';
  /** notebook */
  readonly epochsHead: number;
  readonly lrHead: number;
  readonly epochsFull: number;
  readonly lrFull: number;
  /** fine-tune */
  readonly freezeEpochs: number;
  readonly epochs: number;
  readonly baseLr: number;
  /** scratch */
  readonly scratchEpochs: number;
  readonly scratchLr: number;
  /** medmnist-v2 */
  readonly v2Epochs: number;
  readonly v2Lr: number;
  readonly batchSize: number;
  /** Side of the model input in pixels (≥ 28). */
  readonly resize: number;
  readonly seed: number;
  /** `random`: torchvision's initialisation; `imported`: the .pth imported earlier. */
  readonly init: 'random' | 'imported';
}

/** Results of one split: its report, for any task (see `taskReport` in @medxfer/metrics). */
export interface SplitEvaluation {
  readonly split: 'val' | 'test';
  readonly count: number;
  readonly report: TaskReport;
}

export interface EvaluationResult {
  readonly val: SplitEvaluation;
  readonly test: SplitEvaluation;
  readonly seconds: number;
}

export interface ModelInfo {
  readonly classNames: string[];
  readonly inputSize: number;
  readonly input: string;
  /** Models of 3D datasets: how their 2D kernels apply to volumes. */
  readonly volume?: 'acs' | '2.5d' | '3d';
  readonly task: string;
  readonly dataset: string;
  readonly weightsSource: string;
  /** What made it: "trained here", "loaded from files". */
  readonly origin: string;
}

export interface Prediction {
  readonly classNames: string[];
  /** Softmax over classes, or one sigmoid per label (multi-label). */
  readonly probabilities: number[];
  readonly task: string;
  /** The predicted class, or every finding above 0.5 (multi-label; may be empty). */
  readonly predicted: number[];
  /** The class Grad-CAM explains (the predicted one). */
  readonly camClass: number;
  /** The stage Grad-CAM looked at: the deepest with a map of at least 7×7 (layer1 at 28 px, layer4 at 224). */
  readonly camLayer: string;
  /** Grad-CAM's resolution: layer4's cells (1 at 28 px: no localisation) and grid, e.g. "7×7". */
  readonly camCells: number;
  readonly camGrid: string;
  /** True when the map is uniform (one cell, or no positive evidence anywhere). */
  readonly camFlat: boolean;
  /** The model's input side in pixels. */
  readonly inputSize: number;
  /**
   * The image as the model sees it and the Grad-CAM overlay, RGBA at display size; for a volume, its axial, coronal
   * and sagittal middle slices side by side (`planes` says so).
   */
  readonly display: { width: number; height: number; image: Uint8ClampedArray; overlay: Uint8ClampedArray; planes?: string };
  readonly fileName: string;
}

export interface TrainResult {
  readonly history: EpochRecord[];
  readonly seconds: number;
  readonly epochKept: number;
  readonly stopped: boolean;
  /** `tf.memory().numTensors` before training and after training and evaluation: equal when nothing leaked. */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  readonly model: ModelInfo;
}

/** One backend's measured speed for the current model's shape (see speed.ts); null where it failed. */
export interface SpeedRecord {
  readonly backend: string;
  readonly size: number;
  /** A volume model's: images are volumes `size³`. */
  readonly volume?: 'acs' | '2.5d' | '3d';
  readonly batch: number;
  readonly infer: number | null;
  readonly train: number | null;
  readonly error?: string;
}

/** Requests the page sends; each gets one `reply` with the same id. */
export type Request =
  | { type: 'environment' }
  | { type: 'set-backend'; name: string }
  | { type: 'load-dataset'; source: DatasetSource; limits: DatasetLimits }
  | { type: 'train'; config: TrainConfig }
  | { type: 'evaluate' }
  | { type: 'predict'; file: File }
  | { type: 'export' }
  | { type: 'load-model'; files: File[] }
  | { type: 'import-weights'; file: File }
  | { type: 'measure-speed' };

/** Fire-and-forget controls, handled even while a request runs. */
export type Control = { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

export interface ReplyTypes {
  environment: Environment;
  'set-backend': ActiveBackend;
  'load-dataset': DatasetSummary;
  train: TrainResult;
  evaluate: EvaluationResult;
  predict: Prediction;
  export: { artifacts: import('@tensorflow/tfjs-core').io.ModelArtifacts; name: string };
  'load-model': ModelInfo;
  'import-weights': { source: string; tensors: number; note: string };
  'measure-speed': SpeedRecord[];
}

/** Events the worker sends while a request runs. */
export type WorkerEvent =
  | { type: 'download'; loaded: number; total: number | undefined }
  | { type: 'status'; text: string }
  | { type: 'phase'; name: string; index: number }
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'epoch'; record: EpochRecord; numTensors: number }
  | { type: 'paused'; paused: boolean }
  /** The GPU backend's device or context was lost: the worker moved to `active` (wasm); `message` says so plainly. */
  | { type: 'backend-lost'; lost: string; active: ActiveBackend; message: string }
  | { type: 'speed'; record: SpeedRecord };

export type ToWorker = ({ id: number } & Request) | Control;
export type FromWorker =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string; name: string }
  | ({ kind: 'event' } & WorkerEvent);
