import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256Hex } from '@medxfer/data';
import { IMAGENET_RESNET18, loadImagenetResNet18Weights, readCheckpoint, WeightsUnavailableError, type CheckpointTensor } from '@medxfer/models';
import { torchHubStore } from '@medxfer/models/node';
import { UsageError } from './errors.js';
import type { Output } from './output.js';
import { cliFetch } from './network.js';
import { downloadProgress } from './progress.js';

/** The starting weights a run used, as recorded in config.json and the saved model. */
export interface WeightsChoice {
  readonly requested: string;
  /** `imagenet:resnet18-f37072fd`, `none (random init, seed N)` or `file:<path>`. */
  readonly source: string;
  readonly sha256?: string;
  readonly path?: string;
  readonly state?: Map<string, CheckpointTensor>;
  /** Why a fallback happened (imagenet-or-none offline). */
  readonly note?: string;
}

export const WEIGHTS_HELP = 'imagenet | imagenet-or-none | none | FILE.pth/.safetensors';

/** Fails early (before any slow start-up) when `--weights` names a file that does not exist. */
export function checkWeightsArg(spec: string): void {
  if (!['none', 'imagenet', 'imagenet-or-none'].includes(spec) && !existsSync(resolve(spec))) throw new UsageError(`--weights ${spec}: no such file (expected ${WEIGHTS_HELP})`);
}

/** Resolves `--weights`: ImageNet (torch hub cache, else download), none (random init) or a file. */
export async function chooseWeights(spec: string, seed: number, out: Output): Promise<WeightsChoice> {
  if (spec === 'none') return { requested: spec, source: `none (random init, seed ${seed})` };
  if (spec === 'imagenet' || spec === 'imagenet-or-none') {
    try {
      const w = await loadImagenetResNet18Weights({ store: torchHubStore(), fetch: cliFetch(), onProgress: downloadProgress(out) });
      return { requested: spec, source: w.source, sha256: w.sha256, path: w.path, state: w.state };
    } catch (error) {
      if (!(error instanceof WeightsUnavailableError)) throw error;
      if (spec === 'imagenet') {
        throw new WeightsUnavailableError(error.url, error.path, `${error.message} Or train without them: --weights imagenet-or-none (random weights when these are missing) or --weights none.`, { cause: error });
      }
      // Short: it is shown once here, recorded in config.json and the report, and repeated in the run's summary.
      const note = `ImageNet weights unavailable (${IMAGENET_RESNET18.fileName} is not in ${error.path.replace(/[/\\][^/\\]+$/, '')} and could not be downloaded), so training started from random weights`;
      out.note(`medxfer: ${note}`);
      return { requested: spec, source: `none (random init, seed ${seed})`, note };
    }
  }
  const path = resolve(spec);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new UsageError(`--weights ${spec}: no such file (expected ${WEIGHTS_HELP})`);
  }
  return { requested: spec, source: `file:${path}`, sha256: await sha256Hex(bytes), path, state: readCheckpoint(bytes, path) };
}
