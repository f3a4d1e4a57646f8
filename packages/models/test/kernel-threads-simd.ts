// Run by kernel-threads.test.ts as `node --import tsx` on the built package (as a library user runs it),
// without --experimental-wasm-relaxed-simd: Node 20's default, so the tfjs heap and the kernel threads both run
// the SIMD-only builds (plain and shared). Prints one JSON line: the builds, and per thread count and case
// whether every result equals one thread's bits.
import { wasmKernelsBuild } from '@medxfer/models';
import { useKernelThreads } from '@medxfer/models/node';
import { useBackend } from '../../../test-support/backend.js';
import { convolve, THREAD_CASES } from './kernel-thread-cases.js';

await useBackend('wasm');
const results = [];
const threadBuilds = new Set<string>();
for (const [name, side, ci, co, k, stride, pad] of THREAD_CASES) {
  await useKernelThreads(1);
  const one = [5, 1].map((n) => convolve(n, side, ci, co, k, stride, pad));
  for (const threads of [2, 3]) {
    const pool = await useKernelThreads(threads, { minPixelsPerThread: 0 });
    threadBuilds.add(pool!.build);
    const many = [5, 1].map((n) => convolve(n, side, ci, co, k, stride, pad));
    results.push({ name, threads, equal: JSON.stringify(many) === JSON.stringify(one) });
  }
}
await useKernelThreads(1);
console.log(JSON.stringify({ heapBuild: wasmKernelsBuild(), threadBuilds: [...threadBuilds], results }));
