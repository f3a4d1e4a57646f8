import { encodePng, montage, type DatasetSplit } from '@medxfer/data';
import { writeFileAtomic } from '@medxfer/data/node';
import { binaryReport, evaluate, type BinaryReport, type Evaluation } from '@medxfer/metrics';
import type { ResNet18 } from '@medxfer/models';
import { predictSplit, type EpochRecord, type TestTimeAugmentation } from '@medxfer/train';
import type { RunConfig } from './commands/train.js';
import type { Output } from './output.js';
import { predictionsCsv, RUN_FILES, runPath, writeJson } from './run-folder.js';

export interface SplitResult {
  readonly split: string;
  readonly count: number;
  readonly labels: Uint8Array;
  readonly probs: Float32Array;
  /** MedMNIST's headline numbers: ACC (binary: score > 0.5) and AUC. */
  readonly acc: number;
  readonly auc: number;
  /** Binary tasks: the full report with bootstrap CIs; other tasks: the evaluator's result. */
  readonly report: BinaryReport | Evaluation;
}

export interface RunEvaluation {
  readonly headline: Record<'val' | 'test', { acc: number; auc: number }>;
  readonly results: Record<'val' | 'test', SplitResult>;
}

/** Scores a split: probabilities → MedMNIST's ACC/AUC and, for binary tasks, every clinical metric with CIs. */
export function scoreSplit(model: ResNet18, split: DatasetSplit, config: Pick<RunConfig, 'transform' | 'bootstrap' | 'seed'> & { tta?: TestTimeAugmentation }): SplitResult {
  const probs = predictSplit(model, split, config.transform, config.tta ? { tta: config.tta } : {});
  const classes = model.numClasses;
  const task = split.info.task;
  if (task === 'binary-class') {
    const positive = Float64Array.from({ length: split.count }, (_, i) => probs[i * classes + 1]!);
    const report = binaryReport(split.labels, positive, config.bootstrap > 0 ? { bootstrap: { samples: config.bootstrap, seed: config.seed } } : {});
    return { split: split.split, count: split.count, labels: split.labels, probs, acc: report.accuracy, auc: report.rocAuc, report };
  }
  const evaluation = evaluate(task as 'multi-class', split.labels, { data: probs, columns: classes });
  return { split: split.split, count: split.count, labels: split.labels, probs, acc: evaluation.acc, auc: evaluation.auc, report: evaluation };
}

/** The test images the model got most confidently wrong (up to `n`), by probability of the true class. */
export function worstErrors(result: SplitResult, classes: number, n = 16): number[] {
  const wrong: { index: number; trueProb: number }[] = [];
  for (let i = 0; i < result.count; i++) {
    const row = result.probs.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
    if (best !== result.labels[i]) wrong.push({ index: i, trueProb: row[result.labels[i]!]! });
  }
  return wrong.sort((a, b) => a.trueProb - b.trueProb).slice(0, n).map((w) => w.index);
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
}

/** Scores val and test, and writes predictions, metrics.json, the worst-errors montage and report.html. */
export async function evaluateRun(input: EvaluateRunInput): Promise<RunEvaluation> {
  const { dir, model, config, splits } = input;
  const classes = model.numClasses;
  const scoring = { ...config, ...(config.plan.tta ? { tta: config.plan.tta } : {}) };
  const results = { val: scoreSplit(model, splits.val, scoring), test: scoreSplit(model, splits.test, scoring) };
  for (const r of Object.values(results)) await writeFileAtomic(runPath(dir, RUN_FILES.predictions(r.split)), predictionsCsv(r.labels, r.probs, classes));
  const worst = worstErrors(results.test, classes);
  const worstPng = worst.length ? encodePng(montage(splits.test, { length: Math.ceil(Math.sqrt(worst.length)), indices: worst, gap: 1 })) : undefined;
  if (worstPng) await writeFileAtomic(runPath(dir, RUN_FILES.worstErrors), worstPng);
  const metrics = {
    dataset: config.dataset.flag,
    task: splits.test.info.task,
    classNames: splits.test.info.labels,
    rule: splits.test.info.task === 'binary-class' ? 'predicted positive when score > 0.5 (MedMNIST); AUC from scores' : 'argmax (MedMNIST)',
    bootstrap: config.bootstrap > 0 ? { samples: config.bootstrap, seed: config.seed, confidence: 0.95, stratified: true } : null,
    epochKept: input.epochKept,
    val: { n: results.val.count, acc: results.val.acc, auc: results.val.auc, ...results.val.report },
    test: { n: results.test.count, acc: results.test.acc, auc: results.test.auc, ...results.test.report },
  };
  await writeJson(runPath(dir, RUN_FILES.metrics), metrics);
  await writeReport({ ...input, results, worst, worstPng });
  return { headline: { val: { acc: results.val.acc, auc: results.val.auc }, test: { acc: results.test.acc, auc: results.test.auc } }, results };
}

/** report.html: filled in by the report module. */
async function writeReport(input: EvaluateRunInput & { results: RunEvaluation['results']; worst: number[]; worstPng: Uint8Array | undefined }): Promise<void> {
  const { renderRunReport } = await import('./report/run-report.js');
  await writeFileAtomic(runPath(input.dir, RUN_FILES.report), renderRunReport(input));
}
