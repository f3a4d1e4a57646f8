import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '@medxfer/train';
import { adamKernelAvailable } from '../src/optim/kernels/adam-wasm.js';
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
    const state = optimizer.getState().params.w!;
    out.push(p.dataSync() as Float32Array, state.slots.exp_avg!.data as Float32Array, state.slots.exp_avg_sq!.data as Float32Array);
  }
  optimizer.dispose();
  p.dispose();
  return out;
}

describe('fused Adam kernel (wasm SIMD)', () => {
  it('is used on the wasm backend', async () => {
    await useBackend('wasm');
    expect(adamKernelAvailable()).toBe(true);
    await useBackend('cpu');
    expect(adamKernelAvailable()).toBe(false);
  });

  for (const [decoupled, wd] of [[false, 0], [false, 0.1], [true, 0.05]] as const) {
    it(`gives the op path's bits (${decoupled ? 'AdamW' : 'Adam'}, weight decay ${wd})`, async () => {
      // cpu runs the tensor-op path with float32 rounding after every op: the kernel must equal it exactly.
      const fused = await run('wasm', decoupled, wd);
      const ops = await run('cpu', decoupled, wd);
      for (let i = 0; i < ops.length; i++) expect(Array.from(fused[i]!), `array ${i}`).toEqual(Array.from(ops[i]!));
    });
  }

  it('names the problem when shapes disagree', async () => {
    await useBackend('wasm');
    adamKernelAvailable();
    const p = tf.zeros([4]);
    const g = tf.zeros([5]);
    expect(() => tf.engine().runKernel('MedxferAdam', { p, g, m: p, v: p }, {})).toThrow(/one shape/);
    tf.dispose([p, g]);
  });
});
