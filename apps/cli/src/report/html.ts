// The HTML report of a training run: one self-contained page (inline CSS and SVG, the montage as a
// data URL; no scripts, no external requests). `renderReport` is a pure function of its input.
import type { BinaryReport, BinaryScalarMetric, ConfidenceInterval, PrecisionRecallCurve, ReliabilityBin, RocCurve } from '@medxfer/metrics';
import type { EpochRecord } from '@medxfer/train';
import { confusionMatrixChart, escapeXml, lineChart, PALETTE, prChart, reliabilityChart, rocChart, type Series, type VerticalMarker } from './svg.js';

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

/** The evaluation of one split: what `binaryReport`, `rocCurve`, `precisionRecallCurve` and `reliabilityDiagram` return. */
export interface SplitEvaluation {
  /** `binaryReport(labels, scores, { bootstrap })`; `ci` (when present) adds the intervals. */
  readonly report: BinaryReport;
  readonly roc?: RocCurve;
  readonly pr?: PrecisionRecallCurve;
  readonly reliability?: readonly ReliabilityBin[];
}

/** One image of the worst-errors montage. */
export interface ErrorItem {
  /** Index of the image in its split. */
  readonly index: number;
  /** True class index (0/1 for binary tasks). */
  readonly label: number;
  /** The score shown: by default the predicted probability of the positive class (see {@link ErrorMontage.scoreName}). */
  readonly score: number;
  /** Predicted class index, shown when given. */
  readonly predicted?: number;
}

/** A montage of the worst errors, tiled left to right, top to bottom in `items` order. */
export interface ErrorMontage {
  /** The PNG, base64 (with or without the `data:image/png;base64,` prefix). */
  readonly png: string;
  readonly items: readonly ErrorItem[];
  /** Split the errors come from (default `test`). */
  readonly split?: string;
  /** Tiles per row, for the caption (optional). */
  readonly columns?: number;
  /** What `score` is (default `P(<positive class name>)`), e.g. `P(true class)`. */
  readonly scoreName?: string;
}

export interface ReportInput {
  /** Page title (default `medxfer — <dataset>`). */
  readonly title?: string;
  readonly run: RunSummary;
  /** Class names by index: [negative, positive] for binary tasks (default `negative`, `positive`). */
  readonly classNames?: readonly string[];
  /** Training history, one row per epoch, as `train()` returns it. */
  readonly history: readonly EpochRecord[];
  readonly val?: SplitEvaluation;
  readonly test?: SplitEvaluation;
  readonly worstErrors?: ErrorMontage;
}

/** Rows of the metrics table: the `binaryReport` key and its label (↓: lower is better). */
export const REPORT_METRICS: readonly (readonly [BinaryScalarMetric, string])[] = [
  ['accuracy', 'Accuracy'],
  ['balancedAccuracy', 'Balanced accuracy'],
  ['sensitivity', 'Sensitivity (recall)'],
  ['specificity', 'Specificity'],
  ['precision', 'Precision (PPV)'],
  ['npv', 'NPV'],
  ['f1', 'F1'],
  ['mcc', 'MCC'],
  ['rocAuc', 'ROC AUC'],
  ['averagePrecision', 'Average precision'],
  ['brier', 'Brier score ↓'],
  ['logLoss', 'Log loss ↓'],
  ['ece', 'ECE ↓'],
];

