import { SPLITS, subsetSplit, type Split } from '@medxfer/data';
import type { BinaryReport } from '@medxfer/metrics';
import type { TestTimeAugmentation } from '@medxfer/train';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES } from '../backend.js';
import { UsageError } from '../errors.js';
import { scoreSplit } from '../evaluation.js';
import { loadModelArg, runTta, transformFor } from '../model-dir.js';
import type { Output } from '../output.js';
import { openFromArgs } from './datasets.js';
import { binaryTable } from './metrics.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: "A trained model's metrics on a split of its dataset (MedMNIST's ACC/AUC and, for binary tasks, the clinical metrics with bootstrap CIs).",
  flags: {
    model: { type: 'string', value: 'DIR', description: 'a run folder or a model folder (required)' },
    split: { type: 'string', value: 'S', choices: SPLITS, default: 'test', description: 'split' },
    root: { type: 'string', value: 'DIR', description: 'dataset folder (default: $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy)' },
    verify: { type: 'boolean', default: true, description: 'check the official md5 (--no-verify accepts another copy)' },
    limit: { type: 'int', value: 'N', description: 'score only the first N images of the split' },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples (0: none)' },
    seed: { type: 'int', value: 'N', default: 0, description: 'bootstrap seed' },
    tta: { type: 'string', value: 'T', choices: ['none', 'flip'], description: "test-time augmentation: flip averages each image's and its mirror's probabilities (default: the run's recipe when the model is in a run folder, else none)" },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
  },
};

export async function evaluateCommand(args: ParsedArgs, out: Output): Promise<void> {
  const backend = await activateBackend(args.flags.backend as string);
  const loaded = await loadModelArg(args.flags.model as string | undefined);
  const [flag, sizeText] = loaded.metadata.dataset.split('@');
  const size = Number(sizeText);
  if (!flag || !Number.isInteger(size)) throw new UsageError(`${loaded.dir}: the model's metadata names dataset "${loaded.metadata.dataset}", not <flag>@<size>`);
  const data = await openFromArgs({ ...args, flags: { ...args.flags, size } }, out, flag);
  const whole = data.splits[args.flags.split as Split];
  const limit = args.flags.limit as number | undefined;
  if (limit !== undefined && limit < 1) throw new UsageError(`--limit must be at least 1, got ${limit}`);
  const split = limit && limit < whole.count ? subsetSplit(whole, Array.from({ length: limit }, (_, i) => i)) : whole;
  const tta = (args.flags.tta as TestTimeAugmentation | undefined) ?? runTta(loaded.dir) ?? 'none';
  const result = scoreSplit(loaded.model, split, { transform: transformFor(loaded), bootstrap: args.flags.bootstrap as number, seed: args.flags.seed as number, tta });
  loaded.model.dispose();
  const head = `${flag}@${size} ${split.split} (${split.count} images, ${backend.name}${tta === 'flip' ? ', flip TTA' : ''}): ACC ${result.acc.toFixed(4)}  AUC ${result.auc.toFixed(4)}`;
  out.result(
    { model: loaded.dir, dataset: flag, size, split: split.split, n: split.count, backend: backend.name, tta, acc: result.acc, auc: result.auc, report: result.report },
    split.info.task === 'binary-class' ? `${head}\n\n${binaryTable(result.report as BinaryReport)}` : head,
  );
}
