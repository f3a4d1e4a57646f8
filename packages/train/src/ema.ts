import * as tf from '@tensorflow/tfjs-core';
import type { ResNet18 } from '@medxfer/models';
import { readVariables } from './read.js';
import { EMA_KERNEL, wasmKernelsAvailable, type EmaKernelAttrs } from './optim/kernels/wasm-kernels.js';

type Snapshot = ReadonlyMap<string, { shape: number[]; data: Float32Array }>;

/**
 * An exponential moving average of a model's variables (parameters and BatchNorm running stats), as
 * timm's ModelEmaV2: after each step w̄ ← decay·w̄ + (1 − decay)·w. It starts from the model's values (or
 * a saved average, to resume).
 */
export class WeightAverage {
  private readonly average = new Map<string, tf.Variable>();

  constructor(private readonly model: ResNet18, readonly decay: number, from?: Snapshot) {
    for (const [name, v] of model.allVariables()) {
      const saved = from?.get(name);
      if (from && (!saved || saved.data.length !== v.size)) throw new Error(`the saved weight average has no ${name} of ${v.size} values`);
      this.average.set(name, tf.tidy(() => tf.variable(saved ? tf.tensor(saved.data, v.shape) : tf.clone(v), false)));
    }
  }

  /** Moves the average towards the model's current values. */
  update(): void {
    const fused = wasmKernelsAvailable();
    const attrs: EmaKernelAttrs = { decay: this.decay, oneMinusDecay: 1 - this.decay };
    tf.tidy(() => {
      for (const [name, v] of this.model.allVariables()) {
        const a = this.average.get(name)!;
        // The fused kernel does the same float ops in the same order, in one pass.
        a.assign(fused ? (tf.engine().runKernel(EMA_KERNEL, { average: a, value: v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor) : tf.add(tf.mul(a, this.decay), tf.mul(v, 1 - this.decay)));
      }
    });
  }

  /** Runs `fn` with the averaged values in the model, then puts the model's own values back. */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    const live = new Map([...this.model.allVariables()].map(([name, v]) => [name, tf.clone(v)]));
    this.assignTo(this.model);
    try {
      return await fn();
    } finally {
      for (const [name, v] of this.model.allVariables()) v.assign(live.get(name)!);
      tf.dispose([...live.values()]);
    }
  }

  /** Writes the average into `model`'s variables. */
  assignTo(model: ResNet18): void {
    for (const [name, v] of model.allVariables()) v.assign(this.average.get(name)!);
  }

  snapshot(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    return readVariables(this.average);
  }

  dispose(): void {
    for (const a of this.average.values()) a.dispose();
    this.average.clear();
  }
}
