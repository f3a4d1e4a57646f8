import * as tf from '@tensorflow/tfjs-core';

export interface CrossEntropyOptions {
  /** Per-class weights: the loss is Σ w_y·ℓ / Σ w_y, as torch's weighted mean. */
  classWeights?: readonly number[];
  /** torch's label_smoothing ε: targets (1 − ε)·onehot + ε/C. */
  labelSmoothing?: number;
}

/**
 * torch.nn.CrossEntropyLoss (mean reduction) from logits `[N, C]` and int class indices `[N]`, or soft targets
 * `[N, C]` (rows of probabilities, e.g. mixup's λ·onehot(a) + (1 − λ)·onehot(b)): −Σ_c y_c·log p_c per image.
 * With class weights the mean is Σ_i Σ_c w_c·y_ic·ℓ_ic / Σ_i Σ_c w_c·y_ic, which for one-hot rows is torch's
 * weighted mean exactly (torch divides soft, weighted targets by N instead).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D | tf.Tensor2D, options: CrossEntropyOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const negLogProbs = tf.neg(tf.logSoftmax(logits));
    const targets = labels.rank === 2 ? tf.cast(labels, 'float32') : tf.oneHot(tf.cast(labels, 'int32'), classes);
    const eps = options.labelSmoothing ?? 0;
    const smooth = eps > 0 ? tf.mean(negLogProbs, 1) : undefined;
    if (options.classWeights) {
      const w = tf.tensor1d([...options.classWeights]);
      const weightedTargets = tf.mul(targets, w);
      const norm = tf.sum(weightedTargets);
      const weightedNll = tf.div(tf.sum(tf.mul(weightedTargets, negLogProbs)), norm);
      if (!smooth) return weightedNll as tf.Scalar;
      // torch: the smoothing term is Σ_c w_c·(−log p_c)/C per sample, summed and divided by Σ w_y.
      const smoothW = tf.div(tf.sum(tf.div(tf.sum(tf.mul(negLogProbs, w), 1), classes)), norm);
      return tf.add(tf.mul(weightedNll, 1 - eps), tf.mul(smoothW, eps)) as tf.Scalar;
    }
    const loss = tf.mean(tf.sum(tf.mul(targets, negLogProbs), 1));
    return (smooth ? tf.add(tf.mul(loss, 1 - eps), tf.mul(tf.mean(smooth), eps)) : loss) as tf.Scalar;
  });
}

export interface BinaryCrossEntropyOptions {
  /** torch's `pos_weight`: one weight per label on the positive term (e.g. negatives / positives). */
  posWeight?: readonly number[];
  /** Targets y·(1 − ε) + ε/2: label smoothing for independent labels. */
  labelSmoothing?: number;
}

/**
 * torch.nn.BCEWithLogitsLoss (mean reduction, optional `pos_weight`) from logits `[N, L]` and 0/1 targets `[N, L]`:
 * ℓ = (1 − y)·x + (1 + (p − 1)·y)·log(1 + e^(−x)), computed stably. Its gradient is the analytic
 * (1 − y) − (1 + (p − 1)·y)·σ(−x), as torch's own backward, also at x = 0.
 */
export function binaryCrossEntropyWithLogits(logits: tf.Tensor2D, targets: tf.Tensor2D, options: BinaryCrossEntropyOptions = {}): tf.Scalar {
  const eps = options.labelSmoothing ?? 0;
  const posWeight = options.posWeight;
  // customGrad does not tidy its forward function: this does (the saved tensors are kept for the gradient).
  return tf.tidy(() => tf.customGrad((x, save) => {
    const input = x as tf.Tensor2D;
    const y = eps > 0 ? tf.add(tf.mul(targets, 1 - eps), eps / 2) : tf.cast(targets, 'float32');
    const logWeight = posWeight ? tf.add(tf.mul(tf.sub(tf.tensor1d([...posWeight]), 1), y), 1) : tf.onesLike(y);
    (save as tf.GradSaveFunc)([input, y, logWeight]);
    const softplusNegX = tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(input)))), tf.relu(tf.neg(input)));
    const value = tf.mean(tf.add(tf.mul(tf.sub(1, y), input), tf.mul(logWeight, softplusNegX))) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ys, ws] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return tf.mul(tf.div(dy, xs.size), tf.sub(tf.sub(1, ys), tf.mul(ws, tf.sigmoid(tf.neg(xs)))));
    };
    return { value, gradFunc };
  })(logits) as tf.Scalar);
}
