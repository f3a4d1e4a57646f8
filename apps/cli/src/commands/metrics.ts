import { binaryReport, evaluate, type BinaryReport } from '@medxfer/metrics';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { table, type Output } from '../output.js';
import { readMatrix, selectColumns } from '../tabular.js';

export const metricsSpec: CommandSpec = {
  name: 'metrics',
  summary: 'The full metrics report for any predictions: labels and scores as CSV (header optional) or NPY.',
  flags: {
    labels: { type: 'string', value: 'FILE', description: 'labels: one column (class index) or one 0/1 column per label (required)' },
    scores: { type: 'string', value: 'FILE', description: 'scores: positive-class score, or one probability column per class/label (required)' },
    task: { type: 'string', value: 'T', choices: ['binary', 'multi-class', 'multi-label'], default: 'binary', description: 'task' },
    threshold: { type: 'number', value: 'T', default: 0.5, description: 'binary decision threshold (score > T)' },
    bootstrap: { type: 'int', value: 'N', default: 1000, description: 'bootstrap resamples for 95% CIs (0: none)' },
    seed: { type: 'int', value: 'N', default: 0, description: 'bootstrap seed' },
  },
  examples: ['medxfer metrics --labels runs/x/predictions-test.csv --scores runs/x/predictions-test.csv'],
};

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

export function binaryTable(r: BinaryReport): string {
  const names: [string, keyof BinaryReport][] = [
    ['accuracy', 'accuracy'], ['balanced accuracy', 'balancedAccuracy'], ['sensitivity', 'sensitivity'], ['specificity', 'specificity'],
    ['precision (PPV)', 'precision'], ['NPV', 'npv'], ['F1', 'f1'], ['MCC', 'mcc'], ["Cohen's kappa", 'cohensKappa'], ['ROC AUC', 'rocAuc'],
    ['average precision', 'averagePrecision'], ['Brier', 'brier'], ['log loss', 'logLoss'], ['ECE', 'ece'],
  ];
  const ci = (r as { ci?: Record<string, { lower: number; upper: number }> }).ci;
  const rows = names.map(([label, key]) => [label, fmt(r[key] as number), ci?.[key as string] ? `${fmt(ci[key as string]!.lower)}–${fmt(ci[key as string]!.upper)}` : '']);
  const c = r.confusion;
  return `${table([['metric', 'value', '95% CI'], ...rows])}\nconfusion (threshold ${r.threshold}): TN ${c.tn}  FP ${c.fp}  FN ${c.fn}  TP ${c.tp}\nYouden threshold ${fmt(r.youden.threshold)} (sensitivity ${fmt(r.youden.sensitivity)}, specificity ${fmt(r.youden.specificity)})`;
}

export async function metricsCommand(args: ParsedArgs, out: Output): Promise<void> {
  if (!args.flags.labels || !args.flags.scores) throw new UsageError('metrics needs --labels FILE and --scores FILE');
  // A medxfer predictions CSV (`index,label,score_<class>…`) can serve as both: labels from `label`, scores from `score_*`.
  const labelColumn = selectColumns(await readMatrix(args.flags.labels as string, '--labels'), (name) => name === 'label' || name.startsWith('label_'));
  const scores = selectColumns(await readMatrix(args.flags.scores as string, '--scores'), (name) => name.startsWith('score'));
  if (labelColumn.rows !== scores.rows) throw new UsageError(`${labelColumn.rows} labels but ${scores.rows} scores`);
  const task = args.flags.task as string;
  const bootstrap = args.flags.bootstrap as number;
  if (task === 'binary') {
    if (scores.columns > 2) throw new UsageError(`binary scores need 1 or 2 columns, got ${scores.columns}`);
    const positive = Float64Array.from({ length: scores.rows }, (_, r) => scores.data[r * scores.columns + scores.columns - 1]!);
    const report = binaryReport(labelColumn.data, positive, { threshold: args.flags.threshold as number, ...(bootstrap > 0 ? { bootstrap: { samples: bootstrap, seed: args.flags.seed as number } } : {}) });
    out.result({ task, n: scores.rows, ...report }, binaryTable(report));
    return;
  }
  const evaluation = evaluate(task === 'multi-class' ? 'multi-class' : 'multi-label', task === 'multi-label' ? { data: labelColumn.data, columns: labelColumn.columns } : labelColumn.data, { data: scores.data, columns: scores.columns });
  out.result({ n: scores.rows, ...evaluation }, `${task}: ${scores.rows} samples\nAUC ${fmt(evaluation.auc)}\nACC ${fmt(evaluation.acc)}`);
}
