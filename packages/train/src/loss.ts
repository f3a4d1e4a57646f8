import * as tf from '@tensorflow/tfjs-core';

export interface CrossEntropyOptions {
  /** Per-class weights: the loss is Σ w_y·ℓ / Σ w_y, as torch's weighted mean. */
  classWeights?: readonly number[];
  /** torch's label_smoothing ε: targets (1 − ε)·onehot + ε/C. */
  labelSmoothing?: number;
}

/** torch.nn.CrossEntropyLoss (mean reduction) from logits `[N, C]` and int class indices `[N]`. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const logProbs = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), classes);
    const eps = options.labelSmoothing ?? 0;
    const nll = tf.neg(tf.sum(tf.mul(logProbs, onehot), 1));
    const smooth = eps > 0 ? tf.neg(tf.mean(logProbs, 1)) : undefined;
    if (options.classWeights) {
      const w = tf.tensor1d([...options.classWeights]);
      const wy = tf.sum(tf.mul(onehot, w), 1);
      const weightedNll = tf.div(tf.sum(tf.mul(nll, wy)), tf.sum(wy));
      if (!smooth) return weightedNll as tf.Scalar;
      // torch: the smoothing term is Σ_c w_c·(−log p_c)/C per sample, summed and divided by Σ w_y.
      const smoothW = tf.div(tf.sum(tf.div(tf.neg(tf.sum(tf.mul(logProbs, w), 1)), classes)), tf.sum(wy));
      return tf.add(tf.mul(weightedNll, 1 - eps), tf.mul(smoothW, eps)) as tf.Scalar;
    }
    const loss = tf.mean(nll);
    return (smooth ? tf.add(tf.mul(loss, 1 - eps), tf.mul(tf.mean(smooth), eps)) : loss) as tf.Scalar;
  });
}
