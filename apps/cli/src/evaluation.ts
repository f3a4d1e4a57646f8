import { encodePng, montage, type DatasetSplit } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { formatMetric, metricLabel, type TaskReport } from '@medxfer/metrics';
import type { ResNet18 } from '@medxfer/models';
import { predictionsCsv, scoreSplit, worstErrors, type EpochRecord, type ParallelGradients, type SplitScore, type WorstError } from '@medxfer/train';
import { evaluationBatchSize } from './backend.js';
import type { RunConfig } from './run-config.js';
import { table, type Output } from './output.js';
import { renderRunReport } from './report/run-report.js';
import { RUN_FILES, runPath, writeJson } from './run-folder.js';

export interface RunEvaluation {
  readonly headline: Record<'val' | 'test', { acc: number; auc: number }>;
  readonly results: Record<'val' | 'test', SplitScore>;
}

export interface EvaluateRunInput {
  dir: string;
  model: ResNet18;
  config: RunConfig;
  splits: { val: DatasetSplit; test: DatasetSplit };
  history: readonly EpochRecord[];
  trainSeconds: number;
  epochKept: number;
  out: Output;
  /** Threads that share each batch's images (the run's training workers). */
  parallel?: ParallelGradients;
}

/** A report as metrics.json and `--json` hold it: everything but the curves (report.html draws those). */
export function reportJson(report: TaskReport): Record<string, unknown> {
  const { curves: _curves, reliability: _reliability, binary, ...rest } = report;
  return { ...rest, ...(binary ?? {}) };
}

/** The report as text: summary metrics with CIs, the per-class or per-label table, and what is undefined and why. */
export function reportText(report: TaskReport): string {
  const summary = table([
    ['metric', 'value', `${Math.round((report.bootstrap?.confidence ?? 0.95) * 100)}% CI`],
    ...Object.entries(report.summary).map(([key, value]) => {
      const ci = report.ci?.[key];
      return [metricLabel(key), formatMetric(value, 4), ci ? `${formatMetric(ci.lower, 4)}–${formatMetric(ci.upper, 4)}` : ''];
    }),
  ]);
  const what = report.task === 'multi-label' ? 'label' : 'class';
  const rows = table([
    [what, 'support', 'AUC', 'AP', 'sensitivity', 'specificity', 'precision', 'F1'],
    ...report.perClass.map((r) => [r.name, String(r.support), ...[r.rocAuc, r.averagePrecision, r.sensitivity, r.specificity, r.precision, r.f1].map((v) => formatMetric(v))]),
  ]);
  const matrix = report.confusionMatrix && report.task !== 'binary-class'
    ? `\nconfusion matrix (rows true, columns predicted):\n${table([['', ...report.classNames], ...report.confusionMatrix.map((r, i) => [report.classNames[i]!, ...r.map(String)])])}`
    : '';
  const binary = report.binary
    ? `\nconfusion (threshold ${report.binary.threshold}): TN ${report.binary.confusion.tn}  FP ${report.binary.confusion.fp}  FN ${report.binary.confusion.fn}  TP ${report.binary.confusion.tp}\nYouden threshold ${formatMetric(report.binary.youden.threshold, 4)} (sensitivity ${formatMetric(report.binary.youden.sensitivity, 4)}, specificity ${formatMetric(report.binary.youden.specificity, 4)})`
    : '';
  const undefinedLines = Object.entries(report.undefinedMetrics).map(([k, why]) => `undefined: ${k} — ${why}`);
  return [summary, '', `per ${what} (one-vs-rest):`, rows, matrix + binary, ...undefinedLines, `rule: ${report.rule}`].filter((s) => s !== '').join('\n');
}

/** A PNG montage of the worst errors of a split, if there are any. */
export function worstErrorsMontage(split: DatasetSplit, errors: readonly WorstError[]): Uint8Array | undefined {
  if (errors.length === 0) return undefined;
  // Volumes: one row of depth slices each.
  const length = split.info.dimensions === 3 ? errors.length : Math.ceil(Math.sqrt(errors.length));
  return encodePng(montage(split, { length, indices: errors.map((e) => e.position), gap: 1 }));
}

/** Scores val and test, and writes predictions, metrics.json, the worst-errors montage and report.html. */
export async function evaluateRun(input: EvaluateRunInput): Promise<RunEvaluation> {
  const { dir, model, config, splits, parallel } = input;
  const options = {
    bootstrap: config.bootstrap, seed: config.seed, batchSize: evaluationBatchSize(config.resize, config.volume !== undefined), ...(config.plan.tta ? { tta: config.plan.tta } : {}), ...(parallel ? { parallel } : {}),
  };
  const results = { val: await scoreSplit(model, splits.val, config.transform, options), test: await scoreSplit(model, splits.test, config.transform, options) };
  for (const r of Object.values(results)) await writeFileAtomic(runPath(dir, RUN_FILES.predictions(r.split)), predictionsCsv(r));
  const worst = worstErrors(results.test);
  const worstPng = worstErrorsMontage(splits.test, worst);
  if (worstPng) await writeFileAtomic(runPath(dir, RUN_FILES.worstErrors), worstPng);
  const test = results.test.report;
  await writeJson(runPath(dir, RUN_FILES.metrics), {
    dataset: config.dataset.flag, task: test.task, classNames: test.classNames, rule: test.rule,
    bootstrap: test.bootstrap ?? null, tta: config.plan.tta ?? 'none', epochKept: input.epochKept,
    val: reportJson(results.val.report), test: reportJson(test),
  });
  await writeFileAtomic(runPath(dir, RUN_FILES.report), renderRunReport({ ...input, results, worst, worstPng }));
  return { headline: { val: { acc: results.val.report.acc, auc: results.val.report.auc }, test: { acc: test.acc, auc: test.auc } }, results };
}
