import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BN_MOMENTUM, dataIdOf, type ResNet18 } from '@medxfer/models';
import type { BatchGradientRequest, BatchGradients, ParallelGradients } from '../parallel.js';
import { chunkGradients, copyOut } from './chunk.js';
import type { ComputeMessage, ComputeReply, LayoutMessage, WorkerReply } from './protocol.js';

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

/**
 * Data-parallel gradients on worker threads, each with a ResNet18 replica (tfjs runs wasm single-threaded
 * in Node, so this is how training uses several cores). Pass it as `TrainerOptions.parallel`: each batch is
 * cut into chunks of `ceil(batchSize / workers)` images, the chunks are computed at once (the first on the
 * calling thread), and the summed gradients step the optimiser on the calling thread. The result equals the
 * micro-batch path with that chunk size up to float summation order.
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
  const threads: Thread[] = Array.from({ length: count - 1 }, () => {
    const worker = new Worker(entry, { workerData: { backend }, eval: isCode });
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
      if (reply.type === 'error') p.reject(Object.assign(new Error(`gradient worker: ${reply.message}`), { stack: reply.stack }));
      else p.resolve(reply);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`gradient worker exited (code ${code})`)));
    worker.unref();
    return thread;
  });
  let nextId = 0;
  const send = (thread: Thread, msg: { id: number }, transfer: ArrayBuffer[] = []): Promise<WorkerReply> => {
    if (thread.dead) return Promise.reject(thread.dead);
    return new Promise((resolve, reject) => {
      thread.pending.set(msg.id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage(msg, transfer);
    });
  };

  // The shared copy of the model's variables.
  let layoutModel: ResNet18 | undefined;
  let layout: Pick<LayoutMessage, 'buffer' | 'vars'> | undefined;
  let view: Float32Array | undefined;
  const written = new Map<string, object>();
  const ensureLayout = (model: ResNet18) => {
    const all = model.allVariables();
    const same = layoutModel === model && layout!.vars.length === all.size && layout!.vars.every((v) => all.get(v.name)?.size === v.size);
    if (same) return;
    let offset = 0;
    const vars = [...all].map(([name, v]) => {
      const entry = { name, shape: [...v.shape], offset, size: v.size };
      offset += v.size;
      return entry;
    });
    const buffer = new SharedArrayBuffer(offset * 4);
    layout = { buffer, vars };
    view = new Float32Array(buffer);
    layoutModel = model;
    written.clear();
    for (const t of threads) {
      t.seen.clear();
      const grads = new SharedArrayBuffer(offset * 4);
      t.grads = new Float32Array(grads);
      const msg: LayoutMessage = { type: 'layout', numClasses: model.numClasses, input: model.input, ...(model.normalization ? { normalization: model.normalization } : {}), buffer, grads, vars };
      if (!t.dead) t.worker.postMessage(msg);
    }
  };

  let busy = false;
  async function batchGradients(req: BatchGradientRequest): Promise<BatchGradients> {
    if (busy) throw new Error('createGradientWorkers: one batchGradients call at a time');
    busy = true;
    try {
      return await run(req);
    } finally {
      busy = false;
    }
  }

  async function run(req: BatchGradientRequest): Promise<BatchGradients> {
    const { model, names, shape, images, labels } = req;
    const n = shape[0];
    const per = shape[1] * shape[2] * shape[3];
    const chunkSize = Math.max(1, Math.min(req.chunkSize, n));
    const chunks = Array.from({ length: Math.ceil(n / chunkSize) }, (_, k) => ({ from: k * chunkSize, size: Math.min(chunkSize, n - k * chunkSize) }));
    // Contiguous shares, the calling thread's first: chunk order is the order running stats move in.
    const share = Math.ceil(chunks.length / (threads.length + 1));
    const mine = chunks.slice(0, share);
    const theirs = threads.map((_, t) => chunks.slice((t + 1) * share, (t + 2) * share));

    const replies: Promise<ComputeReply>[] = [];
    if (theirs.some((c) => c.length)) {
      ensureLayout(model);
      const all = model.allVariables();
      const ids = layout!.vars.map((v) => dataIdOf(all.get(v.name)!));
      threads.forEach((thread, t) => {
        if (!theirs[t]!.length) return;
        const changed: number[] = [];
        layout!.vars.forEach((v, i) => {
          if (thread.seen.get(v.name) === ids[i]) return;
          if (written.get(v.name) !== ids[i]) {
            copyOut(all.get(v.name)!, view!, v.offset);
            written.set(v.name, ids[i]!);
          }
          thread.seen.set(v.name, ids[i]!);
          changed.push(i);
        });
        const parts = theirs[t]!.map((c) => ({
          images: images.slice(c.from * per, (c.from + c.size) * per),
          shape: [c.size, shape[1], shape[2], shape[3]] as [number, number, number, number],
          labels: labels.slice(c.from, c.from + c.size),
          weight: c.size / n,
        }));
        const msg: ComputeMessage = { type: 'compute', id: nextId++, changed, names, bn: req.bn, loss: req.loss, chunks: parts };
        replies.push(send(thread, msg, parts.flatMap((p) => [p.images.buffer, p.labels.buffer])) as Promise<ComputeReply>);
      });
    }

    let loss = 0;
    const predicted = new Int32Array(n);
    let summed: Map<string, tf.Tensor> | undefined;
    const add = (grads: Map<string, tf.Tensor>) => {
      if (!summed) return void (summed = grads);
      for (const [name, g] of grads) {
        const total = tf.add(summed.get(name)!, g);
        tf.dispose([summed.get(name)!, g]);
        summed.set(name, total);
      }
    };
    try {
      for (const c of mine) {
        const r = chunkGradients(model, names, req.bn, req.loss, images.subarray(c.from * per, (c.from + c.size) * per), [c.size, shape[1], shape[2], shape[3]], labels.subarray(c.from, c.from + c.size), c.size / n);
        loss += r.loss;
        predicted.set(r.predicted, c.from);
        add(r.grads);
      }
    } catch (error) {
      await Promise.allSettled(replies);
      if (summed) tf.dispose([...summed.values()]);
      throw error;
    }
    const settled = await Promise.allSettled(replies);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      if (summed) tf.dispose([...summed.values()]);
      throw (failed as PromiseRejectedResult).reason;
    }
    let w = 0;
    const offsets = new Map(layout?.vars.map((v) => [v.name, v.offset]));
    threads.forEach((thread, t) => {
      if (!theirs[t]!.length) return;
      const reply = (settled[w++] as PromiseFulfilledResult<ComputeReply>).value;
      theirs[t]!.forEach((c, k) => {
        loss += reply.losses[k]!;
        predicted.set(reply.predicted[k]!, c.from);
        for (const [name, increment] of Object.entries(reply.stats[k]!)) {
          const v = model.buffers.get(name)!;
          tf.tidy(() => v.assign(tf.add(tf.mul(v, 1 - BN_MOMENTUM), tf.tensor(increment, v.shape))));
        }
      });
      for (const [prefix, k] of Object.entries(reply.tracked)) model.batchesTracked.set(prefix, (model.batchesTracked.get(prefix) ?? 0) + k);
      add(new Map(names.map((name) => {
        const { shape: s, size } = model.params.get(name)!;
        const at = offsets.get(name)!;
        // wasm copies the values into its heap at once; other backends may keep the array.
        const values = tf.getBackend() === 'wasm' ? thread.grads!.subarray(at, at + size) : thread.grads!.slice(at, at + size);
        return [name, tf.tensor(values, s)];
      })));
    });
    return { loss, predicted, grads: summed! };
  }

  return {
    parallelism: threads.length + 1,
    batchGradients,
    async workerTensors() {
      const replies = await Promise.all(threads.map((t) => send(t, { type: 'memory', id: nextId++ } as { id: number })));
      return replies.map((r) => (r as { numTensors: number }).numTensors);
    },
    async close() {
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
