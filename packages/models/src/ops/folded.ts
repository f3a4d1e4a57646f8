import * as tf from '@tensorflow/tfjs-core';
import { BN_EPSILON, type BatchNormParams } from './batchnorm.js';
import { singlePositionColumns, singlePositionOperands } from './conv2d-single-position.js';
import { dataIdOf } from '../wasm/heap.js';

/** BatchNorm with running statistics as y = x·scale + shift, per channel. */
export function foldedBatchNorm(p: BatchNormParams): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const scale = tf.div(p.gamma, tf.sqrt(tf.add(p.runningVar, BN_EPSILON))) as tf.Tensor1D;
  return { scale, shift: tf.sub(p.beta, tf.mul(p.runningMean, scale)) as tf.Tensor1D };
}

interface Folded {
  /** Data identities of the filter and BatchNorm tensors the entry was folded from. */
  readonly from: readonly object[];
  /** W·scale, or for a single-position output only its live taps as a GEMM operand. */
  readonly filter?: tf.Tensor4D;
  readonly taps?: tf.Tensor2D;
  readonly shift: tf.Tensor1D;
}

/**
 * Folded copies of conv → BatchNorm pairs, kept between calls while their source tensors are unchanged:
 * folding costs a pass over every filter, XNNPACK (tfjs-wasm without medxfer's kernels, other fused-conv
 * backends alike) caches a convolution's packed weights by filter tensor, so a filter made anew on every
 * call would be re-packed every call, and slicing the live taps of a single-position convolution costs
 * more than the GEMM itself. An assignment to any source tensor (a training step) gives it a new data
 * identity, which invalidates the entry.
 */
export class FoldedConvCache {
  private readonly entries = new Map<string, Folded>();

  /**
   * Eval-mode convolution → BatchNorm (running statistics) → optional ReLU as one fused kernel: the
   * BatchNorm folded into the filter (W·scale per output channel) and a bias (shift), the ReLU fused into
   * the convolution (XNNPACK on wasm) or into the GEMM when every output is a single position. The same
   * function up to float rounding. Inference only: tfjs's fused kernels have no gradient on every backend.
   */
  convBatchNorm(key: string, x: tf.Tensor4D, filter: tf.Tensor4D, bn: BatchNormParams, spec: { stride: number; pad: number }, relu: boolean): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const entryKey = `${key}@${h}x${w}`;
    const from = [filter, bn.gamma, bn.beta, bn.runningMean, bn.runningVar].map(dataIdOf);
    let entry = this.entries.get(entryKey);
    if (!entry || entry.from.some((id, i) => id !== from[i])) {
      this.drop(entryKey);
      const [weights, shift] = tf.tidy(() => {
        const folded = foldedBatchNorm(bn);
        const scaled = tf.mul(filter, folded.scale) as tf.Tensor4D;
        return [singlePositionOperands(x, scaled, spec)?.taps ?? scaled, folded.shift];
      }) as [tf.Tensor, tf.Tensor1D];
      // Kept past the caller's tidy scope (predict runs in one); disposed when replaced or by dispose().
      tf.keep(weights);
      tf.keep(shift);
      entry = weights.rank === 2 ? { from, taps: weights as tf.Tensor2D, shift } : { from, filter: weights as tf.Tensor4D, shift };
      this.entries.set(entryKey, entry);
    }
    const activation = relu ? 'relu' : 'linear';
    if (entry.taps) {
      const columns = singlePositionColumns(x, filter.shape, spec)!;
      return tf.reshape(tf.fused.matMul({ a: columns, b: entry.taps, bias: entry.shift, activation }), [n, 1, 1, filter.shape[3]]);
    }
    return tf.fused.conv2d({ x, filter: entry.filter!, strides: spec.stride, pad: spec.pad, bias: entry.shift, activation });
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (old) tf.dispose([old.filter, old.taps, old.shift].filter((t) => t !== undefined) as tf.Tensor[]);
    this.entries.delete(key);
  }

  dispose(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
  }
}