/** `0.912`, or `—` for an undefined (NaN) or missing value. */
export function formatValue(v: number | undefined, digits = 3): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** `0.912 (0.889–0.934)`; the interval is left out when absent or undefined. */
export function formatWithCi(v: number, ci?: ConfidenceInterval, digits = 3): string {
  const value = formatValue(v, digits);
  if (!ci || !Number.isFinite(ci.lower) || !Number.isFinite(ci.upper) || value === '—') return value;
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
.errors { columns: 3 220px; font-size: 12px; margin: 8px 0 0; padding-left: 20px; }
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

function splitsOf(input: ReportInput): [string, SplitEvaluation][] {
  const out: [string, SplitEvaluation][] = [];
  if (input.val) out.push(['Validation', input.val]);
  if (input.test) out.push(['Test', input.test]);
  return out;
}

function countsOf(r: BinaryReport): { n: number; positives: number } {
  const c = r.confusion;
  return { n: c.tn + c.fp + c.fn + c.tp, positives: c.fn + c.tp };
}

function metricsSection(input: ReportInput): string {
  const splits = splitsOf(input);
  if (splits.length === 0) return `<section id="metrics"><h2>Metrics</h2><p class="note">No evaluation was run.</p></section>`;
  const head = `<tr><th>Metric</th>${splits.map(([name]) => `<th class="num">${h(name)}</th>`).join('')}</tr>`;
  const rows = REPORT_METRICS.map(
    ([key, label]) => `<tr><td>${h(label)}</td>${splits.map(([, s]) => `<td class="num">${h(formatWithCi(s.report[key], s.report.ci?.[key]))}</td>`).join('')}</tr>`,
  );
  rows.push(
    `<tr><td>Samples (positives)</td>${splits
      .map(([, s]) => {
        const { n, positives } = countsOf(s.report);
        return `<td class="num">${n} (${positives})</td>`;
      })
      .join('')}</tr>`,
  );
  rows.push(`<tr><td>Decision threshold</td>${splits.map(([, s]) => `<td class="num">${h(formatValue(s.report.threshold))}</td>`).join('')}</tr>`);
  rows.push(
    `<tr><td>Youden threshold (sens / spec)</td>${splits
      .map(([, s]) => {
        const y = s.report.youden;
        return `<td class="num">${h(`${formatValue(y.threshold)} (${formatValue(y.sensitivity)} / ${formatValue(y.specificity)})`)}</td>`;
      })
      .join('')}</tr>`,
  );
  const ci = splits.map(([, s]) => s.report.ci?.accuracy).find((c) => c !== undefined);
  const note = ci
    ? `<p class="note">In parentheses: ${Math.round(ci.confidence * 100)}% percentile bootstrap confidence intervals (${ci.samples} resamples, stratified by label). ↓ lower is better. Threshold metrics call a sample positive when its score exceeds the decision threshold.</p>`
    : `<p class="note">↓ lower is better. Threshold metrics call a sample positive when its score exceeds the decision threshold.</p>`;
  return `<section id="metrics"><h2>Metrics</h2><table class="metrics"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>${note}</section>`;
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
    `<figure>${lineChart(loss, { ...common, title: 'Loss', yLabel: 'Cross-entropy', legend: 'above' })}</figure>` +
    `<figure>${lineChart(acc, { ...common, title: 'Accuracy', yLabel: 'Accuracy', legend: 'above' })}</figure>` +
    `<figure>${lineChart(auc, { ...common, title: 'Validation ROC AUC', yLabel: 'ROC AUC', legend: 'above', emptyText: 'no validation AUC recorded' })}</figure>` +
    `</div><p class="note">Phases: ${phases.map((p) => h(p)).join(' → ')}. Dashed grey lines mark where a phase starts${input.run.epochKept !== undefined ? '; the green line marks the epoch whose weights were kept' : ''}.</p>` +
    `<details><summary>History table</summary><table class="metrics"><thead><tr><th class="num">Epoch</th><th>Phase</th><th class="num">LR</th><th class="num">Train loss</th><th class="num">Train acc</th><th class="num">Val loss</th><th class="num">Val acc</th><th class="num">Val AUC</th><th class="num">Seconds</th><th class="num">img/s</th></tr></thead><tbody>${rows}</tbody></table></details>` +
    `</section>`
  );
}

