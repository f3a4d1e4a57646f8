// A worker thread of createGradientWorkers: a ResNet18 replica that computes chunks' gradients.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { groupOf, guardWasmHeap, ResNet18, useMedxferKernels, WasmOutOfMemoryError } from '@medxfer/models';
import { batchProbabilities } from '../predict.js';
import { addGradients, bodyFixed } from '../step.js';
import { chunkFromArrays, copyOut } from './chunk.js';
import type { ComputeMessage, ComputeReply, LayoutMessage, PredictMessage, PredictReply, WorkerReply } from './protocol.js';

const port = parentPort!;
const { backend, kernels } = workerData as { backend: 'wasm' | 'cpu'; kernels: boolean };

async function start(): Promise<void> {
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise in a worker thread`);
  await tf.ready();
  // The same kernels as the calling thread, so every chunk runs the same code; a guarded heap either way.
  if (backend === 'wasm') guardWasmHeap();
  if (backend === 'wasm' && kernels) useMedxferKernels();
}

let model: ResNet18 | undefined;
let layout: LayoutMessage | undefined;
let view: Float32Array | undefined;
let gradView: Float32Array | undefined;

function readVariable(index: number): void {
  const { name, offset, size, shape } = layout!.vars[index]!;
  const v = model!.params.get(name) ?? model!.buffers.get(name)!;
  // wasm copies the values into its heap at once; other backends may keep the array, so copy it first.
  const values = backend === 'wasm' ? view!.subarray(offset, offset + size) : view!.slice(offset, offset + size);
  tf.tidy(() => v.assign(tf.tensor(values, shape)));
}

async function compute(msg: ComputeMessage): Promise<ComputeReply> {
  if (!model) throw new Error('no model layout arrived before the first request');
  // The folded weights of the last predictions are stale once training moves the body's weights: freed,
  // not kept. A step with a fixed body folds and reuses them (only the head changes between steps).
  if (!bodyFixed(msg.spec)) model.releaseFoldedWeights();
  for (const i of msg.changed) readVariable(i);
  // Running stats of train-mode BatchNorms start each chunk at 0, so afterwards they hold exactly the
  // chunk's increment momentum·(batch statistic); the main thread applies it as r ← (1 − momentum)·r + increment.
  const trainBuffers = [...model!.buffers.keys()].filter((n) => msg.spec.bn[groupOf(n)] === 'train');
  const trackedBefore = new Map(model!.batchesTracked);
  const losses: number[] = [];
  const correct: number[] = [];
  const stats: Record<string, Float32Array>[] = [];
  let summed: Map<string, tf.Tensor> | undefined;
  for (const c of msg.chunks) {
    for (const n of trainBuffers) {
      const v = model!.buffers.get(n)!;
      tf.tidy(() => v.assign(tf.zerosLike(v)));
    }
    const r = await chunkFromArrays(model!, msg.spec, c.images, c.shape, c.targets, c.weight);
    losses.push(r.loss);
    correct.push(r.correct);
    stats.push(Object.fromEntries(trainBuffers.map((n) => [n, model!.buffers.get(n)!.dataSync() as Float32Array])));
    summed = addGradients(summed, r.grads);
  }
  // Back to the values the main thread gave (the next request sends only what changed there).
  layout!.vars.forEach((v, i) => {
    if (model!.buffers.has(v.name) && trainBuffers.includes(v.name)) readVariable(i);
  });
  const offsets = new Map(layout!.vars.map((v) => [v.name, v.offset]));
  for (const n of msg.spec.names) copyOut(summed!.get(n)!, gradView!, offsets.get(n)!);
  tf.dispose([...summed!.values()]);
  const tracked: Record<string, number> = {};
  for (const [k, v] of model!.batchesTracked) if (v !== trackedBefore.get(k)) tracked[k] = v - trackedBefore.get(k)!;
  return { type: 'result', id: msg.id, losses, correct, stats, tracked, numTensors: tf.memory().numTensors };
}

async function predict(msg: PredictMessage): Promise<PredictReply> {
  if (!model) throw new Error('no model layout arrived before the first request');
  for (const i of msg.changed) readVariable(i);
  const values = await batchProbabilities(model, msg.images, msg.shape, msg.task, msg.tta);
  return { type: 'probabilities', id: msg.id, values: backend === 'wasm' ? values : values.slice() };
}

const ready = start();
port.on('message', async (msg: LayoutMessage | ComputeMessage | PredictMessage | { type: 'memory'; id: number }) => {
  let reply: WorkerReply;
  try {
    await ready;
    if (msg.type === 'layout') {
      model?.dispose();
      layout = msg;
      view = new Float32Array(msg.buffer);
      gradView = new Float32Array(msg.grads);
      model = new ResNet18({ numClasses: msg.numClasses, input: msg.input, ...(msg.normalization ? { normalization: msg.normalization } : {}), ...(msg.volume ? { volume: msg.volume } : {}) });
      return;
    }
    if (msg.type === 'memory') reply = { type: 'memory', id: msg.id, numTensors: tf.memory().numTensors };
    else if (msg.type === 'predict') reply = await predict(msg);
    else reply = await compute(msg);
  } catch (error) {
    const outOfMemory = error instanceof WasmOutOfMemoryError ? { requestedBytes: error.requestedBytes, inUseBytes: error.inUseBytes } : undefined;
    reply = { type: 'error', id: (msg as { id?: number }).id ?? -1, message: (error as Error).message, stack: (error as Error).stack ?? '', ...(outOfMemory ? { outOfMemory } : {}) };
  }
  // wasm's dataSync copies out of its heap (each array owns its buffer); the cpu backend may hand out its own storage.
  const own = (a: Float32Array): Float32Array => (backend === 'wasm' ? a : a.slice());
  if (reply.type === 'result') reply = { ...reply, stats: reply.stats.map((s) => Object.fromEntries(Object.entries(s).map(([k, a]) => [k, own(a)]))) };
  const transfer: ArrayBuffer[] = reply.type === 'result' ? reply.stats.flatMap((s) => Object.values(s)).map((a) => a.buffer as ArrayBuffer)
    : reply.type === 'probabilities' ? [reply.values.buffer as ArrayBuffer] : [];
  port.postMessage(reply, transfer);
});
