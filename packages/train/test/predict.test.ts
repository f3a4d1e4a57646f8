import { beforeAll, describe, expect, it } from 'vitest';
import { allImageBytes, imagesInMemory, type DatasetSplit } from '@medxfer/data';
import { ResNet18 } from '@medxfer/models';
import { predictSplit } from '@medxfer/train';
import { useBackend } from '../../../test-support/backend.js';
import { sampleOf, pneumonia } from './helpers.js';

/** The split with every image mirrored left–right (uint8 rows reversed by hand). */
function mirrored(split: DatasetSplit): DatasetSplit {
  const { size } = split;
  const source = allImageBytes(split.images);
  const images = new Uint8Array(source.length);
  for (let n = 0; n < split.count; n++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) images[(n * size + y) * size + x] = source[(n * size + y) * size + (size - 1 - x)]!;
  }
  return { ...split, images: imagesInMemory(images, size * size) };
}

describe('predictSplit (wasm, real PneumoniaMNIST images)', () => {
  beforeAll(() => useBackend('wasm'));

  it('flip TTA is the mean of the probabilities of the images and of their mirror images', async () => {
    const split = sampleOf(pneumonia().splits.test, 40);
    const model = new ResNet18({ numClasses: 2, input: 'single', seed: 3 });
    const transform = { size: 28, channels: 1 as const };
    const plain = await predictSplit(model, split, transform, { batchSize: 16 });
    const mirror = await predictSplit(model, mirrored(split), transform, { batchSize: 16 });
    const tta = await predictSplit(model, split, transform, { batchSize: 16, tta: 'flip' });
    model.dispose();
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < tta.length; i++) {
      worst = Math.max(worst, Math.abs(tta[i]! - (plain[i]! + mirror[i]!) / 2));
      moved = Math.max(moved, Math.abs(tta[i]! - plain[i]!));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(moved, 'a random-init model is not mirror-symmetric: TTA changes the scores').toBeGreaterThan(1e-4);
  });
});
