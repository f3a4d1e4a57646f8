import { availableParallelism } from 'node:os';
import { limitSplits, SPLITS, transformForModel, type Split } from '@medxfer/data';
import { scoreSplit, type TestTimeAugmentation } from '@medxfer/train';
import { createGradientWorkers } from '@medxfer/train/node';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { activateBackend, BACKEND_CHOICES, evaluationBatchSize } from '../backend.js';
import { UsageError } from '../errors.js';
import { reportJson, reportText } from '../evaluation.js';
import { loadModelArg, runConfigOf } from '../model-dir.js';
import type { Output } from '../output.js';
import { runDatasetRoot } from '../run-config.js';
import { openFromArgs } from './datasets.js';
import { checkWorkers } from './train.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: "A trained model's metrics on a split of its dataset, for any task: MedMNIST's ACC/AUC, summary and per-class (or per-label) metrics with bootstrap CIs.",
  flags: {
    model: { type: 'string', value: 'DIR', description: 'a run folder or a model folder (required)' },
    split: { type: 'string', value: 'S', choices: SPLITS, default: 'test', description: 'split' },
    root: { type: 'string', value: 'DIR', description: "dataset folder (default: the run's own, else $MEDMNIST_ROOT or ~/.medmnist, then the bundled copy)" },
    verify: { type: 'boolean', default: true, description: 'check the official md5 (--no-verify accepts another copy)' },
    limit: { type: 'int', value: 'N', description: "score N images of the split, a stratified sample (seeded by the run's --seed, as --eval-limit)" },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples (0: none)' },
    seed: { type: 'int', value: 'N', default: 0, description: 'bootstrap seed' },
    tta: { type: 'string', value: 'T', choices: ['none', 'flip'], description: "test-time augmentation: flip averages each image's and its mirror's probabilities (default: the run's recipe when the model is in a run folder, else none)" },
    backend: { type: 'string', value: 'NAME', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
    workers: { type: 'int', value: 'N', description: "score on N threads (wasm/cpu, which use one core per process in Node): each batch's images shared, the same probabilities for any N (default: the cores on wasm/cpu, else 1)" },
  },
};

export async function evaluateCommand(args: ParsedArgs, out: Output): Promise<void> {
  const backend = await activateBackend(args.flags.backend as string);
  checkWorkers(args.flags.workers as number | undefined, backend.name);
  const loaded = await loadModelArg(args.flags.model as string | undefined);
  const run = runConfigOf(loaded.dir);
  const [flag, sizeText] = loaded.metadata.dataset.split('@');
  const size = Number(sizeText);
  if (!flag || !Number.isInteger(size)) throw new UsageError(`${loaded.dir}: the model's metadata names dataset "${loaded.metadata.dataset}", not <flag>@<size>`);
  const limit = args.flags.limit as number | undefined;
  if (limit !== undefined && limit < 1) throw new UsageError(`--limit must be at least 1, got ${limit}`);
  // The run's own dataset file unless the user names another: the same images it was scored on.
  const root = (args.flags.root as string | undefined) ?? (run?.dataset.flag === flag ? runDatasetRoot(run) : undefined);
  const verify = args.flags.root !== undefined || !run ? args.flags.verify : args.flags.verify !== false && run.dataset.checksum !== 'unverified';
  const data = await openFromArgs({ ...args, flags: { ...args.flags, size, ...(root ? { root } : {}), verify } }, out, flag);
  // The run's own subsets: --limit N draws what --train-limit/--eval-limit N drew for each split.
  const split = limitSplits(data.splits, { train: limit, eval: limit }, run?.seed ?? 0)[args.flags.split as Split];
  const tta = (args.flags.tta as TestTimeAugmentation | undefined) ?? run?.plan.tta ?? 'none';
  const bootstrap = args.flags.bootstrap as number;
  const batchSize = evaluationBatchSize(loaded.metadata.inputSize, loaded.metadata.volume !== undefined);
  const threaded = backend.name === 'wasm' || backend.name === 'cpu';
  const workers = (args.flags.workers as number | undefined) ?? (threaded ? availableParallelism() : 1);
  const parallel = workers > 1 ? createGradientWorkers({ workers, backend: backend.name as 'wasm' | 'cpu' }) : undefined;
  let score: Awaited<ReturnType<typeof scoreSplit>>;
  try {
    score = await scoreSplit(loaded.model, split, transformForModel(loaded.metadata), { tta, bootstrap, seed: args.flags.seed as number, batchSize, ...(parallel ? { parallel } : {}) });
  } finally {
    await parallel?.close();
    loaded.model.dispose();
  }
  const { report } = score;
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'undefined');
  const head = `${flag}@${size} ${split.split} (${split.count} images, ${report.task}, ${backend.name}${tta === 'flip' ? ', flip TTA' : ''}): ACC ${fmt(report.acc)}  AUC ${fmt(report.auc)}`;
  out.result(
    { model: loaded.dir, dataset: flag, size, split: split.split, n: split.count, backend: backend.name, tta, task: report.task, acc: report.acc, auc: report.auc, report: reportJson(report) },
    `${head}\n\n${reportText(report)}`,
  );
}
