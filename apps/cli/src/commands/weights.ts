import { resolve } from 'node:path';
import { IMAGENET_RESNET18, loadImagenetResNet18Weights, loadStateDict, ResNet18, type ModelInput } from '@medxfer/models';
import { saveModelToDir, torchHubStore } from '@medxfer/models/node';
import { IMAGENET_NORMALIZATION } from '@medxfer/data';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { cliFetch } from '../network.js';
import { downloadProgress } from '../progress.js';
import { chooseWeights } from '../weights-source.js';

export const importSpec: CommandSpec = {
  name: 'weights import',
  summary: 'Convert a torchvision ResNet18 checkpoint (.pth zip or legacy, .safetensors) into a medxfer model folder (tfjs format).',
  positionals: [{ name: 'file', required: true, description: 'the checkpoint' }],
  flags: {
    out: { type: 'string', value: 'DIR', description: 'model folder to write (required)' },
    size: { type: 'int', value: 'PX', default: 224, description: 'input size recorded in the metadata' },
    classes: { type: 'list', value: 'A,B,…', description: 'class names (default: class0…classN)' },
  },
};

export const downloadSpec: CommandSpec = {
  name: 'weights download',
  summary: `Download torchvision's ImageNet ResNet18 (${IMAGENET_RESNET18.fileName}) into torch hub's cache, sha256-checked.`,
  positionals: [{ name: 'model', required: true, description: 'resnet18' }],
  flags: {},
};

export async function weightsImport(args: ParsedArgs, out: Output): Promise<void> {
  if (!args.flags.out) throw new UsageError('weights import needs --out DIR');
  const weights = await chooseWeights(args.positionals[0]!, 0, out);
  await activateBackend('wasm');
  const state = weights.state!;
  const numClasses = state.get('fc.weight')?.shape[0] ?? 1000;
  const input: ModelInput = state.get('conv1.weight')?.shape[1] === 1 ? 'single' : 'rgb';
  const model = new ResNet18({ numClasses, input });
  const report = loadStateDict(model, state);
  const classNames = (args.flags.classes as string[] | undefined) ?? Array.from({ length: numClasses }, (_, i) => `class${i}`);
  if (classNames.length !== numClasses) throw new UsageError(`--classes names ${classNames.length} classes but the checkpoint's fc has ${numClasses}`);
  const dir = resolve(args.flags.out as string);
  await saveModelToDir(dir, model, {
    classNames, inputSize: args.flags.size as number, normalization: IMAGENET_NORMALIZATION, task: numClasses === 2 ? 'binary-class' : 'multi-class', dataset: 'imported', weightsSource: `file:${weights.sha256}`,
  });
  model.dispose();
  out.result({ out: dir, tensors: report.loaded.length, numClasses, input, sha256: weights.sha256 }, `imported ${report.loaded.length} tensors (${numClasses} classes, sha256 ${weights.sha256}) into ${dir}`);
}

export async function weightsDownload(args: ParsedArgs, out: Output): Promise<void> {
  if (args.positionals[0] !== 'resnet18') throw new UsageError(`weights download knows resnet18 only, got "${args.positionals[0]}"`);
  const w = await loadImagenetResNet18Weights({ store: torchHubStore(), fetch: cliFetch(), onProgress: downloadProgress(out) });
  out.result({ path: w.path, sha256: w.sha256, origin: w.origin }, `${w.origin === 'cache' ? 'already cached' : 'downloaded'}: ${w.path} (sha256 ${w.sha256})`);
}
