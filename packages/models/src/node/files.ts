// Node.js helpers: a saved model as a folder (model.json + weights.bin), and torch hub's checkpoint cache.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FileStore } from '@medxfer/data';
import { nodeStore } from '@medxfer/data/node';
import { fileStoreHandler, loadModel, saveModel, type LoadedModel, type NamedIOHandler, type SavedModel, type SaveMetadata } from '../io/artifacts.js';
import type { ResNet18 } from '../resnet/model.js';

/** A tfjs IOHandler over a folder: `model.json` and `weights.bin` (the layout of tfjs-node's `file://`). */
export function dirHandler(dir: string): NamedIOHandler {
  return fileStoreHandler(nodeStore(resolve(dir)));
}

/**
 * Saves the model into `dir` (created if needed) as `model.json` + `weights.bin`. Each file is written
 * atomically (temporary file, fsync, rename), `weights.bin` first and `model.json` last.
 */
export function saveModelToDir(dir: string, model: ResNet18, metadata: SaveMetadata): Promise<SavedModel> {
  return saveModel(model, dirHandler(dir), metadata);
}

/** Loads a model saved by {@link saveModelToDir} (or any medxfer `model.json` + `weights.bin` folder). */
export function loadModelFromDir(dir: string): Promise<LoadedModel> {
  return loadModel(dirHandler(dir));
}

/**
 * torch hub's checkpoint folder, where torchvision caches `resnet18-f37072fd.pth`:
 * `$TORCH_HOME/hub/checkpoints`, `$TORCH_HOME` defaulting to `$XDG_CACHE_HOME/torch`, else `~/.cache/torch`.
 * Sharing it means weights PyTorch already downloaded are used as they are.
 */
export function torchHubCheckpointsDir(env: Record<string, string | undefined> = process.env): string {
  const torchHome = env.TORCH_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'torch');
  return resolve(torchHome, 'hub', 'checkpoints');
}

/** A {@link FileStore} over torch hub's checkpoint folder (or `dir`), for `loadImagenetResNet18Weights`. */
export function torchHubStore(dir: string = torchHubCheckpointsDir()): FileStore & { root: string } {
  return nodeStore(dir);
}
