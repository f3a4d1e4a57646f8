// The browser bench, driven by e2e/bench-web.mjs: ResNet18 (grey stem, 2 classes) images/s on one tfjs backend in
// this page, the cases and record format of the Node bench (bench/run.mjs): `infer` is an eval-mode forward with
// its result read back, `train` a train-mode step (loss, all gradients, Adam) with its loss read back.
import { activate } from '../../src/backends.js';
import { imagesPerSecond } from '../../src/speed.js';

interface Case {
  readonly size: number;
  readonly mode: 'infer' | 'train';
  readonly batch: number;
  readonly steps: number;
  readonly warmup: number;
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
      records.push({ ...record, imgPerS: await imagesPerSecond({ ...c, input: 'grey', numClasses: 2 }) });
    } catch (error) {
      records.push({ ...record, imgPerS: null, error: String((error as Error).message ?? error).split('\n')[0] });
    }
  }
  return records;
}

(globalThis as unknown as { bench: typeof bench }).bench = bench;
