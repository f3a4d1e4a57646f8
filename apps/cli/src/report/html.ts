// The HTML report of a training run: one self-contained page (inline CSS and SVG, the montage as a
// data URL; no scripts, no external requests). `renderReport` is a pure function of its input.
import { formatMetric, metricLabel, type ConfidenceInterval, type TaskReport } from '@medxfer/metrics';
import type { EpochRecord, WorstError } from '@medxfer/train';
import { confusionGridChart, escapeXml, lineChart, PALETTE, prChart, reliabilityChart, rocChart, type Series, type VerticalMarker } from './svg.js';

/** The weights a run started from. */
export interface WeightsInfo {
  /** e.g. `imagenet`, `none` (from scratch), or a file name. */
  readonly name: string;
  /** Checksum of the weight file (hex), when one was used. */
  readonly sha256?: string;
  /** Where they came from (a path or a description); shown as text, never linked. */
  readonly source?: string;
}

/** What was run. */
export interface RunSummary {
  readonly dataset: string;
  readonly preset: string;
  readonly weights: WeightsInfo;
  /** tfjs backend, e.g. `wasm`. */
  readonly backend: string;
  /** Input size in px: one number (square) or [height, width]. */
  readonly imageSize: number | readonly [number, number];
  readonly seed: number;
  /** Epochs run (all phases). */
  readonly epochs: number;
  /** Wall-clock time of the whole run, in seconds. */
  readonly wallSeconds: number;
  /** The epoch whose weights were kept (keep-best), if any. */
  readonly epochKept?: number;
  /** Why training stopped early, if it did. */
  readonly stoppedEarly?: string;
  /** When the run started/ended, already formatted (the renderer reads no clock). */
  readonly date?: string;
  /** Any further rows for the summary table, shown as given (escaped). */
  readonly extra?: readonly (readonly [string, string])[];
}

/** A montage of the worst errors, tiled left to right, top to bottom in `items` order. */
export interface ErrorMontage {
  /** The PNG, base64 (with or without the `data:image/png;base64,` prefix). */
  readonly png: string;
  /** One caption per tile (what `worstErrors` of @medxfer/train returns). */
  readonly items: readonly WorstError[];
  /** Split the errors come from (default `test`). */
  readonly split?: string;
  /** Tiles per row, for the caption (optional). */
  readonly columns?: number;
}

export interface ReportInput {
  /** Page title (default `medxfer — <dataset>`). */
  readonly title?: string;
  readonly run: RunSummary;
  /** Training history, one row per epoch, as `train()` returns it. */
  readonly history: readonly EpochRecord[];
  /** The reports of the splits, from `taskReport` / `scoreSplit` (any task). */
  readonly val?: TaskReport;
  readonly test?: TaskReport;
  readonly worstErrors?: ErrorMontage;
}

/** `0.912`, or `undefined` for an undefined (NaN) or missing value. */
export function formatValue(v: number | undefined, digits = 3): string {
  return formatMetric(v, digits);
}

/** `0.912 (0.889–0.934)`; the interval is left out when absent or undefined. */
export function formatWithCi(v: number, ci?: ConfidenceInterval, digits = 3): string {
  const value = formatValue(v, digits);
  if (!ci || !Number.isFinite(ci.lower) || !Number.isFinite(ci.upper) || !Number.isFinite(v)) return value;
  return `${value} (${ci.lower.toFixed(digits)}–${ci.upper.toFixed(digits)})`;
}

/** `1 h 02 min`, `3 min 07 s`, `12.3 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The montage as a `data:` URL; throws on anything but base64 (so nothing can escape the attribute). */
function pngDataUrl(png: string): string {
  const raw = png.startsWith('data:image/png;base64,') ? png.slice('data:image/png;base64,'.length) : png;
  const compact = raw.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new Error('renderReport: worstErrors.png must be base64 PNG data (optionally a data:image/png;base64, URL)');
  return `data:image/png;base64,${compact}`;
}

