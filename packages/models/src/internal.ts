// @medxfer/models/internal: what medxfer's own packages share about tfjs-wasm's internals (its heap, tensor
// data identity), for kernels that run on that heap (@medxfer/train's fused optimiser kernels, its worker
// threads). Not part of the public API: it follows tfjs-backend-wasm's internals and may change in any release.
export { activeWasmBackend, dataIdOf, heapModuleBuild, heapModuleFor, heapOffset, instantiateOnHeap, type HeapModuleBuild, type HeapModuleSource, type WasmBackendInternals } from './wasm/heap.js';
// Kernel threads for a runtime adapter (Node's is `startKernelThreads` in @medxfer/models/node).
export { KernelThreads, kernelThreadBuild, kernelThreadMemory, serveKernelThread, sharedLayersModule } from './wasm/kernel-threads.js';
