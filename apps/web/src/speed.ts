// Images per second of ResNet18 on the active backend, as the Node bench measures them (bench/run.mjs): `infer`
// is an eval-mode forward with its result read back, `train` a train-mode step (loss, all gradients, Adam) with
// its loss read back. The page's speed table and the browser bench (e2e/bench) both time with this.
import * as tf from '@tensorflow/tfjs-core';
import { ResNet18, type ModelTensor } from '@medxfer/models';
import { Adam, crossEntropy } from '@medxfer/train';

export interface SpeedCase {
  readonly size: number;
  readonly input: 'grey' | 'rgb';
  readonly numClasses: number;
  /** A volume model's convolutions: its input is `size³` volumes. */
  readonly volume?: 'acs' | '2.5d' | '3d';
  readonly mode: 'infer' | 'train';
  readonly batch: number;
  readonly steps: number;
  /** Untimed steps first (a GPU backend compiles its shaders in them). */
  readonly warmup: number;
}

/** Times `c` on the active backend with a fresh model of its shape; leaves no tensors behind. */
export async function imagesPerSecond(c: SpeedCase): Promise<number> {
  const model = new ResNet18({ numClasses: c.numClasses, input: c.input, seed: 1, ...(c.volume ? { volume: c.volume } : {}) });
  const shape: number[] = [c.batch, ...(c.volume ? [c.size, c.size, c.size] : [c.size, c.size]), c.input === 'grey' ? 1 : 3];
  const x: ModelTensor = tf.randomUniform(shape, 0, 1, 'float32', 7) as tf.Tensor as ModelTensor;
  const y = tf.tensor1d(Int32Array.from({ length: c.batch }, (_, i) => i % c.numClasses), 'int32');
  const optimizer = new Adam();
  const variables = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const step = async () => {
    if (c.mode === 'infer') {
      const out = tf.tidy(() => model.predict(x));
      await out.data();
      out.dispose();
      return;
    }
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { bn: 'train' }), y), variables);
    await value.data();
    optimizer.apply(model.params, new Map(Object.entries(grads).map(([id, g]) => [nameOf.get(id)!, g])), () => ({ lr: 1e-4, weightDecay: 0 }));
    tf.dispose([value, ...Object.values(grads)]);
  };
  try {
    for (let i = 0; i < c.warmup; i++) await step();
    const start = performance.now();
    for (let i = 0; i < c.steps; i++) await step();
    return (c.batch * c.steps) / ((performance.now() - start) / 1000);
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}
