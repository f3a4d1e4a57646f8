import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, readCheckpoint, ResNet18 } from '@medxfer/models';
import { useBackend } from '../../../test-support/backend.js';
import { argmaxRows, nchwToNhwc, npyFixture, readBytes, torchFixture, worstRatio } from './helpers.js';

const state = readCheckpoint(readBytes(torchFixture('resnet18-random-seed0.pth')), 'resnet18-random-seed0.pth');

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`ResNet18 against PyTorch 1.13 on ${backend}`, () => {
    let model: ResNet18;
    beforeAll(async () => {
      await useBackend(backend);
      model = new ResNet18();
      loadStateDict(model, state);
    });

    const sizes = backend === 'wasm' ? [224, 64, 28, 97] : [64, 28, 97];
    for (const size of sizes) {
      it(`logits at ${size} px within 1e-4 + 1e-4·|ref|, argmax equal, BatchNorm folded (predict) or not (apply)`, () => {
        const input = npyFixture(`resnet18-random-seed0.input-${size}.npy`);
        const ref = npyFixture(`resnet18-random-seed0.logits-${size}.npy`).data as Float32Array;
        const x = nchwToNhwc(input.data as Float32Array, input.shape);
        for (const logits of [model.predict(x), tf.tidy(() => model.apply(x))]) {
          const ours = logits.dataSync();
          logits.dispose();
          expect(worstRatio(ours, ref, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
          expect(argmaxRows(ours, 1000)).toEqual(argmaxRows(ref, 1000));
        }
        x.dispose();
      });
    }

    it('every activation at 64 px within 1e-4 + 1e-4·|ref|', () => {
      const input = npyFixture('resnet18-random-seed0.input-64.npy');
      const x = nchwToNhwc(input.data as Float32Array, input.shape);
      const capture = new Map<string, tf.Tensor>();
      tf.tidy(() => void model.apply(x, { capture }));
      for (const name of ['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool', 'fc']) {
        const ref = npyFixture('resnet18-random-seed0.acts-64', `${name}.npy`);
        // torchvision's ReLU is in-place, so the hooked `bn1` output was overwritten by the ReLU
        // that follows before PyTorch saved it: the fixture holds relu(bn1).
        const ours = name === 'bn1' ? tf.relu(capture.get(name)!) : capture.get(name)!;
        const nchw = ours.rank === 4 ? tf.tidy(() => tf.transpose(ours, [0, 3, 1, 2])) : tf.clone(ours);
        expect([name, nchw.shape]).toEqual([name, ref.shape]);
        expect(worstRatio(nchw.dataSync(), ref.data as Float32Array, 1e-4, 1e-4), name).toBeLessThanOrEqual(1);
        tf.dispose([nchw, ...(name === 'bn1' ? [ours] : [])]);
      }
      tf.dispose([x, ...capture.values()]);
    });
  });
}
