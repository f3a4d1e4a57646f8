import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18, batchNorm, useMedxferKernels, relu, releaseWasmKernelCaches, wasmKernelsBuild, type BatchNormParams } from '@medxfer/models';
import { LAYERS, type LayerExports } from '../src/wasm/layers-module.js';
import { fusedConvAdd } from '../src/ops/fused-conv-add.js';
import { useBackend } from '../../../test-support/backend.js';

// medxfer's WebAssembly kernels on tfjs-wasm (src/wasm) against tfjs-cpu's own kernels: data movement and
// max-pool's gradient must give the same bits, BatchNorm the same values to float32 rounding.

/** Runs `f` on the cpu backend and on wasm with medxfer's kernels installed; returns both results' data. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: tf.TypedArray[]; wasm: tf.TypedArray[] }> {
  const run = () => {
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    const data = list.map((t) => t.dataSync().slice());
    tf.dispose(list);
    return data;
  };
  await useBackend('cpu');
  const cpu = run();
  await useBackend('wasm');
  expect(useMedxferKernels()).toBe(true);
  const wasm = run();
  return { cpu, wasm };
}

const sequence = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (dtype === 'int32' ? i - 7 : Math.sin(i) * 3)), shape, dtype);

describe('wasm layout kernels (Slice, StridedSlice, Transpose, Reverse) give tfjs-cpu\'s bits', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => useBackend('cpu'));

  it('reports that it is not installed on other backends', async () => {
    await useBackend('cpu');
    expect(useMedxferKernels()).toBe(false);
  });

  const cases: [string, () => tf.Tensor][] = [
    ['slice inner window', () => tf.slice(sequence([3, 6, 5, 4]), [1, 2, 1, 0], [2, 3, 3, 4])],
    ['slice inner channels', () => tf.slice(sequence([2, 4, 4, 8]), [0, 1, 0, 3], [2, 2, 4, 5])],
    ['slice int32', () => tf.slice(sequence([5, 7], 'int32'), [1, 2], [3, 4])],
    ['strided slice stride 2 (stem taps)', () => tf.stridedSlice(sequence([1, 3, 17, 17]), [0, 0, 2, 1], [1, 3, 15, 16], [1, 1, 2, 2])],
    ['strided slice negative stride', () => tf.stridedSlice(sequence([4, 6, 3]), [3, 5, 0], [0, 0, 3], [-1, -2, 1])],
    ['strided slice masks and shrink', () => tf.stridedSlice(sequence([4, 6, 5, 2]), [1, 0, 2, 1], [3, 0, 5, 0], [1, 1, 2, 1], 2, 2, 0, 0, 8)],
    ['strided slice of a filter centre', () => tf.stridedSlice(sequence([3, 3, 8, 12]), [1, 1, 0, 0], [2, 2, 8, 12], [1, 1, 1, 1])],
    ['transpose 0,1,3,2 (filter in/out swap)', () => tf.transpose(sequence([3, 3, 5, 7]), [0, 1, 3, 2])],
    ['transpose 3,1,2,0 (batch to channels)', () => tf.transpose(sequence([4, 5, 5, 6]), [3, 1, 2, 0])],
    ['transpose 1,2,0,3', () => tf.transpose(sequence([5, 3, 3, 6]), [1, 2, 0, 3])],
    ['transpose 0,1,3,2 in 4×4 tiles', () => tf.transpose(sequence([3, 3, 8, 12]), [0, 1, 3, 2])],
    ['transpose 3,1,2,0 in 4×4 tiles', () => tf.transpose(sequence([8, 4, 4, 16]), [3, 1, 2, 0])],
    ['transpose 3,2,1,0 in 4×4 tiles (outermost axis contiguous)', () => tf.transpose(sequence([4, 2, 3, 8]), [3, 2, 1, 0])],
    ['transpose 2-D in 4×4 tiles', () => tf.transpose(sequence([12, 8], 'int32'))],
    ['transpose 2-D', () => tf.transpose(sequence([9, 13]))],
    ['transpose 5-D that merges to 4', () => tf.transpose(sequence([2, 3, 4, 5, 6]), [0, 1, 4, 2, 3])],
    ['transpose 6-D (falls back to tfjs)', () => tf.transpose(sequence([2, 2, 3, 2, 3, 2]), [5, 3, 1, 4, 2, 0])],
    ['reverse spatial', () => tf.reverse(sequence([2, 4, 5, 3]), [1, 2])],
    ['reverse filter taps', () => tf.reverse(sequence([3, 3, 4, 6]), [0, 1])],
    ['reverse every axis, int32', () => tf.reverse(sequence([3, 4, 5], 'int32'))],
  ];
  for (const [name, f] of cases) {
    it(name, async () => {
      const { cpu, wasm } = await onBoth(f);
      expect(Array.from(wasm[0]!)).toEqual(Array.from(cpu[0]!));
    });
  }
});

describe('wasm MaxPoolGrad', () => {
  afterAll(() => useBackend('cpu'));
  for (const [name, shape, size, stride, pad] of [
    ['ResNet stem pool (3×3, stride 2, pad 1) with ties', [2, 9, 9, 8], 3, 2, 'same'],
    ['2×2 valid, odd size', [1, 7, 5, 3], 2, 2, 'valid'],
    ['ResNet pool at 28 px, explicit pad', [2, 14, 14, 4], 3, 2, 1],
  ] as const) {
    it(name, async () => {
      // Small integers: many windows hold several equal maxima, so the tie rule is exercised.
      const x = () => tf.round(tf.mul(sequence([...shape]), 0.7));
      const { cpu, wasm } = await onBoth(() => {
        const probe = tf.randomNormal(tf.maxPool(x() as tf.Tensor4D, size, stride, pad).shape, 0, 1, 'float32', 5);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), probe)))(x());
      });
      // The same input receives each gradient (same zeros); where overlapping windows pick one input, the
      // sum's order may differ from tfjs-cpu's, so values agree to float32 rounding.
      const ours = Array.from(wasm[0]!);
      const ref = Array.from(cpu[0]!);
      expect(ours.map((v) => v === 0)).toEqual(ref.map((v) => v === 0));
      ref.forEach((r, i) => expect(Math.abs(ours[i]! - r)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(r))));
    });
  }
});

describe('wasm BatchNorm training kernels', () => {
  afterAll(() => useBackend('cpu'));
  it('match the tensor-op path in output, gradients and running statistics', async () => {
    const shape = [3, 6, 5, 16];
    const results: Record<string, tf.TypedArray[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 40) as tf.Tensor4D;
      const p: BatchNormParams = {
        gamma: tf.randomNormal([16], 1, 0.3, 'float32', 2) as tf.Tensor1D,
        beta: tf.randomNormal([16], 0, 0.3, 'float32', 3) as tf.Tensor1D,
        runningMean: tf.variable(tf.zeros([16])),
        runningVar: tf.variable(tf.ones([16])),
      };
      const probe = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const y = batchNorm(x, p, 'train', true);
      const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(batchNorm(a as tf.Tensor4D, { ...p, gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D }, 'train', false), probe)),
      )([x, p.gamma, p.beta]);
      results[backend] = [y, dx!, dGamma!, dBeta!, p.runningMean, p.runningVar].map((t) => t.dataSync().slice());
      tf.dispose([x, p.gamma, p.beta, p.runningMean, p.runningVar, probe, y, dx!, dGamma!, dBeta!]);
    }
    const names = ['y', 'dx', 'dGamma', 'dBeta', 'runningMean', 'runningVar'];
    results.cpu!.forEach((ref, k) => {
      const ours = results.wasm![k]!;
      const scale = Math.max(...Array.from(ref, Math.abs));
      const worst = Math.max(...Array.from(ref, (r, i) => Math.abs(r - ours[i]!)));
      expect(worst / scale, names[k]).toBeLessThan(2e-5);
    });
  });
});

describe("tfjs's own conv2d and its gradients on wasm with medxfer's convolution kernels", () => {
  afterAll(() => useBackend('cpu'));
  // Conv2D and Conv2DBackpropInput are replaced where channels allow (else tfjs-wasm's run), Conv2DBackpropFilter
  // is added (tfjs-wasm has none; output channels that are not a multiple of 8 are zero-padded).
  for (const [xs, ws, stride, pad] of [
    [[2, 9, 9, 3], [3, 3, 3, 10], 1, 'same'],
    [[2, 8, 8, 16], [3, 3, 16, 24], 2, 'same'],
    [[3, 7, 7, 8], [1, 1, 8, 16], 2, 'valid'],
    [[1, 5, 6, 8], [5, 3, 8, 8], 1, 'valid'],
    [[5, 2, 2, 16], [3, 3, 16, 16], 1, 1],
    [[2, 3, 3, 8], [3, 3, 8, 16], 2, 1],
    [[2, 11, 11, 1], [7, 7, 1, 8], 2, 3],
    // Winograd (F(4×4) forward and dx, F(2×2) dw): odd and even maps, 4×4 the smallest, more tiles than one block
    // (32 forward, 64 for dw).
    [[2, 9, 7, 8], [3, 3, 8, 16], 1, 1],
    [[3, 4, 4, 16], [3, 3, 16, 8], 1, 'same'],
    [[3, 12, 13, 8], [3, 3, 8, 8], 1, 1],
  ] as const) {
    it(`x ${xs} w ${ws} stride ${stride} pad ${pad}`, async () => {
      const { cpu, wasm } = await onBoth(() => {
        const x = tf.randomNormal([...xs], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([...ws], 0, 1, 'float32', 2) as tf.Tensor4D;
        const y = tf.conv2d(x, w, stride, pad);
        const probe = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), probe)))([x, w]);
        return [y, dx!, dw!];
      });
      ['y', 'dx', 'dw'].forEach((name, k) => {
        const ref = cpu[k]!;
        const scale = Math.max(...Array.from(ref, Math.abs));
        const worst = Math.max(...Array.from(ref, (r, i) => Math.abs(r - wasm[k]![i]!)));
        expect(worst / scale, name).toBeLessThan(1e-5);
      });
    });
  }
});

describe('Winograd (F(4×4, 3×3) forward and dx, F(2×2, 3×3) dw; map2Conv on 2×2 maps) against direct convolution on wasm', () => {
  afterAll(async () => {
    useMedxferKernels({ winograd: true });
    await useBackend('cpu');
  });
  // Both run on wasm; off, every convolution is direct. The transforms change rounding only.
  const run = (winograd: boolean, [n, h, w, ci, co]: number[]) => {
    useMedxferKernels({ winograd });
    return tf.tidy(() => {
      const x = tf.randomNormal([n!, h!, w!, ci!], 0, 1, 'float32', 21) as tf.Tensor4D;
      const filter = tf.randomNormal([3, 3, ci!, co!], 0, 0.1, 'float32', 22) as tf.Tensor4D;
      const bias = tf.randomNormal([co!], 0, 1, 'float32', 23);
      const probe = tf.randomNormal([n!, h!, w!, co!], 0, 1, 'float32', 24);
      const fused = tf.fused.conv2d({ x, filter, strides: 1, pad: 1, bias, activation: 'relu' });
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1), probe)))([x, filter]);
      return [fused, dx!, dw!].map((t) => t.dataSync().slice());
    });
  };
  for (const [name, shape, transformed] of [
    ['14×9 maps: F(4×4) forward and dx, F(2×2) dw', [4, 14, 9, 32, 64], ['fused conv2d', 'dx', 'dw']],
    ['2×2 maps: map2Conv forward and dx (dw stays direct)', [5, 2, 2, 64, 32], ['fused conv2d', 'dx']],
  ] as const) {
    it(`${name}: direct convolution's values to float32 rounding (forward with bias and ReLU, both gradients)`, async () => {
      await useBackend('wasm');
      const direct = run(false, [...shape]);
      const fast = run(true, [...shape]);
      ['fused conv2d', 'dx', 'dw'].forEach((what, k) => {
        const ref = direct[k]!;
        const scale = Math.max(...Array.from(ref, Math.abs));
        const worst = Math.max(...Array.from(ref, (r, i) => Math.abs(r - fast[k]![i]!)));
        // The two paths really differ where a transform ran, and are the same kernel elsewhere.
        if ((transformed as readonly string[]).includes(what)) expect(worst, what).toBeGreaterThan(0);
        else expect(worst, what).toBe(0);
        expect(worst / scale, what).toBeLessThan(1e-5);
      });
    });
  }
});

describe('the two builds of the layer kernels', () => {
  it('runs the relaxed-SIMD build where the runtime has it, and it agrees with the multiply-then-add build (direct, Winograd and map2Conv)', async () => {
    await useBackend('wasm');
    useMedxferKernels();
    // The suite runs with relaxed SIMD on (vitest.config.ts), as the CLI does.
    expect(wasmKernelsBuild()).toBe('relaxed-simd');
    // Both builds on one fresh memory, the same convolution.
    const memory = new WebAssembly.Memory({ initial: 64 });
    const build = (base64: string) => new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))), { env: { memory } }).exports as unknown as LayerExports;
    const relaxed = build(LAYERS.relaxed!);
    const plain = build(LAYERS.plain);
    const [n, h, w, ci, co, k] = [4, 6, 6, 16, 16, 3];
    const heap = new Float32Array(memory.buffer);
    const xAt = 0, fAt = n * h * w * ci, yAt = fAt + k * k * ci * co, y2At = yAt + n * h * w * co, tapsAt = y2At + n * h * w * co;
    for (let i = 0; i < tapsAt; i++) heap[i] = Math.sin(i * 0.37);
    relaxed.convDirect(4 * xAt, 4 * fAt, 4 * yAt, n, h, w, ci, h, w, co, k, k, 1, 1, 1, 1, 1, 1, 4 * tapsAt, 0, 0, 0, 0);
    plain.convDirect(4 * xAt, 4 * fAt, 4 * y2At, n, h, w, ci, h, w, co, k, k, 1, 1, 1, 1, 1, 1, 4 * tapsAt, 0, 0, 0, 0);
    const fused = heap.slice(yAt, y2At);
    const separate = heap.slice(y2At, tapsAt);
    const scale = Math.max(...Array.from(separate, Math.abs));
    const worst = Math.max(...Array.from(separate, (v, i) => Math.abs(v - fused[i]!)));
    expect(scale).toBeGreaterThan(1);
    expect(worst / scale).toBeLessThan(1e-5);
    // Winograd F(4×4) (winograd4Filter + winograd4Conv, the HWIO filter, 16 tiles in blocks of 8) on both builds.
    const uAt = tapsAt + 64, scratchAt = uAt + 36 * ci * co, wAt = scratchAt + 36 * (8 * (ci + co) + 32) + 2400, w2At = wAt + n * h * w * co;
    for (const [kernels, out] of [[relaxed, wAt], [plain, w2At]] as const) {
      kernels.winograd4Filter(4 * fAt, 4 * uAt, ci, co, 4 * scratchAt);
      kernels.winograd4Conv(4 * xAt, 4 * uAt, 4 * out, n, h, w, ci, co, 0, 0, 4 * scratchAt, 8, 0, 0);
    }
    const wFused = heap.slice(wAt, w2At), wSeparate = heap.slice(w2At, w2At + n * h * w * co);
    const wScale = Math.max(...Array.from(wSeparate, Math.abs));
    expect(wScale).toBeGreaterThan(1);
    expect(Math.max(...Array.from(wSeparate, (v, i) => Math.abs(v - wFused[i]!))) / wScale).toBeLessThan(1e-5);
    // map2Conv (map2Filter + map2Conv: the first 2×2 corner of each image as a 2×2 map) on both builds.
    const m2At = w2At + n * h * w * co, m2Out = m2At + 4 * n * ci, m2Out2 = m2Out + 4 * n * co, m2U = m2Out2 + 4 * n * co, m2Scratch = m2U + 9 * ci * co;
    for (let b = 0; b < n; b++) for (let p = 0; p < 4; p++) heap.set(heap.subarray(xAt + ((b * h + (p >> 1)) * w + (p & 1)) * ci, xAt + ((b * h + (p >> 1)) * w + (p & 1) + 1) * ci), m2At + (b * 4 + p) * ci);
    for (const [kernels, out] of [[relaxed, m2Out], [plain, m2Out2]] as const) {
      kernels.map2Filter(4 * fAt, 4 * m2U, ci, co, 4 * m2Scratch);
      kernels.map2Conv(4 * m2At, 4 * m2U, 4 * out, n, ci, co, 0, 0, 4 * m2Scratch, 8, 0, 0);
    }
    const mFused = heap.slice(m2Out, m2Out2), mSeparate = heap.slice(m2Out2, m2U);
    const mScale = Math.max(...Array.from(mSeparate, Math.abs));
    expect(mScale).toBeGreaterThan(1);
    expect(Math.max(...Array.from(mSeparate, (v, i) => Math.abs(v - mFused[i]!))) / mScale).toBeLessThan(1e-5);
    await useBackend('cpu');
  });
});

describe('FusedConv2D on wasm (bias, ReLU; filter panels kept between calls)', () => {
  afterAll(() => useBackend('cpu'));
  it('matches tfjs-cpu call after call, when the input size changes the live taps, and after the filter is replaced', async () => {
    const run = () => {
      const outputs: tf.Tensor[] = [];
      const bias = tf.randomNormal([16], 0, 1, 'float32', 9);
      let filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 4);
      for (const [size, seed] of [[7, 1], [7, 2], [1, 3], [2, 5]] as const) {
        const x = tf.randomNormal([3, size, size, 8], 0, 1, 'float32', seed) as tf.Tensor4D;
        outputs.push(tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, strides: 1, pad: 1, bias, activation: 'relu' }));
        x.dispose();
      }
      // The same data as another filter shape (a reshape shares it): panels must not be mistaken for the old ones.
      const flat = tf.reshape(tf.slice(filter, [0, 0, 0, 0], [1, 1, 8, 16]), [1, 1, 16, 8]) as tf.Tensor4D;
      const square = tf.reshape(flat, [1, 1, 8, 16]) as tf.Tensor4D;
      const x16 = tf.randomNormal([3, 5, 5, 16], 0, 1, 'float32', 13) as tf.Tensor4D;
      const x8 = tf.randomNormal([3, 5, 5, 8], 0, 1, 'float32', 14) as tf.Tensor4D;
      outputs.push(tf.fused.conv2d({ x: x8, filter: square, strides: 1, pad: 0, bias }));
      outputs.push(tf.fused.conv2d({ x: x16, filter: flat, strides: 1, pad: 0, bias: tf.slice(bias, [0], [8]) }));
      tf.dispose([flat, square, x16, x8]);
      filter.dispose();
      filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 6);
      const x = tf.randomNormal([3, 7, 7, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
      outputs.push(tf.fused.conv2d({ x, filter: filter as tf.Tensor4D, strides: 1, pad: 1, bias }));
      tf.dispose([x, filter, bias]);
      return outputs;
    };
    const { cpu, wasm } = await onBoth(run);
    expect(wasm.length).toBe(7);
    cpu.forEach((ref, k) => {
      const scale = Math.max(...Array.from(ref, Math.abs));
      const worst = Math.max(...Array.from(ref, (r, i) => Math.abs(r - wasm[k]![i]!)));
      expect(worst / scale, `call ${k}`).toBeLessThan(1e-5);
    });
  });
});

describe('MedxferFusedConv2DAdd on wasm (a convolution with bias, residual or position bias, and ReLU as one kernel)', () => {
  afterAll(() => useBackend('cpu'));
  // [name, images, side, in, out, kernel, stride, pad, addend per image, bias, ReLU]: each path of the kernels.
  const cases: [string, number, number, number, number, number, number, number, boolean, boolean, boolean][] = [
    ['3×3 stride 1 on 9×9 (Winograd), residual, bias, ReLU', 5, 9, 8, 16, 3, 1, 1, true, true, true],
    ['3×3 stride 1 on 8×8 (Winograd), position bias, no bias, linear', 3, 8, 16, 8, 3, 1, 1, false, false, false],
    ['3×3 stride 2 (direct), residual, bias, ReLU', 5, 9, 16, 24, 3, 2, 1, true, true, true],
    ['3×3 on a 2×2 map (map2Conv), residual, ReLU', 6, 2, 16, 16, 3, 1, 1, true, true, true],
    ['7×7 stride 2 stem on 1 channel, position bias, ReLU (the folded grey stem)', 5, 12, 1, 16, 7, 2, 3, false, false, true],
    ['one image, residual', 1, 6, 8, 8, 3, 1, 1, true, true, true],
  ];
  for (const [name, n, side, ci, co, k, stride, pad, perImage, withBias, relu] of cases) {
    it(`${name}: the bits of FusedConv2D, Add and Relu in turn, and tfjs-cpu's values`, async () => {
      const operands = () => {
        const x = tf.randomNormal([n, side, side, ci], 0, 1, 'float32', 1) as tf.Tensor4D;
        const filter = tf.randomNormal([k, k, ci, co], 0, 0.3, 'float32', 2) as tf.Tensor4D;
        const bias = withBias ? (tf.randomNormal([co], 0, 1, 'float32', 3) as tf.Tensor1D) : undefined;
        const out = tf.conv2d(x, filter, stride, pad).shape;
        const addend = tf.randomNormal([perImage ? n : 1, out[1], out[2], co], 0, 1, 'float32', 4) as tf.Tensor4D;
        return { x, filter, bias, addend };
      };
      const separate = () => {
        const { x, filter, bias, addend } = operands();
        const sum = tf.add(tf.fused.conv2d({ x, filter, strides: stride, pad, ...(bias ? { bias } : {}) }), addend);
        return relu ? tf.relu(sum) : sum;
      };
      const { cpu, wasm } = await onBoth(() => {
        if (tf.getBackend() === 'cpu') return separate();
        const { x, filter, bias, addend } = operands();
        const fused = fusedConvAdd(x, filter, addend, { stride, pad }, { ...(bias ? { bias } : {}), relu });
        expect(fused, 'the one-kernel path ran').toBeDefined();
        return [fused!, separate()];
      });
      const [fused, steps] = wasm.map((a) => Array.from(a!, (v) => v + 0));
      expect(fused).toEqual(steps);
      expect(fused!.some((v) => v < 0), 'the addend is really added (a ReLU output has no negatives)').toBe(!relu);
      const ref = cpu[0]!;
      const scale = Math.max(...Array.from(ref, Math.abs));
      expect(Math.max(...Array.from(ref, (r, i) => Math.abs(r - fused![i]!))) / scale).toBeLessThan(1e-5);
    });
  }

  it('leaves to the caller what it does not take: other backends, out channels not a multiple of 8, an addend of another shape', async () => {
    const x = () => tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = (co: number) => tf.randomNormal([3, 3, 8, co], 0, 1, 'float32', 2) as tf.Tensor4D;
    await useBackend('cpu');
    expect(fusedConvAdd(x(), filter(8), tf.zeros([2, 6, 6, 8]) as tf.Tensor4D, { stride: 1, pad: 1 }, { relu: true })).toBeUndefined();
    await useBackend('wasm');
    expect(fusedConvAdd(x(), filter(12), tf.zeros([2, 6, 6, 12]) as tf.Tensor4D, { stride: 1, pad: 1 }, { relu: true })).toBeUndefined();
    expect(fusedConvAdd(x(), filter(8), tf.zeros([2, 6, 6, 1]) as tf.Tensor4D, { stride: 1, pad: 1 }, { relu: true })).toBeUndefined();
    expect(fusedConvAdd(x(), filter(8), tf.zeros([2, 6, 6, 8]) as tf.Tensor4D, { stride: 1, pad: 1 }, { relu: true })?.shape).toEqual([2, 6, 6, 8]);
    expect(() => tf.engine().runKernel('MedxferFusedConv2DAdd', { x: x(), filter: filter(8), addend: tf.zeros([3, 6, 6, 8]) }, { strides: 1, pad: 1, activation: 'relu' }))
      .toThrow(/MedxferFusedConv2DAdd: unsupported x \[2,6,6,8\], filter \[3,3,8,8\], addend \[3,6,6,8\]/);
  });
});

describe("medxfer's relu on wasm (gradient in one pass)", () => {
  afterAll(() => useBackend('cpu'));
  it("gives tfjs-cpu's tf.relu values and gradient, zeros and odd sizes included", async () => {
    const { cpu, wasm } = await onBoth(() => {
      const x = tf.concat([tf.reshape(tf.randomNormal([3, 5, 7, 3], 0, 1, 'float32', 11), [-1]), tf.zeros([5])]);
      const probe = tf.randomNormal(x.shape, 0, 1, 'float32', 12);
      const fn = tf.getBackend() === 'wasm' ? relu : tf.relu;
      return [fn(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(fn(a), probe)))(x)];
    });
    expect(Array.from(wasm[0]!)).toEqual(Array.from(cpu[0]!));
    expect(Array.from(wasm[1]!).map((v) => v + 0)).toEqual(Array.from(cpu[1]!).map((v) => v + 0));
  });
});

describe('what the wasm kernels keep', () => {
  afterAll(() => useBackend('cpu'));
  it('frees the folded filters and their packed panels with releaseFoldedWeights()', async () => {
    await useBackend('wasm');
    const model = new ResNet18({ numClasses: 2, input: 'grey', seed: 1 });
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    releaseWasmKernelCaches(); // what earlier tests left for their disposed filters
    const before = backend.numDataIds();
    model.predict(x).dispose();
    expect(backend.numDataIds(), 'folded filters, shifts and FusedConv2D panels are kept').toBeGreaterThan(before + 20);
    model.releaseFoldedWeights();
    expect(backend.numDataIds()).toBe(before);
    tf.dispose(x);
    model.dispose();
  });
});
