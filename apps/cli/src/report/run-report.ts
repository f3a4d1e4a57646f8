import { precisionRecallCurve, reliabilityDiagram, rocCurve, type BinaryReport } from '@medxfer/metrics';
import type { EvaluateRunInput, RunEvaluation, SplitResult } from '../evaluation.js';
import { renderReport, type SplitEvaluation } from './html.js';

function splitEvaluation(result: SplitResult, classes: number): SplitEvaluation | undefined {
  if (!('rocAuc' in result.report)) return undefined; // the report's charts are for binary tasks
  const scores = Float64Array.from({ length: result.count }, (_, i) => result.probs[i * classes + classes - 1]!);
  return { report: result.report as BinaryReport, roc: rocCurve(result.labels, scores), pr: precisionRecallCurve(result.labels, scores), reliability: reliabilityDiagram(result.labels, scores) };
}

/** Maps a finished run to the report renderer's input and renders report.html. */
export function renderRunReport(input: EvaluateRunInput & { results: RunEvaluation['results']; worst: number[]; worstPng: Uint8Array | undefined }): string {
  const { config, results, model } = input;
  const classes = model.numClasses;
  const test = splitEvaluation(results.test, classes);
  const val = splitEvaluation(results.val, classes);
  return renderReport({
    run: {
      dataset: `${config.dataset.flag} (${config.dataset.size} px${config.dataset.checksum === 'official' ? '' : config.dataset.checksum === 'known-copy' ? ', bundled copy' : ', unverified copy'})`,
      preset: config.preset,
      weights: { name: config.weights.source, ...(config.weights.sha256 ? { sha256: config.weights.sha256 } : {}), ...(config.weights.note ? { source: config.weights.note } : {}) },
      backend: config.backend,
      imageSize: config.resize,
      seed: config.seed,
      epochs: input.history.length,
      wallSeconds: input.trainSeconds,
      epochKept: input.epochKept,
      date: config.createdAt,
      extra: [
        ['ACC / AUC (val)', `${results.val.acc.toFixed(4)} / ${results.val.auc.toFixed(4)}`],
        ['ACC / AUC (test)', `${results.test.acc.toFixed(4)} / ${results.test.auc.toFixed(4)}`],
        ['dataset md5', config.dataset.md5],
      ],
    },
    classNames: input.splits.test.info.labels,
    history: input.history,
    ...(val ? { val } : {}),
    ...(test ? { test } : {}),
    ...(input.worstPng
      ? {
          worstErrors: {
            png: btoa(Array.from(input.worstPng, (b) => String.fromCharCode(b)).join('')),
            columns: Math.ceil(Math.sqrt(input.worst.length)),
            split: 'test',
            items: input.worst.map((index) => ({ index, label: results.test.labels[index]!, score: results.test.probs[index * classes + classes - 1]! })),
          },
        }
      : {}),
  });
}
