import * as tf from '@tensorflow/tfjs-core';
import { ADAM_KERNEL, wasmKernelsAvailable, type AdamKernelAttrs } from './kernels/wasm-kernels.js';
import { Optimizer, type ParamSettings } from './optimizer.js';

export interface AdamOptions {
  /** Default (0.9, 0.999), as torch. */
  betas?: readonly [number, number];
  /** Default 1e-8, as torch (tfjs's own Adam uses 1e-7). */
  eps?: number;
  /** `adamw`: decoupled weight decay p ← p·(1 − lr·wd) (torch.optim.AdamW); `adam`: L2 added to the gradient (torch.optim.Adam). */
  decoupled?: boolean;
}

/** torch.optim.Adam / AdamW (amsgrad off), step for step. */
export class Adam extends Optimizer {
  readonly kind: string;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly decoupled: boolean;

  constructor(options: AdamOptions = {}) {
    super();
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.decoupled = options.decoupled ?? false;
    this.kind = this.decoupled ? 'adamw' : 'adam';
  }

  protected update(name: string, p: tf.Variable, grad: tf.Tensor, step: number, { lr, weightDecay }: ParamSettings): void {
    const m = this.slot(name, 'exp_avg', p);
    const v = this.slot(name, 'exp_avg_sq', p);
    const bias1 = 1 - this.beta1 ** step;
    const bias2 = 1 - this.beta2 ** step;
    if (wasmKernelsAvailable()) {
      // One fused pass on the wasm backend: the same float ops as below, in the same order.
      const attrs: AdamKernelAttrs = {
        b1: this.beta1, c1: 1 - this.beta1, b2: this.beta2, c2: 1 - this.beta2, sqrtBias2: Math.sqrt(bias2), eps: this.eps, stepSize: lr / bias1,
        decay: this.decoupled && weightDecay !== 0 ? 1 - lr * weightDecay : 1,
        l2: !this.decoupled ? weightDecay : 0,
      };
      const [p1, m1, v1] = tf.engine().runKernel(ADAM_KERNEL, { p, g: grad, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      p.assign(p1!);
      m.assign(m1!);
      v.assign(v1!);
      return;
    }
    let g = grad;
    if (weightDecay !== 0) {
      if (this.decoupled) p.assign(tf.mul(p, 1 - lr * weightDecay));
      else g = tf.add(g, tf.mul(p, weightDecay));
    }
    m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
    v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
    const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bias2)), this.eps);
    p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / bias1)));
  }
}

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD with momentum, dampening and Nesterov, step for step. */
export class Sgd extends Optimizer {
  readonly kind = 'sgd';
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;

  constructor(options: SgdOptions = {}) {
    super();
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
  }

  protected update(name: string, p: tf.Variable, grad: tf.Tensor, step: number, { lr, weightDecay }: ParamSettings): void {
    let g = weightDecay !== 0 ? tf.add(grad, tf.mul(p, weightDecay)) : grad;
    if (this.momentum !== 0) {
      const buf = this.slot(name, 'momentum_buffer', p);
      // torch: the first step stores the gradient itself (no dampening).
      buf.assign(step === 1 ? g : tf.add(tf.mul(buf, this.momentum), tf.mul(g, 1 - this.dampening)));
      g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    }
    p.assign(tf.sub(p, tf.mul(g, lr)));
  }
}
