import * as tf from '@tensorflow/tfjs-core';
import type { ModelTensor } from '@medxfer/models';

/** A float batch (images `[n, H, W, C]` or volumes `[n, D, H, W, C]`) as the model's input tensor. */
export function inputTensor(images: Float32Array, shape: readonly number[]): ModelTensor {
  const t: tf.Tensor = tf.tensor(images, [...shape]);
  return t as ModelTensor;
}
