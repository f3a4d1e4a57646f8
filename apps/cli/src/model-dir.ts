import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LoadedModel } from '@medxfer/models';
import { loadModelFromDir } from '@medxfer/models/node';
import { UsageError } from './errors.js';
import type { RunConfig } from './run-config.js';

/** Loads a saved model from its folder, or from a run folder that holds one in `model/`. */
export async function loadModelArg(dir: string | undefined): Promise<LoadedModel & { dir: string }> {
  if (!dir) throw new UsageError('--model DIR is required (a run folder or its model/ folder)');
  const path = resolve(dir);
  const modelDir = existsSync(join(path, 'model.json')) ? path : existsSync(join(path, 'model', 'model.json')) ? join(path, 'model') : undefined;
  if (!modelDir) throw new UsageError(`--model ${dir}: no model.json there or in ${join(dir, 'model')}`);
  return { ...(await loadModelFromDir(modelDir)), dir: modelDir };
}

/** The config.json of the run a model was trained in (its run folder), if it is in one. */
export function runConfigOf(modelDir: string): RunConfig | undefined {
  const config = join(dirname(modelDir), 'config.json');
  if (!existsSync(config)) return undefined;
  try {
    return JSON.parse(readFileSync(config, 'utf8')) as RunConfig;
  } catch {
    return undefined;
  }
}
