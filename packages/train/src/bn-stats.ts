import * as tf from '@tensorflow/tfjs-core';
import { batchIndices, makeBatch, type DatasetSplit, type ImageTransform } from '@medxfer/data';
import type { ResNet18 } from '@medxfer/models';
import { inputTensor } from './input.js';

/**
 * Recomputes every BatchNorm's running mean and variance as the average, over chunks of `batchSize`
 * images of `split` (shuffled by `seed`) without augmentation, of the chunks' mean and unbiased variance —
 * torch.optim.swa_utils.update_bn (momentum None). Training with augmentation leaves the statistics of
 * augmented images, which shift eval-mode outputs on real ones; an averaged model (EMA/SWA) has none of
 * its own. Weights are unchanged; `batchesTracked` counts the chunks, as after torch's reset.
 */
export function recomputeBatchNormStats(model: ResNet18, split: DatasetSplit, transform: ImageTransform, batchSize = 64, seed = 0): void {
  for (const v of model.buffers.values()) tf.tidy(() => v.assign(tf.zerosLike(v)));
  for (const prefix of model.batchesTracked.keys()) model.batchesTracked.set(prefix, 0);
  let k = 0;
  // Shuffled chunks, as in training: a split stored by class would give single-class chunks, whose
  // variance misses the spread between classes.
  for (const indices of batchIndices(split.count, { batchSize, seed, epoch: 0 })) {
    const batch = makeBatch(split, indices, { ...transform, augmentation: undefined });
    k++;
    tf.tidy(() => void model.features(inputTensor(batch.images, batch.shape), { bn: 'train', bnMomentum: 1 / k }));
  }
}
