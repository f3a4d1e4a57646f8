import * as tf from '@tensorflow/tfjs-core';
import { readVariables } from '../read.js';

/** Per-parameter settings: the learning rate of its group at this step, and its weight decay. */
export interface ParamSettings {
  readonly lr: number;
  readonly weightDecay: number;
}

/** Serialisable optimiser state: per parameter, named slots (e.g. Adam's `m`, `v`) and its step count. */
export interface OptimizerState {
  readonly kind: string;
  readonly params: Record<string, { step: number; slots: Record<string, { shape: number[]; data: number[] | Float32Array }> }>;
}

/**
 * An optimiser with PyTorch's update rules, applied to tfjs variables by name. Each parameter keeps
 * its own step count and slots, created on its first update (like torch's lazily created state).
 */
export abstract class Optimizer {
  abstract readonly kind: string;
  protected readonly steps = new Map<string, number>();
  protected readonly slots = new Map<string, Map<string, tf.Variable>>();

  /** Applies one update to each variable that has a gradient. Disposes nothing it did not create. */
  apply(variables: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor> | ReadonlyMap<string, tf.Tensor>, settings: (name: string) => ParamSettings): void {
    const entries = grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
    for (const [name, grad] of entries) {
      const variable = variables.get(name);
      if (!variable) continue;
      const step = (this.steps.get(name) ?? 0) + 1;
      this.steps.set(name, step);
      tf.tidy(() => this.update(name, variable, grad, step, settings(name)));
    }
  }

  protected slot(name: string, slot: string, like: tf.Tensor): tf.Variable {
    let byName = this.slots.get(name);
    if (!byName) this.slots.set(name, (byName = new Map()));
    let v = byName.get(slot);
    if (!v) byName.set(slot, (v = tf.variable(tf.zerosLike(like), false)));
    return v;
  }

  protected abstract update(name: string, variable: tf.Variable, grad: tf.Tensor, step: number, settings: ParamSettings): void;

  async getState(): Promise<OptimizerState> {
    const params: OptimizerState['params'] = {};
    for (const [name, step] of this.steps) params[name] = { step, slots: Object.fromEntries(await readVariables(this.slots.get(name) ?? [])) };
    return { kind: this.kind, params };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new Error(`optimiser state is for ${state.kind}, not ${this.kind}`);
    this.dispose();
    for (const [name, { step, slots }] of Object.entries(state.params)) {
      this.steps.set(name, step);
      const byName = new Map<string, tf.Variable>();
      for (const [slot, { shape, data }] of Object.entries(slots)) byName.set(slot, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(data), shape), false)));
      this.slots.set(name, byName);
    }
  }

  dispose(): void {
    for (const byName of this.slots.values()) for (const v of byName.values()) v.dispose();
    this.slots.clear();
    this.steps.clear();
  }
}
