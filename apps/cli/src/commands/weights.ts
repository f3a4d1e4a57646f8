import { basename, extname, resolve } from 'node:path';
import { encodeSafetensors, encodeTorchCheckpoint, IMAGENET_RESNET18, loadImagenetResNet18Weights, loadStateDict, ResNet18, torchvisionStateDict, type ModelInput, type ModelMetadata } from '@medxfer/models';
import { writeFileAtomic } from '@medxfer/data/node';
import { MULTI_LABEL_THRESHOLD, outputActivation, taskKind } from '@medxfer/train';
import { loadModelArg } from '../model-dir.js';
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
    task: { type: 'string', value: 'T', choices: ['binary-class', 'multi-class', 'multi-label', 'ordinal-regression'], description: 'what the outputs mean (default: binary-class for 2 outputs, else multi-class); multi-label: a sigmoid per output' },
  },
};

export const downloadSpec: CommandSpec = {
  name: 'weights download',
  summary: `Download torchvision's ImageNet ResNet18 (${IMAGENET_RESNET18.fileName}) into torch hub's cache, sha256-checked.`,
  positionals: [{ name: 'model', required: true, description: 'resnet18' }],
  flags: {},
};

export const exportSpec: CommandSpec = {
  name: 'weights export',
  summary: 'Write a trained model as a torchvision ResNet18 state dict (.pth for torch.load, or .safetensors) plus a .json of its preprocessing.',
  flags: {
    model: { type: 'string', value: 'DIR', description: 'a run folder or a model folder (required)' },
    out: { type: 'string', value: 'FILE.pth|FILE.safetensors', description: 'the file to write (required); FILE.json beside it gets the preprocessing' },
  },
  examples: ['medxfer weights export --model runs/my-run --out my-run.pth'],
};

/** What a PyTorch user needs to feed the exported model as medxfer did, written beside it as JSON. */
function preprocessingOf(metadata: ModelMetadata, file: string): Record<string, unknown> {
  const grey = metadata.input !== 'rgb';
  return {
    format: 'torchvision resnet18 state dict', file, num_classes: metadata.classNames.length, class_names: metadata.classNames, task: metadata.task,
    input_size: metadata.inputSize, dataset: metadata.dataset, weights_source: metadata.weightsSource,
    activation: outputActivation(taskKind(metadata.task)) === 'sigmoid' ? `sigmoid per label (a finding is present when p > ${MULTI_LABEL_THRESHOLD})` : 'softmax',
    preprocessing: metadata.input === 'single'
      ? { steps: ['grey image', `resize to ${metadata.inputSize} (PIL bilinear)`, 'scale to [0, 1]', 'normalize'], mean: metadata.normalization.mean, std: metadata.normalization.std, conv1: 'one input channel: model.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False) before load_state_dict' }
      : { steps: [...(grey ? ['grey image repeated to 3 channels (transforms.Grayscale(3))'] : ['RGB image']), `resize to ${metadata.inputSize} (PIL bilinear)`, 'ToTensor (scale to [0, 1])', 'Normalize(mean, std)'], mean: metadata.normalization.mean, std: metadata.normalization.std },
  };
}

export async function weightsExport(args: ParsedArgs, out: Output): Promise<void> {
  const file = args.flags.out as string | undefined;
  if (!file || !['.pth', '.pt', '.safetensors'].includes(extname(file))) throw new UsageError('weights export needs --out FILE.pth (torch.load) or FILE.safetensors');
  await activateBackend('cpu');
  const loaded = await loadModelArg(args.flags.model as string | undefined);
  const state = torchvisionStateDict(loaded.model);
  loaded.model.dispose();
  const path = resolve(file);
  const bytes = extname(path) === '.safetensors'
    ? encodeSafetensors(new Map([...state].map(([k, t]) => [k, { dtype: t.data instanceof BigInt64Array ? 'int64' : 'float32', shape: t.shape, data: t.data }] as const)), { format: 'pt' })
    : encodeTorchCheckpoint(state, basename(path, extname(path)));
  await writeFileAtomic(path, bytes);
  const sidecar = path.replace(/\.[^.]+$/, '.json');
  await writeFileAtomic(sidecar, `${JSON.stringify(preprocessingOf(loaded.metadata, basename(path)), null, 2)}\n`);
  out.result({ out: path, preprocessing: sidecar, tensors: state.size, numClasses: loaded.metadata.classNames.length, input: loaded.metadata.input }, `wrote ${path} (${state.size} tensors, torchvision resnet18 with ${loaded.metadata.classNames.length} classes) and ${sidecar} (its preprocessing)`);
}

/** The MedMNIST task an imported head is for: as --task names it, else by its number of outputs. */
function importedTask(task: string | undefined, numClasses: number): ModelMetadata['task'] {
  if (task === 'multi-label') return 'multi-label, binary-class';
  if (task === 'binary-class' && numClasses !== 2) throw new UsageError(`--task binary-class needs a head of 2 outputs; the checkpoint's fc has ${numClasses}`);
  return (task as ModelMetadata['task'] | undefined) ?? (numClasses === 2 ? 'binary-class' : 'multi-class');
}

export async function weightsImport(args: ParsedArgs, out: Output): Promise<void> {
  if (!args.flags.out) throw new UsageError('weights import needs --out DIR');
  if (['none', 'imagenet-or-none'].includes(args.positionals[0]!)) throw new UsageError(`weights import needs a checkpoint: a .pth/.safetensors file, or imagenet; "${args.positionals[0]}" names no weights`);
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
    classNames, inputSize: args.flags.size as number, normalization: IMAGENET_NORMALIZATION, task: importedTask(args.flags.task as string | undefined, numClasses), dataset: 'imported', weightsSource: `file:${weights.sha256}`,
  });
  model.dispose();
  out.result({ out: dir, tensors: report.loaded.length, numClasses, input, sha256: weights.sha256 }, `imported ${report.loaded.length} tensors (${numClasses} classes, sha256 ${weights.sha256}) into ${dir}`);
}

export async function weightsDownload(args: ParsedArgs, out: Output): Promise<void> {
  if (args.positionals[0] !== 'resnet18') throw new UsageError(`weights download knows resnet18 only, got "${args.positionals[0]}"`);
  const w = await loadImagenetResNet18Weights({ store: torchHubStore(), fetch: cliFetch(), onProgress: downloadProgress(out) });
  out.result({ path: w.path, sha256: w.sha256, origin: w.origin }, `${w.origin === 'cache' ? 'already cached' : 'downloaded'}: ${w.path} (sha256 ${w.sha256})`);
}