const h = escapeXml;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d1d1f; background: #f6f7f9; }
main { max-width: 1120px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid #e3e5e8; }
.subtitle { color: #5f6368; margin: 0 0 20px; }
section { background: #fff; border: 1px solid #e3e5e8; border-radius: 8px; padding: 18px 20px; margin: 0 0 18px; }
table { border-collapse: collapse; }
th, td { padding: 5px 12px; text-align: left; border-bottom: 1px solid #eef0f2; vertical-align: top; }
th { font-weight: 600; color: #3c4043; }
table.summary th { width: 190px; }
table.metrics td.num, table.metrics th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.metrics tbody tr:nth-child(even) { background: #fafbfc; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f3f4; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.charts figure { margin: 0; }
figcaption { font-size: 12px; color: #5f6368; margin-top: 4px; max-width: 520px; }
.note { color: #5f6368; font-size: 12px; margin: 8px 0 0; }
.montage img { width: 100%; max-width: 640px; height: auto; image-rendering: pixelated; border: 1px solid #ddd; background: #000; }
.note.warning { color: #8a4b00; background: #fff4e0; border-left: 3px solid #e69500; padding: 6px 10px; }
.errors { font-size: 12px; margin: 8px 0 0; padding-left: 28px; }
.errors li { margin: 2px 0; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
`;

function summarySection(input: ReportInput): string {
  const r = input.run;
  const size = typeof r.imageSize === 'number' ? `${r.imageSize} × ${r.imageSize}` : `${r.imageSize[0]} × ${r.imageSize[1]}`;
  const weights = `${h(r.weights.name)}${r.weights.source ? ` <span class="note">(${h(r.weights.source)})</span>` : ''}`;
  const rows: [string, string][] = [
    ['Dataset', h(r.dataset)],
    ['Preset', h(r.preset)],
    ['Weights', weights],
    ['Weights SHA-256', r.weights.sha256 ? `<code>${h(r.weights.sha256)}</code>` : '—'],
    ['Backend', h(r.backend)],
    ['Image size', `${h(size)} px`],
    ['Seed', h(r.seed)],
    ['Epochs', h(r.epochs)],
    ['Wall time', h(formatDuration(r.wallSeconds))],
  ];
  if (r.epochKept !== undefined) rows.push(['Epoch kept', h(r.epochKept)]);
  if (r.stoppedEarly) rows.push(['Stopped early', h(r.stoppedEarly)]);
  if (r.date) rows.push(['Date', h(r.date)]);
  for (const [k, v] of r.extra ?? []) rows.push([h(k), h(v)]);
  const body = rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('');
  return `<section id="summary"><h2>Run summary</h2><table class="summary"><tbody>${body}</tbody></table></section>`;
}

function splitsOf(input: ReportInput): [string, TaskReport][] {
  const out: [string, TaskReport][] = [];
  if (input.val) out.push(['Validation', input.val]);
  if (input.test) out.push(['Test', input.test]);
  return out;
}

const row = (cells: readonly string[], head = false) => `<tr>${cells.map((c, i) => (head ? `<th${i ? ' class="num"' : ''}>${c}</th>` : `<td${i ? ' class="num"' : ''}>${c}</td>`)).join('')}</tr>`;

function binaryRows(splits: readonly [string, TaskReport][]): string[] {
  if (!splits.every(([, r]) => r.binary)) return [];
  return [
    row(['Decision threshold', ...splits.map(([, r]) => h(formatValue(r.binary!.threshold)))]),
    row(['Youden threshold (sens / spec)', ...splits.map(([, r]) => {
      const y = r.binary!.youden;
      return h(`${formatValue(y.threshold)} (${formatValue(y.sensitivity)} / ${formatValue(y.specificity)})`);
    })]),
  ];
}

function undefinedNotes(splits: readonly [string, TaskReport][]): string {
  const notes = splits.flatMap(([name, r]) => Object.entries(r.undefinedMetrics).map(([k, why]) => `<li>${h(name)}: ${h(metricLabel(k))} is undefined — ${h(why)}</li>`));
  return notes.length ? `<ul class="note undefined">${notes.join('')}</ul>` : '';
}

/** Metrics whose validation and test values differ by more than `gap`: the test split may come from elsewhere. */
export function splitDisagreements(val: TaskReport, test: TaskReport, gap = 0.1): { key: string; val: number; test: number }[] {
  const keys = ['accuracy', 'meanLabelAccuracy', 'balancedAccuracy', 'sensitivity', 'specificity', 'precision', 'npv', 'rocAuc', 'macroAuc'];
  return keys
    .filter((k) => Number.isFinite(val.summary[k]) && Number.isFinite(test.summary[k]) && Math.abs(val.summary[k]! - test.summary[k]!) > gap)
    .map((k) => ({ key: k, val: val.summary[k]!, test: test.summary[k]! }));
}

function disagreementNote(input: ReportInput): string {
  if (!input.val || !input.test) return '';
  const found = splitDisagreements(input.val, input.test);
  if (found.length === 0) return '';
  const list = found.map((d) => `${metricLabel(d.key)} ${formatValue(d.val)} → ${formatValue(d.test)}`).join(', ');
  return `<p class="note warning" id="split-disagreement">Validation and test disagree by more than 0.10 on ${h(list)}. The test images may differ from the training and validation ones (another hospital, device or period): expect the test numbers, not the validation ones, on new data.</p>`;
}

function metricsSection(input: ReportInput): string {
  const splits = splitsOf(input);
  if (splits.length === 0) return `<section id="metrics"><h2>Metrics</h2><p class="note">No evaluation was run.</p></section>`;
  const keys = [...new Set(splits.flatMap(([, r]) => Object.keys(r.summary)))];
  const rows = keys.map((key) => row([h(metricLabel(key)), ...splits.map(([, r]) => h(formatWithCi(r.summary[key]!, r.ci?.[key])))]));
  const support = splits.map(([, r]) => (r.task === 'binary-class' ? `${r.n} (${r.perClass[1]!.support})` : String(r.n)));
  rows.push(row([r0(splits), ...support]), ...binaryRows(splits));
  const boot = splits.map(([, r]) => r.bootstrap).find((b) => b !== undefined);
  const ciNote = boot ? `In parentheses: ${Math.round(boot.confidence * 100)}% percentile bootstrap confidence intervals (${boot.samples} resamples${boot.stratified ? ', stratified by label' : ''}). ` : '';
  const rules = [...new Set(splits.map(([, r]) => r.rule))].map(h).join(' ');
  return (
    `<section id="metrics"><h2>Metrics</h2><table class="metrics"><thead>${row(['Metric', ...splits.map(([n]) => h(n))], true)}</thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="note">${ciNote}↓ lower is better. ${rules}</p>${disagreementNote(input)}${undefinedNotes(splits)}</section>`
  );
}

const r0 = (splits: readonly [string, TaskReport][]) => (splits.some(([, r]) => r.task === 'binary-class') ? 'Samples (positives)' : 'Samples');

/** The one-vs-rest table of each class (or label) of the test split (of validation when there is no test). */
function perClassSection(input: ReportInput): string {
  const report = input.test ?? input.val;
  if (!report || report.task === 'binary-class') return '';
  const multi = report.task === 'multi-label';
  const head = [multi ? 'Label' : 'Class', multi ? 'Positives' : 'Support', 'ROC AUC', 'Avg precision', 'Sensitivity', 'Specificity', 'Precision', 'F1', ...(multi ? ['Accuracy', 'TP', 'FP', 'FN', 'TN'] : [])];
  const rows = report.perClass.map((c) =>
    row([h(c.name), String(c.support), ...[c.rocAuc, c.averagePrecision, c.sensitivity, c.specificity, c.precision, c.f1, ...(multi ? [c.accuracy] : [])].map((v) => h(formatValue(v))), ...(multi ? [c.confusion.tp, c.confusion.fp, c.confusion.fn, c.confusion.tn].map(String) : [])]),
  );
  const what = multi ? 'Each label is its own yes/no question: present when its probability exceeds 0.5.' : 'One class against the rest: a sample counts as this class when it is the argmax.';
  return `<section id="per-class"><h2>${multi ? 'Per-label metrics' : 'Per-class metrics'} (${input.test ? 'test' : 'validation'})</h2><table class="metrics"><thead>${row(head, true)}</thead><tbody>${rows.join('')}</tbody></table><p class="note">${h(what)}</p></section>`;
}

/** Vertical markers where the phase changes (between epochs), labelled with the new phase, and at the kept epoch. */
function phaseMarkers(history: readonly EpochRecord[], epochKept?: number): VerticalMarker[] {
  const markers: VerticalMarker[] = [];
  history.forEach((row, i) => {
    if (i === 0) {
      if (history.length > 1 && history.some((r) => r.phase !== row.phase)) markers.push({ x: row.epoch - 0.5, label: row.phase, colour: '#777' });
    } else if (row.phase !== history[i - 1]!.phase) markers.push({ x: row.epoch - 0.5, label: row.phase, colour: '#777' });
  });
  if (epochKept !== undefined && history.some((r) => r.epoch === epochKept)) markers.push({ x: epochKept, label: 'kept', colour: '#59a14f' });
  return markers;
}

function curve(history: readonly EpochRecord[], pick: (r: EpochRecord) => number | undefined): [number, number][] {
  return history.map((r) => [r.epoch, pick(r) ?? NaN]);
}

function trainingSection(input: ReportInput): string {
  const history = input.history;
  if (history.length === 0) return `<section id="training"><h2>Training curves</h2><p class="note">No training history.</p></section>`;
  const markers = phaseMarkers(history, input.run.epochKept);
  const first = history[0]!.epoch;
  const last = history[history.length - 1]!.epoch;
  const xDomain = [Math.min(first - 0.5, ...markers.map((m) => m.x)), last + 0.5] as const;
  const common = { xLabel: 'Epoch', integerX: true, markers, xDomain, width: 520, height: 320 } as const;
  const loss: Series[] = [
    { name: 'train loss', points: curve(history, (r) => r.trainLoss), colour: PALETTE[0] },
    { name: 'val loss', points: curve(history, (r) => r.valLoss), colour: PALETTE[1] },
  ];
  const acc: Series[] = [
    { name: 'train accuracy', points: curve(history, (r) => r.trainAcc), colour: PALETTE[0] },
    { name: 'val accuracy', points: curve(history, (r) => r.valAcc), colour: PALETTE[1] },
  ];
  const auc: Series[] = [{ name: 'val ROC AUC', points: curve(history, (r) => r.valAuc), colour: PALETTE[2] }];
  const phases = [...new Set(history.map((r) => r.phase))];
  const rows = history
    .map(
      (r) =>
        `<tr><td class="num">${r.epoch}</td><td>${h(r.phase)}</td><td class="num">${h(r.lr.toExponential(2))}</td><td class="num">${h(formatValue(r.trainLoss, 4))}</td><td class="num">${h(formatValue(r.trainAcc))}</td><td class="num">${h(formatValue(r.valLoss, 4))}</td><td class="num">${h(formatValue(r.valAcc))}</td><td class="num">${h(formatValue(r.valAuc))}</td><td class="num">${h(formatValue(r.seconds, 1))}</td><td class="num">${h(formatValue(r.imgPerS, 0))}</td></tr>`,
    )
    .join('');
  return (
    `<section id="training"><h2>Training curves</h2><div class="charts">` +
    `<figure>${lineChart(loss, { ...common, title: 'Loss', yLabel: 'Loss', legend: 'above' })}</figure>` +
    `<figure>${lineChart(acc, { ...common, title: 'Accuracy', yLabel: 'Accuracy', legend: 'above' })}</figure>` +
    `<figure>${lineChart(auc, { ...common, title: 'Validation ROC AUC', yLabel: 'ROC AUC', legend: 'above', emptyText: 'no validation AUC recorded' })}</figure>` +
    `</div><p class="note">Phases: ${phases.map((p) => h(p)).join(' → ')}. Dashed grey lines mark where a phase starts${input.run.epochKept !== undefined ? '; the green line marks the epoch whose weights were kept' : ''}.</p>` +
    `<details><summary>History table</summary><table class="metrics"><thead><tr><th class="num">Epoch</th><th>Phase</th><th class="num">LR</th><th class="num">Train loss</th><th class="num">Train acc</th><th class="num">Val loss</th><th class="num">Val acc</th><th class="num">Val AUC</th><th class="num">Seconds</th><th class="num">img/s</th></tr></thead><tbody>${rows}</tbody></table></details>` +
    `</section>`
  );
}

/** Binary tasks: one curve per split. Other tasks: one-vs-rest curves of each class (or label) of the test split. */
function curvesOf(input: ReportInput): { roc: Parameters<typeof rocChart>[0]; pr: Parameters<typeof prChart>[0]; caption: string } {
  const colour = (k: number) => PALETTE[k % PALETTE.length]!;
  const report = input.test ?? input.val;
  if (report && report.task !== 'binary-class') {
    const curves = report.curves;
    return {
      roc: curves.map((c, k) => ({ name: c.name, fpr: c.roc.fpr, tpr: c.roc.tpr, auc: c.rocAuc, colour: colour(k) })),
      pr: curves.map((c, k) => ({ name: c.name, precision: c.pr.precision, recall: c.pr.recall, averagePrecision: c.averagePrecision, prevalence: c.prevalence, colour: colour(k) })),
      caption: `One-vs-rest, ${input.test ? 'test' : 'validation'} split: each ${report.task === 'multi-label' ? 'label' : 'class'} against the rest.`,
    };
  }
  // Test first (the headline), validation second.
  const splits = splitsOf(input).reverse().filter(([, r]) => r.curves.length > 0);
  return {
    roc: splits.map(([name, r], k) => ({ name, fpr: r.curves[0]!.roc.fpr, tpr: r.curves[0]!.roc.tpr, auc: r.curves[0]!.rocAuc, colour: colour(k) })),
    pr: splits.map(([name, r], k) => ({ name, precision: r.curves[0]!.pr.precision, recall: r.curves[0]!.pr.recall, averagePrecision: r.curves[0]!.averagePrecision, prevalence: r.curves[0]!.prevalence, colour: colour(k) })),
    caption: '',
  };
}

function curvesSection(input: ReportInput): string {
  const { roc, pr, caption } = curvesOf(input);
  const rocHtml = roc.length
    ? `<figure>${rocChart(roc)}<figcaption>${h(caption)} Dashed: chance. The AUC is the area under each curve.</figcaption></figure>`
    : `<p class="note">No ROC curve: it is undefined when a split has only one class.</p>`;
  const prHtml = pr.length
    ? `<figure>${prChart(pr)}<figcaption>${h(caption)} Step curves, as average precision sums them; dashed: prevalence, the precision of a random classifier.</figcaption></figure>`
    : `<p class="note">No precision–recall curve: it is undefined without positives.</p>`;
  return (
    `<section id="roc"><h2>ROC curves</h2><div class="charts">${rocHtml}</div></section>` +
    `<section id="pr"><h2>Precision–recall curves</h2><div class="charts">${prHtml}</div></section>`
  );
}

function confusionSection(input: ReportInput): string {
  const splits = splitsOf(input).filter(([, r]) => r.confusionMatrix);
  if (splits.length === 0) return '';
  const figures = splits.map(([name, r]) => {
    const title = r.binary ? `${name} (threshold ${formatValue(r.binary.threshold, 2)})` : name;
    return `<figure>${confusionGridChart(r.confusionMatrix!, { title, classNames: r.classNames })}</figure>`;
  });
  const diagonal = splits[0]![1].task === 'binary-class' ? ' (sensitivity and specificity on the diagonal)' : ' (each class\'s sensitivity on the diagonal)';
  return `<section id="confusion"><h2>Confusion matrices</h2><div class="charts">${figures.join('')}</div><p class="note">Rows: true class; columns: predicted class. Shading and percentages are per row${diagonal}.</p></section>`;
}

function calibrationSection(input: ReportInput): string {
  const splits = splitsOf(input).reverse();
  if (splits.length === 0) return '';
  const figures = splits.map(([name, r]) => {
    const scores = r.binary ? ` ECE ${h(formatWithCi(r.summary['ece']!, r.ci?.['ece']))}, Brier ${h(formatWithCi(r.summary['brier']!, r.ci?.['brier']))}.` : '';
    return `<figure>${reliabilityChart(r.reliability.bins, { title: `Reliability diagram — ${name}` })}<figcaption>Of the ${h(r.reliability.of)}.${scores} Bars: observed fraction of positives per bin; dots: at the bin's mean predicted probability; numbers: samples per bin.</figcaption></figure>`;
  });
  return `<section id="calibration"><h2>Calibration</h2><div class="charts">${figures.join('')}</div></section>`;
}

function errorsSection(input: ReportInput): string {
  const m = input.worstErrors;
  if (!m) return '';
  const split = m.split ?? 'test';
  const items = m.items
    .map((e, i) => `<li>#${e.index}: ${h(e.caption)}, ${h(e.scoreName)} = ${h(formatValue(e.score))}${m.columns ? ` <span class="note">(row ${Math.floor(i / m.columns) + 1}, column ${(i % m.columns) + 1})</span>` : ''}</li>`)
    .join('');
  const alt = `The ${m.items.length} most confidently wrong ${split} images`;
  return (
    `<section id="errors"><h2>Worst errors</h2><figure class="montage"><img src="${pngDataUrl(m.png)}" alt="${h(alt)}"/>` +
    `<figcaption>${h(alt)}, left to right and top to bottom, with the index in the ${h(split)} split and what went wrong.</figcaption></figure>` +
    `<ol class="errors">${items}</ol></section>`
  );
}

/**
 * The report of a training run as one self-contained HTML page: run summary, metrics of val and
 * test (with bootstrap CIs when `binaryReport` computed them), training curves with phase
 * boundaries, ROC and PR curves, confusion matrices, reliability diagrams and the worst errors.
 * Pure: the same input gives the same page; every text from the input is escaped.
 */
export function renderReport(input: ReportInput): string {
  const title = input.title ?? `medxfer — ${input.run.dataset}`;
  const subtitle = `${input.run.preset} · ${input.run.weights.name} weights · ${input.run.backend} · ${formatDuration(input.run.wallSeconds)}`;
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>` +
    `<title>${h(title)}</title><style>${CSS}</style></head><body><main>` +
    `<h1>${h(title)}</h1><p class="subtitle">${h(subtitle)}</p>` +
    summarySection(input) +
    metricsSection(input) +
    perClassSection(input) +
    trainingSection(input) +
    curvesSection(input) +
    confusionSection(input) +
    calibrationSection(input) +
    errorsSection(input) +
    `<p class="note disclaimer">For research and teaching only: not a medical device, not for diagnosis or treatment decisions.</p>` +
    `</main></body></html>\n`
  );
}
