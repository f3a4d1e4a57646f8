import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readNpy } from '@medxfer/data';
import { acsSplit, conv3d, gradCam, loadStateDict, midSlice, midSliceOverlays, readCheckpoint, ResNet18, volumeConv, type VolumeConvolution } from '@medxfer/models';
import { useBackend } from '../../../test-support/backend.js';
import { readBytes, torchFixture, worstRatio } from './helpers.js';

// References made by scripts/fixtures/make-volume-fixtures.py (python3-torch 1.13): NCDHW arrays, OIHW weights.
const fixture = (name: string) => readNpy(new Uint8Array(readFileSync(fileURLToPath(new URL(`fixtures/volume/${name}`, import.meta.url)))), name);
const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('fixtures/volume/manifest.json', import.meta.url)), 'utf8')) as {
  cases: Record<string, { stride: number; pad: number; loss: number }>;
  targets: number[];
  gradients: string[];
};
const state = readCheckpoint(readBytes(torchFixture('resnet18-random-seed0.pth')), 'resnet18-random-seed0.pth');

const ncdhwToNdhwc = (name: string) => {
  const a = fixture(name);
  return tf.tidy(() => tf.transpose(tf.tensor(a.data as Float32Array, [...a.shape] as number[]) as tf.Tensor, [0, 2, 3, 4, 1]) as tf.Tensor5D);
};
const oihwToHwio = (name: string) => {
  const a = fixture(name);
  return tf.tidy(() => tf.transpose(tf.tensor(a.data as Float32Array, [...a.shape] as number[]) as tf.Tensor, [2, 3, 1, 0]) as tf.Tensor4D);
};
const oidhwToDhwio = (name: string) => {
  const a = fixture(name);
  return tf.tidy(() => tf.transpose(tf.tensor(a.data as Float32Array, [...a.shape] as number[]) as tf.Tensor, [2, 3, 4, 1, 0]) as tf.Tensor5D);
};
/** Our tensor in PyTorch's layout: NDHWC → NCDHW, HWIO → OIHW, [in, out] → [out, in]; `weight`: DHWIO → OIDHW. */
const torchLayout = (t: tf.Tensor, weight = false) =>
  tf.tidy(() => (t.rank === 5 ? tf.transpose(t, weight ? [4, 3, 0, 1, 2] : [0, 4, 1, 2, 3]) : t.rank === 4 ? tf.transpose(t, [3, 2, 0, 1]) : t.rank === 2 ? tf.transpose(t) : tf.clone(t)));

