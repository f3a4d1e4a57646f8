import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImageTransform } from '@medxfer/data';
import type { LoadedModel } from '@medxfer/models';
import { loadModelFromDir } from '@medxfer/models/node';
import { UsageError } from './errors.js';

/** Loads a saved model from its folder, or from a run folder that holds one in `model/`. */
export async function loadModelArg(dir: string | undefined): Promise<LoadedModel & { dir: string }> {
  if (!dir) throw new UsageError('--model DIR is required (a run folder or its model/ folder)');
  const path = resolve(dir);
  const modelDir = existsSync(join(path, 'model.json')) ? path : existsSync(join(path, 'model', 'model.json')) ? join(path, 'model') : undefined;
  if (!modelDir) throw new UsageError(`--model ${dir}: no model.json there or in ${join(dir, 'model')}`);
  return { ...(await loadModelFromDir(modelDir)), dir: modelDir };
}

/** The input pipeline a saved model expects. */
export function transformFor(loaded: LoadedModel): ImageTransform {
  const { metadata } = loaded;
  return metadata.input === 'rgb'
    ? { size: metadata.inputSize, channels: 3, normalization: metadata.normalization }
    : metadata.input === 'grey'
      ? { size: metadata.inputSize, channels: 1 }
      : { size: metadata.inputSize, channels: 1, normalization: metadata.normalization };
}
