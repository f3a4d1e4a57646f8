import * as tf from '@tensorflow/tfjs-core';
import { batchNorm, conv2d, readCheckpoint } from '@medxfer/models';
import { readFileSync } from 'node:fs';
import { sharedPath } from '../../../test-support/paths.js';

/**
 * The fixtures' tiny PyTorch model, `Sequential(Conv2d(1,4,3), BatchNorm2d(4), ReLU(), Flatten(), Linear(2704, 2))`,
 * built from medxfer's ops with variables kept in PyTorch's layouts so they compare directly with the traces.
 */
export class TinyModel {
  readonly params = new Map<string, tf.Variable>();
  readonly buffers = new Map<string, tf.Variable>();

  constructor(checkpointPath: string) {
    const state = readCheckpoint(new Uint8Array(readFileSync(checkpointPath)));
    for (const [name, t] of state) {
      if (name.endsWith('num_batches_tracked')) continue;
      const v = tf.variable(tf.tensor(t.data as Float32Array, t.shape), !name.includes('running'));
      (name.includes('running') ? this.buffers : this.params).set(name, v);
    }
  }

  forward(inputNchw: tf.Tensor4D, bn: 'train' | 'frozen'): tf.Tensor2D {
    const x = tf.transpose(inputNchw, [0, 2, 3, 1]) as tf.Tensor4D;
    const w = tf.transpose(this.params.get('0.weight')!, [2, 3, 1, 0]) as tf.Tensor4D;
    let h = tf.add(conv2d(x, w, { stride: 1, pad: 0, inputGrad: false }), this.params.get('0.bias')!) as tf.Tensor4D;
    h = batchNorm(
      h,
      {
        gamma: this.params.get('1.weight') as tf.Tensor as tf.Tensor1D,
        beta: this.params.get('1.bias') as tf.Tensor as tf.Tensor1D,
        runningMean: this.buffers.get('1.running_mean')!,
        runningVar: this.buffers.get('1.running_var')!,
      },
      bn,
      bn === 'train',
    );
    const flat = tf.reshape(tf.transpose(tf.relu(h), [0, 3, 1, 2]), [x.shape[0], 2704]);
    return tf.add(tf.matMul(flat, this.params.get('4.weight')!, false, true), this.params.get('4.bias')!) as tf.Tensor2D;
  }

  /** All entries in `states.npy` order, flattened. */
  flatState(layout: { name: string }[]): Float32Array {
    const all = new Map([...this.params, ...this.buffers]);
    const parts = layout.map((l) => all.get(l.name)!.dataSync() as Float32Array);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) out.set(p, at), (at += p.length);
    return out;
  }

  dispose(): void {
    for (const v of [...this.params.values(), ...this.buffers.values()]) v.dispose();
  }
}

export const traceDir = (kind: 'sgd' | 'adam', file: string) => sharedPath('fixtures', 'torch', `train-${kind}`, file);
