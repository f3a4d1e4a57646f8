// The browser bench, driven by e2e/bench-web.mjs: ResNet18 (grey stem, 2 classes) images/s on one tfjs backend in
// this page, the cases and record format of the Node bench (bench/run.mjs): `infer` is an eval-mode forward with
// its result read back, `train` a train-mode step (loss, all gradients, Adam) with its loss read back.
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '@medxfer/models';
import { Adam, crossEntropy } from '@medxfer/train';
import { activate } from '../../src/backends.js';

interface Case {
  readonly size: number;
  readonly mode: 'infer' | 'train';
  readonly batch: number;
  readonly steps: number;
  readonly warmup: number;
}

async function timeCase(c: Case): Promise<number> {
  const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 1 });
  const x = tf.randomUniform([c.batch, c.size, c.size, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const y = tf.tensor1d(Int32Array.from({ length: c.batch }, (_, i) => i % 2), 'int32');
  const optimizer = new Adam();
  const variables = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const step = async () => {
    if (c.mode === 'infer') {
      const out = tf.tidy(() => model.predict(x));
      await out.data();
      out.dispose();
      return;
    }
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train' }), y), variables);
    await value.data();
    optimizer.apply(model.params, new Map(Object.entries(grads).map(([id, g]) => [nameOf.get(id)!, g])), () => ({ lr: 1e-4, weightDecay: 0 }));
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    for (let i = 0; i < c.warmup; i++) await step();
    const start = performance.now();
    for (let i = 0; i < c.steps; i++) await step();
    return (c.batch * c.steps) / ((performance.now() - start) / 1000);
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

/** Activates `backend` (wasm: with `threads` threads where the page may use them) and times each case. */
async function bench(backend: string, cases: Case[], threads?: number): Promise<Record<string, unknown>[]> {
  if (backend === 'wasm' && threads) (await import('@tensorflow/tfjs-backend-wasm')).setThreadsCount(threads);
  const { detail } = await activate(backend);
  const threadCount = backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : 1;
  const records: Record<string, unknown>[] = [];
  for (const c of cases) {
    const record = { impl: 'medxfer', runtime: 'chromium', backend, size: c.size, mode: c.mode, batch: c.batch, threads: threadCount, workers: 1, steps: c.steps, detail };
    try {
      records.push({ ...record, imgPerS: await timeCase(c) });
    } catch (error) {
      records.push({ ...record, imgPerS: null, error: String((error as Error).message ?? error).split('\n')[0] });
    }
  }
  return records;
}

(globalThis as unknown as { bench: typeof bench }).bench = bench;
