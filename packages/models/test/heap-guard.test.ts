// tfjs-wasm's heap stops at 4 GiB; there its `_malloc` returns 0 and tfjs would write the tensor from address 0.
// Here the heap is really filled (about 4 GiB of memory for this test's process): a failed allocation in tfjs's
// own Fill and in medxfer's convolution kernel is a WasmOutOfMemoryError, nothing is written at offset 0, and the
// backend computes correctly once memory is freed.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, useMedxferKernels, WASM_HEAP_LIMIT, wasmHeapUsage, WasmOutOfMemoryError } from '@medxfer/models';

const heapBytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;

/** Holds float32 tensors of `elements` until one cannot be allocated (at most 1000); returns that error. */
function fillHeap(elements: number, held: tf.Tensor[]): unknown {
  for (let i = 0; i < 1000; i++) {
    try {
      held.push(tf.fill([elements], 7, 'float32'));
    } catch (error) {
      return error;
    }
  }
  return undefined;
}

async function convOnCpu(x: tf.Tensor4D, w: tf.Tensor4D): Promise<Float32Array> {
  const [xs, ws] = [x.arraySync(), w.arraySync()];
  await tf.setBackend('cpu');
  const out = tf.tidy(() => tf.conv2d(tf.tensor4d(xs), tf.tensor4d(ws), 1, 'same').dataSync().slice() as Float32Array);
  await tf.setBackend('wasm');
  return out;
}

describe('the wasm heap guard', () => {
  it('turns failed allocations into WasmOutOfMemoryError, writes nothing at offset 0, and the backend recovers', async () => {
    setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(useMedxferKernels()).toBe(true);
    const x = tf.randomUniform([2, 32, 32, 8], -1, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 8, 16], -1, 1, 'float32', 4) as tf.Tensor4D;
    const expected = await convOnCpu(x, w);
    const start = heapBytes().slice(0, 4096);

    const held: tf.Tensor[] = [];
    // 256 MiB tensors up to the limit, then 1 MiB, then 4 KiB ones: the heap is left with less than 4 KiB free.
    const big = fillHeap(2 ** 26, held);
    expect(big).toBeInstanceOf(WasmOutOfMemoryError);
    expect((big as WasmOutOfMemoryError).requestedBytes).toBe(2 ** 28);
    expect((big as WasmOutOfMemoryError).message).toMatch(/out of memory: the wasm backend needed 256\.0 MiB more with .* in use, past its 4 GiB heap; use a smaller --micro-batch/);
    expect(fillHeap(2 ** 18, held)).toBeInstanceOf(WasmOutOfMemoryError);
    expect(fillHeap(2 ** 10, held)).toBeInstanceOf(WasmOutOfMemoryError);
    expect(heapBytes().length).toBeGreaterThan(WASM_HEAP_LIMIT - 2 ** 28);
    expect(wasmHeapUsage()!.inUseBytes).toBeGreaterThan(WASM_HEAP_LIMIT - 2 ** 27);

    // medxfer's convolution kernel: its 64 KiB output cannot be had.
    const before = tf.memory().numTensors;
    expect(() => conv2d(x, w, { stride: 1, pad: 1, inputGrad: false })).toThrow(WasmOutOfMemoryError);
    expect(tf.memory().numTensors).toBe(before);
    // Before the guard, tfjs wrote these tensors' sevens from address 0.
    expect(Buffer.from(heapBytes().subarray(0, 4096)).equals(Buffer.from(start))).toBe(true);

    tf.dispose(held);
    const y = conv2d(x, w, { stride: 1, pad: 1, inputGrad: false });
    const got = y.dataSync();
    expected.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-4 * (1 + Math.abs(v))));
    tf.dispose([x, w, y]);
  });
});
