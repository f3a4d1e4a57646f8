import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18 } from '@medxfer/models';
import { Adam, WeightAverage } from '@medxfer/train';
import { kernelsOn, wasmKernelsAvailable } from '../src/optim/kernels/wasm-kernels.js';
import { useBackend } from '../../../test-support/backend.js';

/** A seeded sequence of floats (xorshift), so both backends see the same values. */
function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
}

/** Four Adam steps of a [7, 5, 3] parameter (105 values: SIMD body and scalar tail) on `backend`; the parameter and both moments after each step. */
async function run(backend: 'cpu' | 'wasm', decoupled: boolean, weightDecay: number): Promise<Float32Array[]> {
  await useBackend(backend);
  const shape = [7, 5, 3];
  const p = tf.variable(tf.tensor(values(105, 1, 2), shape));
  const optimizer = new Adam({ decoupled });
  const out: Float32Array[] = [];
  for (let step = 0; step < 4; step++) {
    const g = tf.tensor(values(105, 10 + step, step === 2 ? 1e-6 : 0.5), shape);
    optimizer.apply(new Map([['w', p]]), { w: g }, () => ({ lr: 0.01 * (step + 1), weightDecay }));
    g.dispose();
    const state = (await optimizer.getState()).params.w!;
    out.push(p.dataSync() as Float32Array, state.slots.exp_avg!.data as Float32Array, state.slots.exp_avg_sq!.data as Float32Array);
  }
  optimizer.dispose();
  p.dispose();
  return out;
}

describe('fused optimiser kernels (wasm SIMD)', () => {
  it('is used on the wasm backend', async () => {
    await useBackend('wasm');
    expect(wasmKernelsAvailable()).toBe(true);
    await useBackend('cpu');
    expect(wasmKernelsAvailable()).toBe(false);
  });

  for (const [decoupled, wd] of [[false, 0], [false, 0.1], [true, 0.05]] as const) {
    it(`gives the op path's bits (${decoupled ? 'AdamW' : 'Adam'}, weight decay ${wd})`, async () => {
      // cpu runs the tensor-op path with float32 rounding after every op: the kernel must equal it exactly.
      const fused = await run('wasm', decoupled, wd);
      const ops = await run('cpu', decoupled, wd);
      for (let i = 0; i < ops.length; i++) expect(Array.from(fused[i]!), `array ${i}`).toEqual(Array.from(ops[i]!));
    });
  }

  it('the EMA kernel gives the op path\'s bits', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const model = new ResNet18({ numClasses: 2, input: 'single', seed: 8 });
      const average = new WeightAverage(model, 0.97);
      for (let step = 0; step < 3; step++) {
        // Move every variable so the average has something to follow.
        for (const v of model.allVariables().values()) tf.tidy(() => v.assign(tf.add(tf.mul(v, 0.9), 0.01 * (step + 1))));
        average.update();
      }
      const out = [...(await average.snapshot()).values()].map((s) => s.data);
      average.dispose();
      model.dispose();
      return out;
    };
    const fused = await run('wasm');
    const ops = await run('cpu');
    expect(fused).toHaveLength(102);
    fused.forEach((a, k) => expect(Array.from(a), `variable ${k}`).toEqual(Array.from(ops[k]!)));
  });

  it("the shared-memory build (tfjs-wasm's threaded build, in cross-origin isolated pages) computes the same bits", () => {
    const n = 1003;
    const run = (memory: WebAssembly.Memory) => {
      const kernels = kernelsOn(memory)!;
      expect(kernels, 'instantiated').not.toBeNull();
      const heap = new Float32Array(memory.buffer);
      // p, g, m, v, then outputs p', m', v', then the EMA output: 8 arrays of n floats from byte 1024.
      const at = (k: number) => 1024 + k * n * 4;
      [values(n, 1, 2), values(n, 2, 0.5), values(n, 3, 0.1), values(n, 4, 0.01).map(Math.abs)].forEach((a, k) => heap.set(a, at(k) / 4));
      kernels.adam(at(0), at(1), at(2), at(3), at(4), at(5), at(6), n, 0.9, 0.1, 0.999, 0.001, 0.05, 1e-8, 0.011, 0.9995, 0);
      kernels.ema(at(0), at(4), at(7), n, 0.98, 0.02);
      return Array.from(new Float32Array(memory.buffer, at(4), 4 * n));
    };
    const plain = run(new WebAssembly.Memory({ initial: 2 }));
    const shared = run(new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true }));
    expect(shared).toEqual(plain);
    expect(plain.some((v, i) => v !== 0 && i >= 3 * n), 'the EMA output was written').toBe(true);
  });

  it('names the problem when shapes disagree', async () => {
    await useBackend('wasm');
    wasmKernelsAvailable();
    const p = tf.zeros([4]);
    const g = tf.zeros([5]);
    expect(() => tf.engine().runKernel('MedxferAdam', { p, g, m: p, v: p }, {})).toThrow(/of one shape/);
    tf.dispose([p, g]);
  });
});
