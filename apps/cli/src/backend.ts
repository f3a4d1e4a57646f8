import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { autoBackendsFor, backendInfo, backendsFor, PREDICT_BATCH_SIZE } from '@medxfer/train';
import { imagesThatFit, useMedxferKernels } from '@medxfer/models';
import { enableRelaxedSimd, useKernelThreads } from '@medxfer/models/node';
import { availableParallelism } from 'node:os';
import { BackendUnavailableError } from './backend-error.js';
import { UsageError } from './errors.js';
import type { Output } from './output.js';
import { provideWebGPU } from './webgpu-node.js';

const require = createRequire(import.meta.url);

/** The names `--backend` accepts: `auto` plus every Node backend of the shared list. */
export const BACKEND_CHOICES = ['auto', ...backendsFor('node').map((b) => b.name)];

export { BackendUnavailableError };

async function load(name: string): Promise<void> {
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
      // medxfer's convolution kernels use fused multiply-adds where WebAssembly relaxed SIMD is on (Node 20: a flag).
      enableRelaxedSimd();
      return;
    }
    case 'webgpu':
      await provideWebGPU();
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const pkg = backendInfo(name)!.package;
      try {
        // A variable specifier: these optional native packages are not dependencies of medxfer.
        await import(/* @vite-ignore */ pkg);
      } catch (cause) {
        const missing = (cause as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(cause));
        throw new BackendUnavailableError(
          missing
            ? `backend ${name} needs ${pkg}, which is not installed: run "npm install ${pkg}@4.22.0" (its install step downloads libtensorflow, so it needs the network), or use --backend wasm`
            : `backend ${name}: ${pkg} is installed but failed to load (${(cause as Error).message})`,
        );
      }
      return;
    }
    default:
      throw new UsageError(`unknown backend "${name}"; choose one of ${BACKEND_CHOICES.join(', ')}`);
  }
}

/**
 * Loads and activates a tfjs backend by name. `auto` tries the native TensorFlow backends (when
 * installed), then wasm, then cpu, and returns which one it chose (webgpu only by name).
 */
export async function activateBackend(name: string): Promise<{ name: string; tried: string[] }> {
  const candidates = name === 'auto' ? autoBackendsFor('node').map((b) => b.name) : [name];
  const tried: string[] = [];
  for (const candidate of candidates) {
    try {
      await load(candidate);
      if (await tf.setBackend(backendInfo(candidate)!.tfjsName)) {
        await tf.ready();
        if (candidate === 'wasm') useMedxferKernels();
        return { name: candidate, tried };
      }
      tried.push(`${candidate}: failed to initialise`);
    } catch (error) {
      if (name !== 'auto') throw error;
      tried.push(`${candidate}: ${(error as Error).message.split(':')[0]}`);
    }
  }
  throw new BackendUnavailableError(`no tfjs backend could be started (${tried.join('; ')})`);
}

/**
 * Images (volumes: pass `volumes`) per evaluation batch: the default, or on wasm the largest half, quarter… of it
 * whose inference fits the heap.
 */
export function evaluationBatchSize(resize: number, volumes = false): number {
  if (tf.getBackend() !== 'wasm') return PREDICT_BATCH_SIZE;
  return imagesThatFit({ inputSize: resize, images: PREDICT_BATCH_SIZE, training: false, ...(volumes ? { depth: resize } : {}) }) ?? 1;
}

/** --threads runs wasm convolutions on kernel threads: refused elsewhere and beside data-parallel workers, which use the cores already. */
export function checkThreads(threads: number | undefined, backend: string, workers: number): void {
  if (threads !== undefined && !(threads >= 1)) throw new UsageError(`--threads must be at least 1, got ${threads}`);
  if ((threads ?? 1) <= 1) return;
  if (backend !== 'wasm') throw new UsageError(`--threads is for the wasm backend (${backend} runs its own threads); leave it out`);
  if (workers > 1) throw new UsageError(`--threads ${threads} and --workers ${workers} would both use the cores; choose one (--workers 1 to use --threads)`);
}

/**
 * Splits each wasm convolution's images across `requested` threads (default: the cores where the run computes
 * on one worker; see {@link checkThreads}), the same bits for any count. Returns what stops them.
 */
export async function startKernelThreadsFor(requested: number | undefined, backend: string, workers: number, out: Output): Promise<() => Promise<unknown>> {
  const threads = requested ?? (backend === 'wasm' && workers <= 1 ? availableParallelism() : 1);
  if (threads <= 1) return async () => {};
  await useKernelThreads(threads);
  out.note(`threads: ${threads} per convolution (each one's images split; the same result as one thread)`);
  return () => useKernelThreads(1);
}
