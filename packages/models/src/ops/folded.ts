import * as tf from '@tensorflow/tfjs-core';
import { BN_EPSILON, type BatchNormParams } from './batchnorm.js';
import { singlePositionColumns, singlePositionOperands } from './conv2d-single-position.js';
import { dataIdOf } from '../wasm/heap.js';
import { medxferKernelsActive } from '../wasm/install.js';
import { fusedConvAdd } from './fused-conv-add.js';
import { relu } from './relu.js';

/** BatchNorm with running statistics as y = x·scale + shift, per channel. */
export function foldedBatchNorm(p: BatchNormParams): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const scale = tf.div(p.gamma, tf.sqrt(tf.add(p.runningVar, BN_EPSILON))) as tf.Tensor1D;
  return { scale, shift: tf.sub(p.beta, tf.mul(p.runningMean, scale)) as tf.Tensor1D };
}

interface Entry {
  /** Data identities of the tensors the entry was derived from. */
  readonly from: readonly object[];
  readonly tensors: readonly tf.Tensor[];
}

/**
 * Folded copies of conv → BatchNorm pairs, kept between calls while their source tensors are unchanged:
 * folding costs a pass over every filter, XNNPACK (tfjs-wasm without medxfer's kernels, other fused-conv
 * backends alike) caches a convolution's packed weights by filter tensor, so a filter made anew on every
 * call would be re-packed every call, and where medxfer's wasm kernels do not run, a single-position
 * convolution is a GEMM of its live taps, whose slicing costs more than the GEMM itself. An assignment to any source tensor (a training step) gives it a new data
 * identity, which invalidates the entry.
 */
export class FoldedConvCache {
  private readonly entries = new Map<string, Entry>();

  /**
   * The tensors `make` derives from `sources`, made once and kept (past the caller's tidy scope) until a
   * source changes data identity; `make` runs in a tidy of its own.
   */
  remember<T extends tf.Tensor[]>(key: string, sources: readonly tf.Tensor[], make: () => T): T {
    const from = sources.map(dataIdOf);
    const entry = this.entries.get(key);
    if (entry && entry.from.every((id, i) => id === from[i])) return entry.tensors as T;
    this.drop(key);
    const tensors = tf.tidy(make);
    for (const t of tensors) tf.keep(t);
    this.entries.set(key, { from, tensors });
    return tensors;
  }

  /**
   * Eval-mode convolution → BatchNorm (running statistics) → optional residual add → optional ReLU as one
   * fused kernel: the BatchNorm folded into the filter (W·scale per output channel) and a bias (shift). On
   * wasm with medxfer's kernels the convolution reads only the taps that reach real input, and the residual
   * and ReLU run in its epilogue; elsewhere the ReLU is fused into the convolution (or into the GEMM of the
   * live taps when every output is a single position) and the residual is added before it. The same function
   * up to float rounding. Inference only: tfjs's fused kernels have no gradient on every backend.
   */
  convBatchNorm(
    key: string, x: tf.Tensor4D, filter: tf.Tensor4D, bn: BatchNormParams, spec: { stride: number; pad: number },
    epilogue: { relu: boolean; residual?: tf.Tensor4D },
  ): tf.Tensor4D {
    const [n, h, w] = x.shape;
    const [weights, shift] = this.remember(`${key}@${h}x${w}`, [filter, bn.gamma, bn.beta, bn.runningMean, bn.runningVar], () => {
      const folded = foldedBatchNorm(bn);
      const scaled = tf.mul(filter, folded.scale) as tf.Tensor4D;
      // medxfer's wasm convolution reads only the live taps itself: no GEMM operands needed.
      const single = medxferKernelsActive() ? undefined : singlePositionOperands(x, scaled, spec);
      return [single?.taps ?? scaled, folded.shift];
    });
    const { relu: withRelu, residual } = epilogue;
    if (residual && weights!.rank === 4) {
      const fused = fusedConvAdd(x, weights as tf.Tensor4D, residual, spec, { bias: shift as tf.Tensor1D, relu: withRelu });
      if (fused) return fused;
    }
    const activation = withRelu && !residual ? 'relu' : 'linear';
    let y: tf.Tensor4D;
    if (weights!.rank === 2) {
      const columns = singlePositionColumns(x, filter.shape, spec)!;
      y = tf.reshape(tf.fused.matMul({ a: columns, b: weights as tf.Tensor2D, bias: shift, activation }), [n, 1, 1, filter.shape[3]]);
    } else {
      y = tf.fused.conv2d({ x, filter: weights as tf.Tensor4D, strides: spec.stride, pad: spec.pad, bias: shift, activation });
    }
    if (!residual) return y;
    const sum = tf.add(y, residual) as tf.Tensor4D;
    return withRelu ? relu(sum) : sum;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (old) tf.dispose([...old.tensors]);
    this.entries.delete(key);
  }

  dispose(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
  }
}
