import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BN_MOMENTUM, medxferKernelsActive, WasmOutOfMemoryError, type ResNet18 } from '@medxfer/models';
import { dataIdOf } from '@medxfer/models/internal';
import type { BatchGradientRequest, BatchGradients, ParallelGradients, PredictRequest } from '../parallel.js';
import { batchProbabilities } from '../predict.js';
import { addStep, type StepResult } from '../step.js';
import { sliceTargets } from '../task.js';
import { chunkFromArrays, copyOut } from './chunk.js';
import type { ComputeMessage, ComputeReply, LayoutMessage, PredictMessage, PredictReply, WorkerReply } from './protocol.js';

export interface GradientWorkersOptions {
  /** Threads that compute chunks at once, the calling thread included (default 2: the main thread and one worker thread). */
  readonly workers?: number;
  /** Backend of the worker threads (default: the active one, which must be `wasm` or `cpu`). */
  readonly backend?: 'wasm' | 'cpu';
}

/** {@link ParallelGradients} on Node worker threads. Call `close()` when done (the threads do not keep the process alive while idle). */
export interface GradientWorkers extends ParallelGradients {
  /** `tf.memory().numTensors` of each worker thread (for leak checks). */
  workerTensors(): Promise<number[]>;
  /** Terminates the worker threads. */
  close(): Promise<void>;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>;
  /** Where this thread leaves its gradients (the layout's offsets). */
  grads?: Float32Array;
  /** dataId of each variable when this thread last read it. */
  readonly seen: Map<string, object>;
  dead?: Error;
}

