import { taskReport, type TaskKind } from '@medxfer/metrics';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { reportJson, reportText } from '../evaluation.js';
import type { Output } from '../output.js';
import { bootstrapProgress } from '../progress.js';
import { readMatrix, selectColumns, type Matrix } from '../tabular.js';

export const metricsSpec: CommandSpec = {
  name: 'metrics',
  summary: 'The full metrics report for any predictions: labels and scores as CSV (header optional) or NPY.',
  flags: {
    labels: { type: 'string', value: 'FILE', description: 'labels: one column (class index) or one 0/1 column per label (required)' },
    scores: { type: 'string', value: 'FILE', description: 'scores: positive-class probability, or one probability column per class/label (required)' },
    task: { type: 'string', value: 'T', choices: ['binary', 'multi-class', 'ordinal', 'multi-label'], default: 'binary', description: 'task' },
    'class-names': { type: 'string', value: 'A,B,…', description: 'names of the classes or labels, comma-separated (default: the CSV header, else class 0, class 1, …)' },
    threshold: { type: 'number', value: 'T', default: 0.5, description: 'binary and multi-label decision threshold (score > T)' },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples for 95% CIs (0: none)' },
    seed: { type: 'int', value: 'N', default: 0, description: 'bootstrap seed' },
  },
  examples: ['medxfer metrics --labels runs/x/predictions-test.csv --scores runs/x/predictions-test.csv', 'medxfer metrics --task multi-label --labels y.npy --scores p.npy'],
};

const TASKS: Record<string, TaskKind> = { binary: 'binary-class', 'multi-class': 'multi-class', ordinal: 'ordinal-regression', 'multi-label': 'multi-label' };

/** Binary scores as [n, 2] probabilities: a single positive-class column p becomes (1 − p, p). */
function binaryProbabilities(scores: Matrix): { data: Float64Array; columns: number } {
  if (scores.columns === 2) return { data: scores.data, columns: 2 };
  if (scores.columns !== 1) throw new UsageError(`binary scores need 1 or 2 columns, got ${scores.columns}`);
  const data = new Float64Array(scores.rows * 2);
  for (let r = 0; r < scores.rows; r++) (data[2 * r] = 1 - scores.data[r]!), (data[2 * r + 1] = scores.data[r]!);
  return { data, columns: 2 };
}

function classNamesOf(args: ParsedArgs, scores: Matrix): string[] {
  const given = args.flags['class-names'] as string | undefined;
  if (given) return given.split(',').map((n) => n.trim());
  return scores.header?.map((h) => h.replace(/^score_?/, '')) ?? [];
}

export async function metricsCommand(args: ParsedArgs, out: Output): Promise<void> {
  if (!args.flags.labels || !args.flags.scores) throw new UsageError('metrics needs --labels FILE and --scores FILE');
  // A medxfer predictions CSV (`index,label…,score_<class>…`) can serve as both: labels from `label*`, scores from `score_*`.
  const labels = selectColumns(await readMatrix(args.flags.labels as string, '--labels'), (name) => name === 'label' || name.startsWith('label_'));
  const scores = selectColumns(await readMatrix(args.flags.scores as string, '--scores'), (name) => name.startsWith('score'));
  if (labels.rows !== scores.rows) throw new UsageError(`${labels.rows} labels but ${scores.rows} scores`);
  if (scores.rows === 0) throw new UsageError(`${args.flags.scores}: no rows of numbers (only a header?)`);
  const task = TASKS[args.flags.task as string]!;
  const bootstrap = args.flags.bootstrap as number;
  const probabilities = task === 'binary-class' ? binaryProbabilities(scores) : { data: scores.data, columns: scores.columns };
  const labelInput = task === 'multi-label' ? { data: labels.data, columns: labels.columns } : labels.data;
  const names = task === 'binary-class' && scores.columns === 1 && !args.flags['class-names'] ? ['negative', 'positive'] : classNamesOf(args, scores);
  if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new UsageError(`--bootstrap must be a whole number ≥ 0 (0: no intervals), got ${bootstrap}`);
  // Large inputs take a while: say how far the bootstrap is (100k rows and more).
  const onProgress = scores.rows >= 100_000 ? { onProgress: bootstrapProgress(out) } : {};
  const report = taskReport(task, labelInput, probabilities, names, {
    threshold: args.flags.threshold as number, ...(bootstrap > 0 ? { bootstrap: { samples: bootstrap, seed: args.flags.seed as number, ...onProgress } } : {}),
  });
  out.result({ task: args.flags.task, ...reportJson(report) }, `${args.flags.task}: ${scores.rows} samples\n${reportText(report)}`);
}
