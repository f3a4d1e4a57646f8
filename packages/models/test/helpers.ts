import { readFileSync } from 'node:fs';
import { readNpy } from '@medxfer/data';
import * as tf from '@tensorflow/tfjs-core';
import { sharedPath } from '../../../test-support/paths.js';

export const torchFixture = (...parts: string[]) => sharedPath('fixtures', 'torch', ...parts);
export const readBytes = (path: string) => new Uint8Array(readFileSync(path));
export const npyFixture = (...parts: string[]) => readNpy(readBytes(torchFixture(...parts)), parts.join('/'));

/** NCHW float32 → NHWC tensor. */
export const nchwToNhwc = (data: Float32Array, shape: readonly number[]) => tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D);

/** Checks |ours − ref| ≤ atol + rtol·|ref| elementwise; returns the worst excess ratio (≤ 1 passes). */
export function worstRatio(ours: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!) / (atol + rtol * Math.abs(ref[i]!)));
  return worst;
}

export const argmaxRows = (data: ArrayLike<number>, cols: number) =>
  Array.from({ length: data.length / cols }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    return best;
  });

/** Runs `fn`, expecting it to throw; returns the error. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
