// Scoring a split, for every task: the one place the CLI, the web app and library users get their numbers.
import { sourceIndexOf, type DatasetSplit, type ImageTransform } from '@medxfer/data';
import type { ResNet18 } from '@medxfer/models';
import { taskReport, type TaskReport } from '@medxfer/metrics';
import { predictSplit, type PredictOptions } from './predict.js';
import { predictionOf, taskOf } from './task.js';

/** One split's predictions and their full report. */
export interface SplitScore {
  readonly split: string;
  readonly count: number;
  /** The index of each image in the original split (they differ from 0, 1, … when the split is a subset). */
  readonly sourceIndices: Uint32Array;
  /** The split's labels as stored: `count` class indices, or `count × labels` 0/1 values (multi-label). */
  readonly labels: Uint8Array;
  /** `count × classes` probabilities (softmax rows, or per-label sigmoids). */
  readonly probs: Float32Array;
  readonly classes: number;
  readonly report: TaskReport;
}

export interface ScoreOptions extends PredictOptions {
  /** Bootstrap resamples for the confidence intervals (0 or absent: none). */
  readonly bootstrap?: number;
  /** Seed of the bootstrap (default 0). */
  readonly seed?: number;
}

/** The report of probabilities already computed for a split (see {@link scoreSplit}). */
export function scoreProbabilities(split: DatasetSplit, probs: Float32Array, classes: number, options: Pick<ScoreOptions, 'bootstrap' | 'seed'> = {}): SplitScore {
  const task = taskOf(split.info);
  const labels = task === 'multi-label' ? { data: split.labels, columns: split.labelWidth } : split.labels;
  const bootstrap = options.bootstrap ? { bootstrap: { samples: options.bootstrap, seed: options.seed ?? 0 } } : {};
  const report = taskReport(task, labels, { data: probs, columns: classes }, split.info.labels, bootstrap);
  const sourceIndices = Uint32Array.from({ length: split.count }, (_, i) => sourceIndexOf(split, i));
  return { split: split.split, count: split.count, sourceIndices, labels: split.labels, probs, classes, report };
}

/** Predicts a whole split in eval mode and reports it by the dataset's task (MedMNIST's ACC/AUC and every metric). */
export async function scoreSplit(model: ResNet18, split: DatasetSplit, transform: ImageTransform, options: ScoreOptions = {}): Promise<SplitScore> {
  const predictOptions = { ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.tta ? { tta: options.tta } : {}) };
  return scoreProbabilities(split, await predictSplit(model, split, transform, predictOptions), model.numClasses, options);
}

/** One of the worst errors of a split, described for a caption. */
export interface WorstError {
  /** The image's index in the original split (what captions show). */
  readonly index: number;
  /** Its position in the scored split (what a montage of that split takes). */
  readonly position: number;
  /** e.g. `true bacterial, predicted viral` or `cardiomegaly: present, missed`. */
  readonly caption: string;
  /** The probability the caption refers to, and what it is (e.g. `P(true class)`, `P(cardiomegaly)`). */
  readonly score: number;
  readonly scoreName: string;
}

/**
 * The images the model got most confidently wrong, up to `n`: single-label tasks by the lowest probability of the
 * true class among misclassified images; multi-label tasks by the largest |p − y| of a wrongly decided label.
 */
export function worstErrors(score: SplitScore, n = 16): WorstError[] {
  const { classes, probs, labels } = score;
  const names = score.report.classNames;
  const task = score.report.task;
  const wrong: (WorstError & { badness: number })[] = [];
  for (let i = 0; i < score.count; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    if (task === 'multi-label') {
      const findings = new Set(predictionOf(task, row).classes);
      let worst = -1;
      for (let j = 0; j < classes; j++) {
        const truth = labels[i * classes + j]!;
        const decided = findings.has(j) ? 1 : 0;
        if (decided !== truth && (worst < 0 || Math.abs(row[j]! - truth) > Math.abs(row[worst]! - labels[i * classes + worst]!))) worst = j;
      }
      if (worst >= 0) {
        const present = labels[i * classes + worst] === 1;
        wrong.push({ index: score.sourceIndices[i]!, position: i, caption: `${names[worst]}: ${present ? 'present, missed' : 'absent, predicted'}`, score: row[worst]!, scoreName: `P(${names[worst]})`, badness: Math.abs(row[worst]! - (present ? 1 : 0)) });
      }
      continue;
    }
    const predicted = predictionOf(task, row).classes[0]!;
    const truth = labels[i]!;
    if (predicted !== truth) wrong.push({ index: score.sourceIndices[i]!, position: i, caption: `true ${names[truth]}, predicted ${names[predicted]}`, score: row[truth]!, scoreName: 'P(true class)', badness: 1 - row[truth]! });
  }
  return wrong.sort((a, b) => b.badness - a.badness || a.position - b.position).slice(0, n).map(({ badness: _b, ...e }) => e);
}

/** Column-safe names: lower case, runs of other characters as `_`, made unique. */
function columnNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name, c) => {
    let base = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || `class_${c}`;
    if (seen.has(base)) base = `${base}_${c}`;
    seen.add(base);
    return base;
  });
}

/**
 * The predictions CSV of a split: `index` (in the original split), the label (`label`, or `label_<name>` per label for multi-label tasks)
 * and one probability column per class or label, `score_<name>`.
 */
export function predictionsCsv(score: SplitScore): string {
  const names = columnNames(score.report.classNames);
  const multi = score.report.task === 'multi-label';
  const width = multi ? score.classes : 1;
  const header = ['index', ...(multi ? names.map((n) => `label_${n}`) : ['label']), ...names.map((n) => `score_${n}`)];
  const rows = [header.join(',')];
  for (let i = 0; i < score.count; i++) {
    const labels = Array.from(score.labels.subarray(i * width, (i + 1) * width));
    const probs = Array.from(score.probs.subarray(i * score.classes, (i + 1) * score.classes), (p) => Number(p.toPrecision(7)));
    rows.push([score.sourceIndices[i], ...labels, ...probs].join(','));
  }
  return rows.join('\n') + '\n';
}