describe('ACS channel split', () => {
  it('is ACSConv\'s: thirds, the remainder to the first groups', () => {
    expect([64, 128, 7, 8, 4, 1, 2].map(acsSplit)).toEqual([[22, 21, 21], [43, 43, 42], [3, 2, 2], [3, 3, 2], [2, 1, 1], [1, 0, 0], [1, 1, 0]]);
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`volume convolutions against PyTorch 1.13 on ${backend}`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });

    for (const name of ['conv-k3-s1', 'conv-k3-s2', 'conv-k1-s2', 'conv-k7-s2']) {
      for (const mode of ['acs', '2.5d', '3d'] as const) {
        it(`${name} (${mode}) within 1e-4 + 1e-4·|ref|`, () => {
          const key = `${name}-${mode}`;
          const { stride, pad } = manifest.cases[key]!;
          const x = ncdhwToNdhwc(`${key}.input.npy`);
          const w = mode === '3d' ? oidhwToDhwio(`${key}.weight.npy`) : oihwToHwio(`${key}.weight.npy`);
          const ref = fixture(`${key}.output.npy`);
          const spec = { stride, pad, inputGrad: true };
          const y = tf.tidy(() => torchLayout(mode === '3d' ? conv3d(x, w as tf.Tensor5D, spec) : volumeConv(x, w as tf.Tensor4D, spec, mode)));
          expect(y.shape).toEqual(ref.shape);
          expect(worstRatio(y.dataSync(), ref.data as Float32Array, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
          tf.dispose([x, w, y]);
        });
      }
    }

    // The whole network on wasm only: tfjs's cpu convolutions take ~30 s for it (its ops are tested above).
    for (const mode of backend === 'wasm' ? (['acs', '2.5d', '3d'] as const) : []) {
      describe(`ResNet-18 (${mode}) from the 2D random checkpoint at 28³${mode === '3d' ? ' (inflated)' : ''}`, () => {
        let model: ResNet18;
        let x: tf.Tensor5D;
        beforeAll(() => {
          model = new ResNet18({ volume: mode });
          const report = loadStateDict(model, state);
          expect(report.inflated.length).toBe(mode === '3d' ? 20 : 0);
          x = ncdhwToNdhwc('resnet18-input-28.npy');
        });

        it('eval-mode logits within 1e-4 + 1e-4·|ref|, through apply and predict', () => {
          const ref = fixture(`resnet18-${mode}.logits-28.npy`).data as Float32Array;
          for (const logits of [tf.tidy(() => model.apply(x)), model.predict(x)]) {
            expect(worstRatio(logits.dataSync(), ref, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
            logits.dispose();
          }
        });

        it('train-mode (batch statistics) layer2 output within 1e-4 + 1e-4·|ref|', () => {
          const ref = fixture(`resnet18-${mode}.train-layer2-28.npy`);
          const capture = new Map<string, tf.Tensor>();
          tf.tidy(() => void model.apply(x, { bn: 'train', updateStats: false, capture }));
          const ours = torchLayout(capture.get('layer2')!);
          expect(ours.shape).toEqual(ref.shape);
          expect(worstRatio(ours.dataSync(), ref.data as Float32Array, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
          tf.dispose([ours, ...capture.values()]);
        });

        it('cross-entropy and its gradients within 1e-4 + 1e-4·|ref|', () => {
          const names = manifest.gradients;
          const targets = tf.oneHot(tf.tensor1d(manifest.targets, 'int32'), 1000);
          const { value, grads } = tf.variableGrads(
            () => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(model.apply(x))), 1))) as tf.Scalar,
            names.map((n) => model.params.get(n)!),
          );
          const loss = manifest.cases[`resnet18-${mode}`]!.loss;
          expect(Math.abs(value.dataSync()[0]! - loss)).toBeLessThanOrEqual(1e-4 + 1e-4 * loss);
          for (const name of names) {
            const ours = torchLayout(grads[model.params.get(name)!.name]!, true);
            const ref = fixture(`resnet18-${mode}.grad.${name}.npy`);
            expect([name, ours.shape]).toEqual([name, ref.shape]);
            expect(worstRatio(ours.dataSync(), ref.data as Float32Array, 1e-4, 1e-4), name).toBeLessThanOrEqual(1);
            ours.dispose();
          }
          tf.dispose([value, targets, ...Object.values(grads)]);
        });
      });
    }
  });
}

describe('volume models made from a 2D checkpoint, on volumes whose depth slices are all one image', () => {
  const image = () => tf.tidy(() => tf.mul(tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 7), 2) as tf.Tensor4D);
  const repeated = (img: tf.Tensor4D, depth: number) => tf.tidy(() => tf.tile(tf.expandDims(img, 1), [1, depth, 1, 1, 1]) as tf.Tensor5D);
  const from2d = (volume?: VolumeConvolution) => {
    const model = new ResNet18({ ...(volume ? { volume } : {}) });
    loadStateDict(model, state);
    return model;
  };
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('2.5D: features and logits equal the 2D model\'s on that image (every layer sees D identical slices)', () => {
    const planar = from2d();
    const model = from2d('2.5d');
    const img = image();
    const volume = repeated(img, 30);
    const [ours, ref] = tf.tidy(() => [model.features(volume), planar.features(img)]);
    expect(worstRatio(ours!.dataSync(), ref!.dataSync(), 1e-5, 1e-5)).toBeLessThanOrEqual(1);
    const [logits, refLogits] = tf.tidy(() => [model.apply(volume), planar.apply(img)]);
    expect(worstRatio(logits!.dataSync(), refLogits!.dataSync(), 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    tf.dispose([img, volume, ours!, ref!, logits!, refLogits!]);
    planar.dispose();
    model.dispose();
  });

  it('ACS: conv1\'s axial channels are the 2D conv1 on every slice; away from the depth ends its coronal and sagittal ones are the 2D conv1 with each kernel column summed into the middle row / column', () => {
    const planar = from2d();
    const model = from2d('acs');
    const img = image();
    const depth = 32;
    const volume = repeated(img, depth);
    const [a, c] = acsSplit(64);
    const captured = new Map<string, tf.Tensor>();
    tf.tidy(() => void model.apply(volume, { capture: captured }));
    const conv1 = captured.get('conv1')! as tf.Tensor5D; // [2, 16, 16, 16, 64]
    const w = planar.params.get('conv1.weight')! as tf.Tensor as tf.Tensor4D; // [7, 7, 3, 64]: rows, columns of the plane
    // Collapsed kernels: Σ over the 7 depth taps (the kernel's rows) placed on the plane's middle row (coronal:
    // the kernel runs along W) or middle column (sagittal: its columns run along H, its rows along D).
    const colSums = tf.sum(w, 0, true); // [1, 7, 3, 64]
    const rowKernel = tf.pad(colSums, [[3, 3], [0, 0], [0, 0], [0, 0]]) as tf.Tensor4D;
    const colKernel = tf.pad(tf.transpose(colSums, [1, 0, 2, 3]), [[0, 0], [3, 3], [0, 0], [0, 0]]) as tf.Tensor4D;
    const expected = tf.tidy(() => {
      const axial = tf.slice(tf.conv2d(img, w, 2, 3), [0, 0, 0, 0], [-1, -1, -1, a]);
      const coronal = tf.slice(tf.conv2d(img, rowKernel, 2, 3), [0, 0, 0, a], [-1, -1, -1, c]);
      const sagittal = tf.slice(tf.conv2d(img, colKernel, 2, 3), [0, 0, 0, a + c], [-1, -1, -1, 64 - a - c]);
      return tf.concat([axial, coronal, sagittal], 3) as tf.Tensor4D;
    });
    // Output depth o reads input depths 2o − 3 … 2o + 3: all inside for o = 2 … 14.
    for (let o = 0; o < 16; o++) {
      const slice = tf.tidy(() => tf.squeeze(tf.slice(conv1, [0, o, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]));
      const interior = 2 * o - 3 >= 0 && 2 * o + 3 <= depth - 1;
      const channels = interior ? 64 : a;
      const [ours, ref] = tf.tidy(() => [tf.slice(slice, [0, 0, 0, 0], [-1, -1, -1, channels]), tf.slice(expected, [0, 0, 0, 0], [-1, -1, -1, channels])]);
      expect(worstRatio(ours!.dataSync(), ref!.dataSync(), 1e-4, 1e-4), `depth ${o}`).toBeLessThanOrEqual(1);
      tf.dispose([slice, ours!, ref!]);
    }
    tf.dispose([img, volume, expected, colSums, rowKernel, colKernel, ...captured.values()]);
    planar.dispose();
    model.dispose();
  });

  it('2.5D at 28³ sees only depth slices 0 and 2 (torchvision\'s strides subsample the depth to one slice); ACS sees them all', () => {
    const x = tf.randomUniform([1, 28, 28, 28, 3], -1, 1, 'float32', 11) as tf.Tensor5D;
    const changed = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0, 0, 0], [1, 3, 28, 28, 3]), tf.randomUniform([1, 25, 28, 28, 3], -1, 1, 'float32', 12)], 1) as tf.Tensor5D);
    for (const [mode, same] of [['2.5d', true], ['acs', false]] as const) {
      const model = from2d(mode);
      const [a, b] = [model.predict(x), model.predict(changed)];
      expect(Array.from(b.dataSync()).every((v, i) => v === a.dataSync()[i]), mode).toBe(same);
      tf.dispose([a, b]);
      model.dispose();
    }
    tf.dispose([x, changed]);
  });

  it('Grad-CAM of a volume: layer1\'s 7×7×7 map at 28³ (not flat), overlaid on the three middle slices', async () => {
    const model = new ResNet18({ numClasses: 2, volume: 'acs', input: 'single', seed: 2 });
    const cube = tf.tidy(() => tf.pad(tf.ones([1, 8, 8, 8, 1]), [[0, 0], [2, 18], [16, 4], [10, 10], [0, 0]]) as tf.Tensor5D);
    const cam = await gradCam(model, cube, 1);
    expect([cam.depth, cam.height, cam.width, cam.layer]).toEqual([7, 7, 7, 'layer1']);
    expect(cam.heatmap.length).toBe(343);
    expect(cam.heatmap.some((v) => v > 0)).toBe(true);
    const overlays = midSliceOverlays(new Float32Array(28 ** 3).fill(0.5), 28, cam);
    expect([overlays.width, overlays.height, overlays.channels]).toEqual([3 * 28 + 4, 28, 4]);
    await expect(gradCam(model, tf.zeros([1, 28, 28, 1]) as tf.Tensor4D)).rejects.toThrow(/one volume at a time: pass \[1, D, H, W, C\]/);
    tf.dispose(cube);
    model.dispose();
  });

  it('midSlice takes the axial, coronal and sagittal middle planes', () => {
    const size = 4;
    const v = Float32Array.from({ length: 64 }, (_, i) => i); // value = (z·4 + y)·4 + x
    expect(Array.from(midSlice(v, size, 'axial')).slice(0, 5)).toEqual([32, 33, 34, 35, 36]); // z = 2
    expect(Array.from(midSlice(v, size, 'coronal')).slice(0, 5)).toEqual([8, 9, 10, 11, 24]); // y = 2
    expect(Array.from(midSlice(v, size, 'sagittal')).slice(0, 5)).toEqual([2, 6, 10, 14, 18]); // x = 2
  });

  it('refuses images, and volumes under 28 per side, with a clear message', () => {
    const model = new ResNet18({ volume: 'acs' });
    expect(() => model.apply(tf.zeros([1, 28, 28, 3]) as tf.Tensor4D)).toThrow(/NDHWC volumes \[N, D, H, W, 3\]/);
    expect(() => model.apply(tf.zeros([1, 16, 28, 28, 3]) as tf.Tensor5D)).toThrow(/at least 28 per side, got 16×28×28/);
    model.dispose();
  });
});
