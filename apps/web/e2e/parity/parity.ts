// Backend parity in the browser, driven by e2e/backends.mjs: ResNet18 on each tfjs backend against PyTorch's
// logits (forward, BatchNorm folded or not) and against tfjs's cpu backend (gradients of a train-mode step, an
// Adam step, Grad-CAM), which gives PyTorch's gradients on this input. Gradients are compared as vectors
// (relative L2 error), not element by element: where a ReLU's input is within rounding of 0 (here one of
// layer3.1's, +5.6e-6 in float64) backends may legitimately take either side of the kink.
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@medxfer/data';
import { gradCam, loadStateDict, readCheckpoint, ResNet18, useMedxferKernels } from '@medxfer/models';
import { Adam, crossEntropy } from '@medxfer/train';
import { LOADERS } from '../../src/backends.js';

const fixture = async (name: string) => new Uint8Array(await (await fetch(`fixtures/${name}`)).arrayBuffer());

async function npy(name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const a = readNpy(await fixture(name), name);
  return { data: a.data as Float32Array, shape: [...a.shape] };
}

/** NCHW (PyTorch's layout) to an NHWC tensor. */
function nhwc({ data, shape }: { data: Float32Array; shape: number[] }): tf.Tensor4D {
  const [n, c, h, w] = shape as [number, number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [n, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D);
}

/** max |a − b| / (atol + rtol·|b|): ≤ 1 means within tolerance. */
function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (atol + rtol * Math.abs(b[i]!)));
  return worst;
}

/** ‖a − b‖ / ‖b‖ over every tensor together (optionally only the elements `only` keeps), and the worst tensor's. */
function relativeL2(a: Map<string, Float32Array>, b: Map<string, Float32Array>, only?: (name: string, k: number) => boolean): { all: number; worst: number; name: string } {
  let diff = 0;
  let norm = 0;
  let worst = { worst: 0, name: '' };
  for (const [name, ref] of b) {
    const ours = a.get(name)!;
    let d = 0;
    let r = 0;
    for (let k = 0; k < ref.length; k++) {
      if (only && !only(name, k)) continue;
      d += (ours[k]! - ref[k]!) ** 2;
      r += ref[k]! ** 2;
    }
    diff += d;
    norm += r;
    const ratio = r > 0 ? Math.sqrt(d / r) : Math.sqrt(d);
    if (ratio > worst.worst || Number.isNaN(ratio)) worst = { worst: ratio, name };
  }
  return { all: Math.sqrt(diff / norm), ...worst };
}

interface BackendRun {
  forward: Record<string, number>;
  grads: Map<string, Float32Array>;
  loss: number;
  /** The Adam step's change of each weight. */
  stepped: Map<string, Float32Array>;
  cam: Float32Array;
  seconds: number;
  /** Seconds per stage, in order (where a slow backend spends its time). */
  stages: Record<string, number>;
}

async function runOn(backend: string, state: ReturnType<typeof readCheckpoint>): Promise<BackendRun> {
  const t0 = performance.now();
  const stages: Record<string, number> = {};
  let last = t0;
  const stage = (name: string) => {
    const now = performance.now();
    stages[name] = Math.round((now - last) / 100) / 10;
    last = now;
  };
  await LOADERS[backend]!();
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not initialise`);
  await tf.ready();
  if (backend === 'wasm') useMedxferKernels();
  const model = new ResNet18();
  loadStateDict(model, state);
  const forward: Record<string, number> = {};
  const x64 = nhwc(await npy('resnet18-random-seed0.input-64.npy'));
  for (const size of [28, 64]) {
    const x = nhwc(await npy(`resnet18-random-seed0.input-${size}.npy`));
    const ref = (await npy(`resnet18-random-seed0.logits-${size}.npy`)).data;
    forward[`folded ${size}`] = worstRatio(await model.predict(x).data(), ref, 1e-4, 1e-4);
    forward[`unfolded ${size}`] = worstRatio(await tf.tidy(() => model.apply(x)).data(), ref, 1e-4, 1e-4);
    tf.dispose(x);
    stage(`forward ${size}`);
  }
  const first = tf.slice(x64, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
  const cam = (await gradCam(model, first, 5)).heatmap;
  tf.dispose([first, x64]);
  stage('grad-cam');
  // One training step at 64 px (train-mode BatchNorm; layer4's map is 2×2), its gradients and Adam's update.
  const x = nhwc(await npy('resnet18-random-seed0.input-64.npy'));
  const y = tf.tensor1d([3, 7], 'int32');
  const variables = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train', updateStats: false }), y), variables);
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const gradArrays = new Map<string, Float32Array>();
  for (const [id, g] of Object.entries(grads)) gradArrays.set(names.get(id)!, (await g.data()) as Float32Array);
  const loss = (await value.data())[0]!;
  stage('gradients');
  const initial = new Map<string, Float32Array>();
  for (const [name, v] of model.params) initial.set(name, (await v.data()) as Float32Array);
  const adam = new Adam();
  adam.apply(model.params, new Map(Object.entries(grads).map(([id, g]) => [names.get(id)!, g])), () => ({ lr: 1e-3, weightDecay: 0 }));
  tf.dispose([value, ...Object.values(grads)]);
  const stepped = new Map<string, Float32Array>();
  for (const [name, v] of model.params) {
    const after = (await v.data()) as Float32Array;
    stepped.set(name, after.map((w, k) => w - initial.get(name)![k]!));
  }
  tf.dispose([x, y]);
  stage('adam');
  adam.dispose();
  model.dispose();
  return { forward, grads: gradArrays, loss, stepped, cam, seconds: (performance.now() - t0) / 1000, stages };
}

/** Runs every backend and compares; returns plain numbers (what e2e/backends.mjs asserts). */
async function parity(backends: string[]): Promise<Record<string, unknown>> {
  const state = readCheckpoint(await fixture('resnet18-random-seed0.pth'), 'resnet18-random-seed0.pth');
  const reference = await runOn('cpu', state);
  const gradScale = new Map([...reference.grads].map(([name, g]) => [name, g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)]));
  const out: Record<string, unknown> = {};
  for (const backend of backends) {
    try {
      const r = await runOn(backend, state);
      // Adam's first step is ±lr wherever a gradient is not ~0: compare the weights where it is clearly not.
      const clear = (name: string, k: number) => Math.abs(reference.grads.get(name)![k]!) > 1e-3 * gradScale.get(name)!;
      out[backend] = {
        forward: r.forward,
        lossDiff: Math.abs(r.loss - reference.loss),
        grads: relativeL2(r.grads, reference.grads),
        adamStep: relativeL2(r.stepped, reference.stepped, clear),
        gradCam: worstRatio(r.cam, reference.cam, 1, 0),
        seconds: r.seconds,
        stages: r.stages,
      };
    } catch (error) {
      out[backend] = { error: String((error as Error).stack ?? error) };
    }
  }
  return out;
}

(globalThis as unknown as { parity: typeof parity }).parity = parity;
