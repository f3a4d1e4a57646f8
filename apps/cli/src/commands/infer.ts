import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeNpy, readNpy } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { loadStateDict, readCheckpoint, ResNet18 } from '@medxfer/models';
import { loadModelFromDir } from '@medxfer/models/node';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES } from '../backend.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';

export const inferSpec: CommandSpec = {
  name: 'infer',
  summary: 'Raw logits of an NCHW float32 batch (.npy) through ResNet18 with the given weights: the parity check against PyTorch.',
  flags: {
    weights: { type: 'string', value: 'FILE.pth|DIR', description: 'a torchvision checkpoint (.pth/.safetensors) or a saved medxfer model folder (required)' },
    input: { type: 'string', value: 'X.npy', description: 'float32 [N, C, H, W] (required)' },
    out: { type: 'string', value: 'Y.npy', description: 'where to write float32 [N, classes] logits (required)' },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
  },
  examples: ['medxfer infer --weights resnet18.pth --input batch.npy --out logits.npy --backend wasm'],
};

export async function inferCommand(args: ParsedArgs, out: Output): Promise<void> {
  for (const f of ['weights', 'input', 'out']) if (!args.flags[f]) throw new UsageError(`infer needs --${f}`);
  const inputPath = resolve(args.flags.input as string);
  const input = readNpy(new Uint8Array(await readFile(inputPath).catch(() => Promise.reject(new UsageError(`--input ${args.flags.input}: no such file`)))), inputPath);
  if (input.dtype !== 'f4' || input.shape.length !== 4) throw new UsageError(`${inputPath}: expected float32 [N, C, H, W], got ${input.dtype} [${input.shape.join(', ')}]`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const weightsPath = resolve(args.flags.weights as string);
  const isDir = await stat(weightsPath).then((s) => s.isDirectory(), () => Promise.reject(new UsageError(`--weights ${args.flags.weights}: no such file or folder`)));
  const backend = await activateBackend(args.flags.backend as string);
  let model: ResNet18;
  if (isDir) {
    model = (await loadModelFromDir(weightsPath)).model;
  } else {
    const state = readCheckpoint(new Uint8Array(await readFile(weightsPath)), weightsPath);
    const fc = state.get('fc.weight');
    const conv1 = state.get('conv1.weight');
    model = new ResNet18({ numClasses: fc?.shape[0] ?? 1000, input: conv1?.shape[1] === 1 ? 'single' : 'rgb' });
    loadStateDict(model, state);
  }
  const channels = model.input === 'rgb' ? 3 : 1;
  if (c !== channels) throw new UsageError(`${inputPath}: the model takes ${channels}-channel input, the batch has ${c}`);
  const started = performance.now();
  const logits = tf.tidy(() => model.predict(tf.transpose(tf.tensor4d(input.data as Float32Array, [n, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D));
  const values = (await logits.data()) as Float32Array;
  const seconds = (performance.now() - started) / 1000;
  const target = resolve(args.flags.out as string);
  await writeFileAtomic(target, encodeNpy(values, logits.shape));
  logits.dispose();
  out.result(
    { out: target, shape: [n, model.numClasses], backend: backend.name, seconds, weights: isDir ? join(weightsPath, 'model.json') : weightsPath },
    `wrote ${target}: float32 [${n}, ${model.numClasses}] logits (${backend.name}, ${seconds.toFixed(2)} s)`,
  );
  model.dispose();
}
