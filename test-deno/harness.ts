// Shared helpers of the Deno suite: tiny asserts (no downloads, no std library), fixture paths and
// tfjs backend selection. Runs under `deno test` (see .ci/deno-test.sh).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { useMedxferKernels } from '@medxfer/models';

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new Error(message);
}

export function assertEquals(actual: unknown, expected: unknown, what = 'value'): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

/** |actual - expected| ≤ atol + rtol·|expected|, element by element. */
export function assertClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, atol: number, rtol = 0, what = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  if (a.length !== e.length) throw new Error(`${what}: length ${a.length}, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const limit = atol + rtol * Math.abs(e[i]!);
    if (!(Math.abs(a[i]! - e[i]!) <= limit)) throw new Error(`${what}[${i}]: got ${a[i]}, expected ${e[i]} ± ${limit}`);
  }
}

export function assertThrows(fn: () => unknown, type: abstract new (...args: never[]) => Error, pattern?: RegExp): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type)) throw new Error(`threw ${(error as Error)?.name}, expected ${type.name}: ${(error as Error)?.message}`);
    if (pattern && !pattern.test((error as Error).message)) throw new Error(`message "${(error as Error).message}" does not match ${pattern}`);
    return;
  }
  throw new Error(`did not throw ${type.name}`);
}

export async function assertRejects(fn: () => Promise<unknown>, type: abstract new (...args: never[]) => Error): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof type)) throw new Error(`rejected with ${(error as Error)?.name}, expected ${type.name}`);
    return;
  }
  throw new Error(`did not reject with ${type.name}`);
}

const repoRoot = new URL('../', import.meta.url);
/** The fixtures: `--shared=<dir>` after `--` (set by .ci/deno-test.sh), else the repository's test-support/shared/. */
export const sharedDir: string = Deno.args.find((a) => a.startsWith('--shared='))?.slice('--shared='.length) ?? new URL('test-support/shared', repoRoot).pathname;

export const readShared = (...parts: string[]): Uint8Array => Deno.readFileSync([sharedDir, ...parts].join('/'));

let wasmPathsSet = false;
/** Selects a tfjs backend for the tests that follow. */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', repoRoot).pathname);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
  if (name === 'wasm') useMedxferKernels();
}

/** NCHW float32 (PyTorch's layout) to an NHWC tensor. */
export const nchwToNhwc = (data: Float32Array, shape: readonly number[]): tf.Tensor4D =>
  tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]));
