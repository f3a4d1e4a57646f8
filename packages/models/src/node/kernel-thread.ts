// A kernel thread (worker_threads): the layer kernels on the shared memory, serving calls until stopped.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBase64 } from '../wasm/heap.js';
import { serveKernelThread, sharedLayersModule } from '../wasm/kernel-threads.js';
import type { LayerExports } from '../wasm/layers-module.js';
import type { KernelThreadData } from './kernel-threads.js';

const { memory, build, index } = workerData as KernelThreadData;
const source = sharedLayersModule(build)!;
const kernels = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(source)), { env: { memory } }).exports as unknown as LayerExports;
serveKernelThread(memory, kernels, index, () => parentPort!.postMessage('ready'));
