import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { activeKernelThreads, ResNet18, type KernelThreads } from '@medxfer/models';
import { useKernelThreads } from '@medxfer/models/node';
import { Arena } from '../src/wasm/arena.js';
import { evenShares } from '../src/wasm/conv-plan.js';
import { useBackend } from '../../../test-support/backend.js';
import { convolve, THREAD_CASES } from './kernel-thread-cases.js';

describe('Arena (first-fit ranges of a growable memory)', () => {
  it('hands out aligned, disjoint ranges, reuses and coalesces freed ones, and grows the memory when full', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
    const arena = new Arena(memory, 4096);
    const a = arena.alloc(100);
    const b = arena.alloc(1000);
    const c = arena.alloc(70_000);
    expect([a, b, c].every((o) => o % 64 === 0 && o >= 4096)).toBe(true);
    expect(b).toBeGreaterThanOrEqual(a + 100);
    expect(c).toBeGreaterThanOrEqual(b + 1000);
    expect(memory.buffer.byteLength, 'grown past one page').toBeGreaterThan(65536);
    arena.release(a);
    arena.release(b);
    expect(arena.alloc(1100), 'the two freed neighbours coalesced into one range').toBe(a);
    expect(() => arena.release(a + 64)).toThrow(/not allocated/);
    const big = arena.alloc(300_000);
    expect(big + 300_000).toBeLessThanOrEqual(memory.buffer.byteLength);
    arena.release(big);
    arena.release(c);
    arena.release(a);
    expect(arena.inUse).toBe(0);
  });

  it('splits a batch into contiguous shares, as even as possible', () => {
    expect(evenShares(5, 2)).toEqual([[0, 3], [3, 2]]);
    expect(evenShares(2, 3)).toEqual([[0, 1], [1, 1], [2, 0]]);
    expect(evenShares(32, 4).map(([, n]) => n)).toEqual([8, 8, 8, 8]);
  });
});

// Each thread convolves its own images with the same kernel call and operands: the same bits as one thread.
describe('kernel threads (wasm): convolutions split by images across threads', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(async () => {
    await useKernelThreads(1);
  });

  for (const threads of [2, 3]) {
    for (const [name, side, ci, co, k, stride, pad] of THREAD_CASES) {
      it(`${threads} threads, ${name}: forward, fused forward (bias, residual or position bias, ReLU) and both gradients equal one thread's bits (5 images and 1)`, async () => {
        await useKernelThreads(1);
        const one = [5, 1].map((n) => convolve(n, side, ci, co, k, stride, pad));
        // Every call split, however small (by default small calls stay on one thread).
        const pool = await useKernelThreads(threads, { minPixelsPerThread: 0 });
        expect(pool?.threads).toBe(threads);
        expect(pool?.build, 'as the heap: relaxed SIMD is on in this suite').toBe('relaxed-simd');
        const many = [5, 1].map((n) => convolve(n, side, ci, co, k, stride, pad));
        expect(many).toEqual(one);
        expect(one[0]![1]!.some((v) => v > 0)).toBe(true);
      });
    }
  }

  it("a model's folded inference: the same logits on 2 and 3 threads as on one, its kept filters freed on release", async () => {
    const model = new ResNet18({ numClasses: 3, input: 'grey', seed: 8 });
    const x = tf.randomUniform([7, 32, 32, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const logits = () => Array.from(tf.tidy(() => model.predict(x).dataSync()));
    await useKernelThreads(1);
    const one = logits();
    for (const threads of [2, 3]) {
      const pool = (await useKernelThreads(threads)) as KernelThreads;
      expect(logits()).toEqual(one);
      expect(pool.bytesInUse, 'the filters are kept between calls').toBeGreaterThan(0);
      model.releaseFoldedWeights();
      expect(pool.bytesInUse, 'and freed with the folded weights').toBe(0);
    }
    model.dispose();
    x.dispose();
  });

  it('keeps calls with fewer than minPixelsPerThread output pixels a thread on the calling thread', async () => {
    const pool = (await useKernelThreads(2)) as KernelThreads;
    expect(pool.minPixelsPerThread).toBe(128);
    const run = vi.spyOn(pool, 'run');
    convolve(4, 8, 16, 16, 3, 1, 1); // 256 output pixels: 128 a thread
    const split = run.mock.calls.length;
    const kernels = new Set(run.mock.calls.flatMap(([calls]) => calls.map((c) => c?.fn)));
    expect([...kernels].sort(), 'the convolutions (forward, dx) and the filter gradient split').toEqual(['winograd4Conv', 'winogradFilterGrad']);
    convolve(4, 7, 16, 16, 3, 1, 1); // 196: fewer
    expect(run.mock.calls.length).toBe(split);
    run.mockRestore();
  });

  it('splits a call with few pixels but minMacsPerThread multiply-adds a thread', async () => {
    const pool = (await useKernelThreads(2, { minMacsPerThread: 2 ** 20 })) as KernelThreads;
    expect(pool.minMacsPerThread).toBe(2 ** 20);
    const run = vi.spyOn(pool, 'run');
    convolve(4, 2, 128, 128, 3, 1, 1); // 16 output pixels, 4 live taps: 2²⁰ multiply-adds, 2¹⁹ a thread
    expect(run.mock.calls.length, 'under both thresholds').toBe(0);
    convolve(8, 2, 128, 128, 3, 1, 1); // 32 pixels: 2²⁰ a thread
    expect(new Set(run.mock.calls.flatMap(([calls]) => calls.map((c) => c?.fn)))).toEqual(new Set(['map2Conv', 'convFilterGrad']));
    run.mockRestore();
    expect((await useKernelThreads(2))?.minMacsPerThread, 'the default').toBe(2 ** 25);
  });

  it('reports a kernel that fails on another thread as an error, and keeps working', async () => {
    const pool = (await useKernelThreads(2)) as KernelThreads;
    expect(activeKernelThreads()).toBe(pool);
    const beyond = 2 ** 31 - 1024;
    expect(() => pool.run([null, { fn: 'winograd4Conv', args: [beyond, beyond, beyond, 1, 4, 4, 8, 8, 0, 0, beyond, 64] }])).toThrow(/failed on a worker thread/);
    await useKernelThreads(1);
    const one = convolve(3, 8, 16, 16, 3, 1, 1);
    await useKernelThreads(2);
    expect(convolve(3, 8, 16, 16, 3, 1, 1)).toEqual(one);
  });
});

// Node 20 without --experimental-wasm-relaxed-simd (a library user's default) runs the SIMD-only builds: the
// plain one on tfjs's heap and the shared one on the threads. The same cases, in a child process without the flag.
describe('kernel threads on the SIMD-only builds (a Node without relaxed SIMD)', () => {
  it('on 2 and 3 threads give one thread\'s bits for every case', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./kernel-threads-simd.ts', import.meta.url))], {
      encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(child.status, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { heapBuild: string; threadBuilds: string[]; results: { name: string; threads: number; equal: boolean }[] };
    expect(report.heapBuild).toBe('simd');
    expect(report.threadBuilds).toEqual(['simd']);
    expect(report.results).toHaveLength(2 * THREAD_CASES.length);
    for (const r of report.results) expect(r.equal, `${r.threads} threads, ${r.name}`).toBe(true);
  });
});