/** The worker's entry: the built .js, or under the TypeScript sources (vitest) the .ts through tsx (a dev dependency of the repo). */
function workerEntry(): { entry: string | URL; eval: boolean } {
  const url = new URL(`./gradient-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  if (url.pathname.endsWith('.js')) return { entry: url, eval: false };
  return { entry: `import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(url.href)}));`, eval: true };
}

/** A worker's error as an Error of this thread (an out-of-memory one keeps its type). */
function workerError(reply: Extract<WorkerReply, { type: 'error' }>): Error {
  if (reply.outOfMemory) return new WasmOutOfMemoryError(reply.outOfMemory.requestedBytes, reply.outOfMemory.inUseBytes);
  return Object.assign(new Error(`gradient worker: ${reply.message}`), { stack: reply.stack });
}

/** Starts one worker thread; a thread that fails rejects what it has pending and every later request. */
function spawnThread(entry: string | URL, isCode: boolean, backend: 'wasm' | 'cpu', kernels: boolean): Thread {
  const worker = new Worker(entry, { workerData: { backend, kernels }, eval: isCode });
  const thread: Thread = { worker, pending: new Map(), seen: new Map() };
  const fail = (error: Error) => {
    thread.dead ??= error;
    for (const p of thread.pending.values()) p.reject(error);
    thread.pending.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    const p = thread.pending.get(reply.id);
    if (!p) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) worker.unref();
    if (reply.type === 'error') p.reject(workerError(reply));
    else p.resolve(reply);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`gradient worker exited (code ${code})`)));
  worker.unref();
  return thread;
}

let nextId = 0;
function send(thread: Thread, msg: { id: number }, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
  if (thread.dead) return Promise.reject(thread.dead);
  return new Promise((resolve, reject) => {
    thread.pending.set(msg.id, { resolve, reject });
    thread.worker.ref();
    thread.worker.postMessage(msg, transfer);
  });
}

/** The model's variables in one SharedArrayBuffer that the worker threads read, rewritten only where a variable changed. */
class SharedVariables {
  private model: ResNet18 | undefined;
  layout: Pick<LayoutMessage, 'buffer' | 'vars'> | undefined;
  private view: Float32Array | undefined;
  private readonly written = new Map<string, object>();

  constructor(private readonly threads: readonly Thread[]) {}

  /** Lays the model out anew when it is not the one laid out (and tells every thread). */
  ensure(model: ResNet18): void {
    const all = model.allVariables();
    const same = this.model === model && this.layout!.vars.length === all.size && this.layout!.vars.every((v) => all.get(v.name)?.size === v.size);
    if (same) return;
    let offset = 0;
    const vars = [...all].map(([name, v]) => {
      const entry = { name, shape: [...v.shape], offset, size: v.size };
      offset += v.size;
      return entry;
    });
    const buffer = new SharedArrayBuffer(offset * 4);
    this.layout = { buffer, vars };
    this.view = new Float32Array(buffer);
    this.model = model;
    this.written.clear();
    for (const t of this.threads) {
      t.seen.clear();
      const grads = new SharedArrayBuffer(offset * 4);
      t.grads = new Float32Array(grads);
      const msg: LayoutMessage = { type: 'layout', numClasses: model.numClasses, input: model.input, ...(model.normalization ? { normalization: model.normalization } : {}), ...(model.volume ? { volume: model.volume } : {}), buffer, grads, vars };
      if (!t.dead) t.worker.postMessage(msg);
    }
  }

  /** Writes what changed since `thread` last read, and returns those variables' indices. */
  changedFor(thread: Thread, model: ResNet18): number[] {
    const all = model.allVariables();
    const changed: number[] = [];
    this.layout!.vars.forEach((v, i) => {
      const id = dataIdOf(all.get(v.name)!);
      if (thread.seen.get(v.name) === id) return;
      if (this.written.get(v.name) !== id) {
        copyOut(all.get(v.name)!, this.view!, v.offset);
        this.written.set(v.name, id);
      }
      thread.seen.set(v.name, id);
      changed.push(i);
    });
    return changed;
  }
}

interface Chunk {
  readonly from: number;
  readonly size: number;
}

/** Contiguous shares of the chunks, the calling thread's first: chunk order is the order running stats move in. */
function shareChunks(n: number, chunkSize: number, threads: number): Chunk[][] {
  const size = Math.max(1, Math.min(chunkSize, n));
  const chunks = Array.from({ length: Math.ceil(n / size) }, (_, k) => ({ from: k * size, size: Math.min(size, n - k * size) }));
  const share = Math.ceil(chunks.length / threads);
  return Array.from({ length: threads }, (_, t) => chunks.slice(t * share, (t + 1) * share));
}

/** Applies a worker's reply to the model (running stats in chunk order, batches tracked) and returns its gradients and correct count (the caller adds its losses in chunk order). */
function absorbReply(req: BatchGradientRequest, thread: Thread, chunks: readonly Chunk[], reply: ComputeReply, offsets: Map<string, number>): StepResult {
  const { model } = req;
  chunks.forEach((_, k) => {
    for (const [name, increment] of Object.entries(reply.stats[k]!)) {
      const v = model.buffers.get(name)!;
      tf.tidy(() => v.assign(tf.add(tf.mul(v, 1 - BN_MOMENTUM), tf.tensor(increment, v.shape))));
    }
  });
  for (const [prefix, k] of Object.entries(reply.tracked)) model.batchesTracked.set(prefix, (model.batchesTracked.get(prefix) ?? 0) + k);
  const grads = new Map(req.spec.names.map((name) => {
    const { shape, size } = model.params.get(name)!;
    const at = offsets.get(name)!;
    // wasm copies the values into its heap at once; other backends may keep the array.
    const values = tf.getBackend() === 'wasm' ? thread.grads!.subarray(at, at + size) : thread.grads!.slice(at, at + size);
    return [name, tf.tensor(values, shape)] as const;
  }));
  return { loss: 0, correct: reply.correct.reduce((a, b) => a + b, 0), grads };
}

/** Images from…to of a prediction request, sent to a worker thread with the variables it has not read. */
function dispatchPredict(shared: SharedVariables, req: PredictRequest, thread: Thread, from: number, to: number): Promise<PredictReply> {
  const per = req.images.length / req.shape[0]!;
  const images = req.images.slice(from * per, to * per);
  const msg: PredictMessage = {
    type: 'predict', id: nextId++, changed: shared.changedFor(thread, req.model), images, shape: [to - from, ...req.shape.slice(1)], task: req.task, ...(req.tta ? { tta: req.tta } : {}),
  };
  return send(thread, msg, [images.buffer]) as Promise<PredictReply>;
}

/** Runs requests one at a time (the threads and the shared variables serve one batch); a second at once is an error. */
function oneAtATime() {
  let busy = false;
  return async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    if (busy) throw new Error(`createGradientWorkers: one ${what} call at a time`);
    busy = true;
    try {
      return await f();
    } finally {
      busy = false;
    }
  };
}

function concatenate(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * Data-parallel gradients on worker threads, each with a ResNet18 replica (tfjs runs wasm single-threaded
 * in Node, so this is how training uses several cores; `probabilities` shares prediction batches the same
 * way). Pass it as `TrainerOptions.parallel`: each batch is cut into chunks, the chunks are computed at
 * once (the first share on the calling thread), and the summed gradients step the optimiser on the calling
 * thread. The result equals the micro-batch path with that chunk size up to float summation order.
 *
 * Per request the calling thread writes the variables whose values changed (parameters and running stats,
 * detected by tfjs data identity) into one SharedArrayBuffer, and each worker reads those into its replica.
 * Workers return summed gradients and, per chunk, the running-stat increments momentum·(batch statistic),
 * which the calling thread applies in chunk order as r ← (1 − momentum)·r + increment — the same float ops
 * as BatchNorm's own update, so running stats match the micro-batch path bit for bit.
 */
export function createGradientWorkers(options: GradientWorkersOptions = {}): GradientWorkers {
  const count = options.workers ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`workers must be a positive integer, got ${count}`);
  const backend = options.backend ?? tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`gradient workers run on the wasm or cpu backend, not ${backend}`);
  const { entry, eval: isCode } = workerEntry();
  // The calling thread computes the first share itself (faster than leaving it idle while `count` workers
  // compute: a worker's share also pays for reading the weights and writing back its gradients).
  // The worker threads run the kernels the calling thread runs (medxfer's, if it installed them), so every chunk runs the same code.
  const kernels = medxferKernelsActive();
  const threads: Thread[] = Array.from({ length: count - 1 }, () => spawnThread(entry, isCode, backend, kernels));
  const shared = new SharedVariables(threads);

  const dispatch = (req: BatchGradientRequest, thread: Thread, chunks: readonly Chunk[]): Promise<ComputeReply> => {
    const { shape, images } = req;
    const per = shape[1] * shape[2] * shape[3];
    const parts = chunks.map((c) => ({
      images: images.slice(c.from * per, (c.from + c.size) * per),
      shape: [c.size, shape[1], shape[2], shape[3]] as [number, number, number, number],
      targets: sliceTargets(req.targets, c.from, c.size),
      weight: c.size / shape[0],
    }));
    const msg: ComputeMessage = { type: 'compute', id: nextId++, changed: shared.changedFor(thread, req.model), spec: req.spec, chunks: parts };
    return send(thread, msg, parts.flatMap((p) => [p.images.buffer, p.targets.data.buffer as ArrayBuffer])) as Promise<ComputeReply>;
  };

  const computeOwn = async (req: BatchGradientRequest, chunks: readonly Chunk[]): Promise<StepResult | undefined> => {
    const { shape, images } = req;
    const per = shape[1] * shape[2] * shape[3];
    let total: StepResult | undefined;
    try {
      for (const c of chunks) {
        const part = images.subarray(c.from * per, (c.from + c.size) * per);
        total = addStep(total, await chunkFromArrays(req.model, req.spec, part, [c.size, shape[1], shape[2], shape[3]], sliceTargets(req.targets, c.from, c.size), c.size / shape[0]));
      }
    } catch (error) {
      if (total) tf.dispose([...total.grads.values()]);
      throw error;
    }
    return total;
  };

  async function run(req: BatchGradientRequest): Promise<BatchGradients> {
    const [mine, ...theirs] = shareChunks(req.shape[0], req.chunkSize, threads.length + 1) as [Chunk[], ...Chunk[][]];
    const busyThreads = threads.map((thread, t) => ({ thread, chunks: theirs[t]! })).filter((w) => w.chunks.length > 0);
    if (busyThreads.length) shared.ensure(req.model);
    const replies = busyThreads.map((w) => dispatch(req, w.thread, w.chunks));
    let own: StepResult | undefined;
    try {
      own = await computeOwn(req, mine);
    } catch (error) {
      await Promise.allSettled(replies);
      throw error;
    }
    const settled = await Promise.allSettled(replies);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      if (own) tf.dispose([...own.grads.values()]);
      throw (failed as PromiseRejectedResult).reason;
    }
    const offsets = new Map(shared.layout?.vars.map((v) => [v.name, v.offset]));
    let total = own;
    let loss = own?.loss ?? 0;
    busyThreads.forEach((w, k) => {
      const reply = (settled[k] as PromiseFulfilledResult<ComputeReply>).value;
      // Chunk by chunk, in chunk order: the same float sum as the micro-batch path.
      for (const l of reply.losses) loss += l;
      total = addStep(total, absorbReply(req, w.thread, w.chunks, reply, offsets));
    });
    return { ...total!, loss };
  }

  /** Contiguous shares of the batch's images, the calling thread's first; their probabilities in order. */
  async function predict(req: PredictRequest): Promise<Float32Array> {
    const n = req.shape[0]!;
    const share = Math.ceil(n / (threads.length + 1));
    const part = (t: number) => ({ from: Math.min(t * share, n), to: Math.min((t + 1) * share, n) });
    const busyThreads = threads.map((thread, t) => ({ thread, ...part(t + 1) })).filter((w) => w.to > w.from);
    if (busyThreads.length) shared.ensure(req.model);
    const replies = busyThreads.map(({ thread, from, to }) => dispatchPredict(shared, req, thread, from, to).then((r) => r.values));
    const mine = part(0);
    const per = req.images.length / n;
    const own = batchProbabilities(req.model, req.images.subarray(mine.from * per, mine.to * per), [mine.to - mine.from, ...req.shape.slice(1)], req.task, req.tta);
    const parts = await Promise.allSettled([own, ...replies]);
    const failed = parts.find((p) => p.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return concatenate(parts.map((p) => (p as PromiseFulfilledResult<Float32Array>).value));
  }

  const exclusive = oneAtATime();
  return {
    parallelism: threads.length + 1,
    batchGradients: (req) => exclusive('batchGradients', () => run(req)),
    probabilities: (req) => exclusive('probabilities', () => predict(req)),
    async workerTensors() {
      const replies = await Promise.all(threads.map((t) => send(t, { type: 'memory', id: nextId++ } as { id: number })));
      return replies.map((r) => (r as { numTensors: number }).numTensors);
    },
    async close() {
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
