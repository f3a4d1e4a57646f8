import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HeapModuleBuild } from '../wasm/heap.js';
import { activeKernelThreads, KernelThreads, kernelThreadBuild, kernelThreadMemory, MAX_KERNEL_THREADS, setKernelThreads } from '../wasm/kernel-threads.js';

/** What a kernel thread is started with. */
export interface KernelThreadData {
  readonly memory: WebAssembly.Memory;
  readonly build: HeapModuleBuild;
  readonly index: number;
}

/** The thread's entry: the built .js, or under the TypeScript sources (vitest) the .ts through tsx. */
function threadEntry(): { entry: string | URL; eval: boolean } {
  const url = new URL(`./kernel-thread.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  if (url.pathname.endsWith('.js')) return { entry: url, eval: false };
  return { entry: `import('tsx/esm/api').then((tsx) => tsx.register()).then(() => import(${JSON.stringify(url.href)}));`, eval: true };
}

function startThread(data: KernelThreadData): Promise<Worker> {
  const { entry, eval: isCode } = threadEntry();
  const worker = new Worker(entry, { workerData: data, eval: isCode });
  return new Promise((resolve, reject) => {
    worker.once('message', () => {
      worker.off('error', reject);
      worker.unref();
      resolve(worker);
    });
    worker.once('error', reject);
  });
}

export interface KernelThreadsOptions {
  /** Output pixels per thread below which a convolution stays on the calling thread (default 128; 0: split every call)… */
  readonly minPixelsPerThread?: number;
  /** …unless it has this many multiply-adds a thread (default 2²⁵). */
  readonly minMacsPerThread?: number;
}

/**
 * Starts `threads − 1` kernel threads beside the calling one (default: every core) on a new shared memory.
 * {@link useKernelThreads} also puts them to use.
 */
export async function startKernelThreads(threads = availableParallelism(), options: KernelThreadsOptions = {}): Promise<KernelThreads> {
  const count = Math.max(1, Math.min(threads, MAX_KERNEL_THREADS));
  const memory = kernelThreadMemory();
  const build = kernelThreadBuild(memory);
  if (!build) throw new Error('kernel threads need WebAssembly SIMD');
  const workers = await Promise.all(Array.from({ length: count - 1 }, (_, i) => startThread({ memory, build, index: i + 1 })));
  return new KernelThreads(memory, count, async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  }, options.minPixelsPerThread, options.minMacsPerThread);
}

/**
 * Splits medxfer's wasm convolutions across `threads` threads (default: every core; 1 stops them), with the
 * same bits as one thread (see `setKernelThreads`). Call after `useMedxferKernels()`. Returns the threads in
 * use; `close()` them (or call `useKernelThreads(1)`) when done.
 */
export async function useKernelThreads(threads = availableParallelism(), options: KernelThreadsOptions = {}): Promise<KernelThreads | undefined> {
  const previous = activeKernelThreads();
  setKernelThreads(undefined);
  await previous?.close();
  if (threads <= 1) return undefined;
  const started = await startKernelThreads(threads, options);
  setKernelThreads(started);
  return started;
}