function curvesSection(input: ReportInput): string {
  // Test first (the headline), validation second.
  const splits = splitsOf(input).reverse();
  const colours = { Test: PALETTE[0], Validation: PALETTE[1] } as Record<string, string>;
  const roc = splits
    .filter(([, s]) => s.roc)
    .map(([name, s]) => ({ name, fpr: s.roc!.fpr, tpr: s.roc!.tpr, auc: s.report.rocAuc, colour: colours[name]! }));
  const pr = splits
    .filter(([, s]) => s.pr)
    .map(([name, s]) => {
      const { n, positives } = countsOf(s.report);
      return { name, precision: s.pr!.precision, recall: s.pr!.recall, averagePrecision: s.report.averagePrecision, prevalence: positives / n, colour: colours[name]! };
    });
  const rocHtml = roc.length
    ? `<figure>${rocChart(roc)}<figcaption>Dashed: chance. The AUC is the area under each curve.</figcaption></figure>`
    : `<p class="note">No ROC curve.</p>`;
  const prHtml = pr.length
    ? `<figure>${prChart(pr)}<figcaption>Step curves, as average precision sums them; dashed: prevalence, the precision of a random classifier.</figcaption></figure>`
    : `<p class="note">No precision–recall curve.</p>`;
  return (
    `<section id="roc"><h2>ROC curves</h2><div class="charts">${rocHtml}</div></section>` +
    `<section id="pr"><h2>Precision–recall curves</h2><div class="charts">${prHtml}</div></section>`
  );
}

function confusionSection(input: ReportInput): string {
  const splits = splitsOf(input);
  if (splits.length === 0) return '';
  const names: [string, string] = [input.classNames?.[0] ?? 'negative', input.classNames?.[1] ?? 'positive'];
  const figures = splits.map(([name, s]) => `<figure>${confusionMatrixChart(s.report.confusion, { title: `${name} (threshold ${formatValue(s.report.threshold, 2)})`, classNames: names })}</figure>`);
  return `<section id="confusion"><h2>Confusion matrices</h2><div class="charts">${figures.join('')}</div><p class="note">Rows: true class; columns: predicted class. Shading and percentages are per row (sensitivity and specificity on the diagonal).</p></section>`;
}

function calibrationSection(input: ReportInput): string {
  const splits = splitsOf(input)
    .reverse()
    .filter(([, s]) => s.reliability);
  if (splits.length === 0) return '';
  const figures = splits.map(
    ([name, s]) =>
      `<figure>${reliabilityChart(s.reliability!, { title: `Reliability diagram — ${name}` })}<figcaption>ECE ${h(formatWithCi(s.report.ece, s.report.ci?.ece))}, Brier ${h(formatWithCi(s.report.brier, s.report.ci?.brier))}. Bars: observed fraction of positives per bin; dots: at the bin's mean predicted probability; numbers: samples per bin.</figcaption></figure>`,
  );
  return `<section id="calibration"><h2>Calibration</h2><div class="charts">${figures.join('')}</div></section>`;
}

function errorsSection(input: ReportInput): string {
  const m = input.worstErrors;
  if (!m) return '';
  const nameOf = (c: number) => input.classNames?.[c] ?? (c === 0 ? 'negative' : c === 1 ? 'positive' : `class ${c}`);
  const split = m.split ?? 'test';
  const scoreName = m.scoreName ?? `P(${nameOf(1)})`;
  const items = m.items
    .map(
      (e, i) =>
        `<li>#${e.index}: true ${h(nameOf(e.label))}${e.predicted !== undefined ? `, predicted ${h(nameOf(e.predicted))}` : ''}, ${h(scoreName)} = ${h(formatValue(e.score))}` +
        `${m.columns ? ` <span class="note">(row ${Math.floor(i / m.columns) + 1}, column ${(i % m.columns) + 1})</span>` : ''}</li>`,
    )
    .join('');
  const alt = `The ${m.items.length} most confidently wrong ${split} images`;
  return (
    `<section id="errors"><h2>Worst errors</h2><figure class="montage"><img src="${pngDataUrl(m.png)}" alt="${h(alt)}"/>` +
    `<figcaption>${h(alt)}, left to right and top to bottom: index in the ${h(split)} split, true label and ${h(scoreName)}.</figcaption></figure>` +
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
    trainingSection(input) +
    curvesSection(input) +
    confusionSection(input) +
    calibrationSection(input) +
    errorsSection(input) +
    `</main></body></html>\n`
  );
}
