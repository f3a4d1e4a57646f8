import type * as tf from '@tensorflow/tfjs-core';

/**
 * A tensor's values, read asynchronously and the tensor disposed. Training and evaluation read only this way:
 * WebGPU has no synchronous read (tfjs-webgpu's goes through an OffscreenCanvas, absent in Node, and on
 * SwiftShader it loses the device).
 */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Variables' values as plain arrays (copies), read asynchronously (see {@link readAndDispose}). */
export async function readVariables(variables: Iterable<[string, tf.Tensor]>): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const entries = [...variables];
  // All reads in flight at once: a GPU maps its buffers in parallel.
  const values = await Promise.all(entries.map(([, v]) => v.data()));
  return new Map(entries.map(([name, v], i) => [name, { shape: [...v.shape], data: (values[i] as Float32Array).slice() }]));
}
