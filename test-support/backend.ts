import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { useMedxferKernels } from '@medxfer/models';

const require = createRequire(import.meta.url);
let wasmPathsSet = false;

/** Switches tfjs to `name` ('cpu' or 'wasm') for the tests that follow. */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<typeof tf> {
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
  // As the CLI and the web app do after choosing wasm.
  if (name === 'wasm') useMedxferKernels();
  return tf;
}
