import type { EpochRecord, SplitScore, WorstError } from '@medxfer/train';
import type { RunConfig } from '../run-config.js';
import { renderReport } from './html.js';

/** What a finished run hands to its report. */
export interface RunReportInput {
  readonly config: RunConfig;
  readonly history: readonly EpochRecord[];
  readonly trainSeconds: number;
  readonly epochKept: number;
  readonly results: Readonly<Record<'val' | 'test', SplitScore>>;
  readonly worst: readonly WorstError[];
  readonly worstPng: Uint8Array | undefined;
}

/** Maps a finished run to the report renderer's input and renders report.html. */
export function renderRunReport(input: RunReportInput): string {
  const { config, results } = input;
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'undefined');
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
        ['Task', `${results.test.report.task} (${results.test.report.classNames.length} ${results.test.report.task === 'multi-label' ? 'labels' : 'classes'})`],
        ['ACC / AUC (val)', `${fmt(results.val.report.acc)} / ${fmt(results.val.report.auc)}`],
        ['ACC / AUC (test)', `${fmt(results.test.report.acc)} / ${fmt(results.test.report.auc)}`],
        ['dataset md5', config.dataset.md5 ?? 'not hashed (unverified file too large to hash unasked)'],
      ],
    },
    history: input.history,
    val: results.val.report,
    test: results.test.report,
    ...(input.worstPng ? { worstErrors: { png: btoa(Array.from(input.worstPng, (b) => String.fromCharCode(b)).join('')), columns: Math.ceil(Math.sqrt(input.worst.length)), split: 'test', items: input.worst } } : {}),
  });
}
