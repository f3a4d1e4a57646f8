// Charts as SVG markup strings: pure functions of their data (no DOM), so they render the same in
// the page and in tests. Every chart is an accessible image: role="img" with a <title> and a <desc>
// that states the values. All text is escaped.
import type { ClassCurves, ReliabilityBin } from '@medxfer/metrics';
import { esc, num } from './format.js';

export interface Series {
  readonly label: string;
  /** Points [x, y]; non-finite y values are skipped (e.g. an epoch without validation). */
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  readonly dashed?: boolean;
  /** Draw a dot on every point (default: when the series has few points). */
  readonly dots?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly series: readonly Series[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xDomain: readonly [number, number];
  /** Default: [0, 1] when every value lies inside, else from the data. */
  readonly yDomain?: readonly [number, number];
  /** Integer ticks on x (epochs). */
  readonly integerX?: boolean;
  /** Vertical markers (phase starts). */
  readonly markers?: readonly { x: number; label: string }[];
  /** The y = x line (ROC, reliability). */
  readonly diagonal?: boolean;
  /** A horizontal reference line (PR baseline). */
  readonly baseline?: { y: number; label: string };
  readonly width?: number;
  readonly height?: number;
  /** The legend along the top (default true; with many series the names are on each line's tooltip instead). */
  readonly legend?: boolean;
}

const PAD = { left: 44, right: 10, top: 24, bottom: 36 };
let ids = 0;
/** A tick value without float noise: 0.25 → "0.25", 0.30000000000000004 → "0.3", 2 → "2". */
export const fmtTick = (v: number): string => String(Number(v.toPrecision(6)));

/** `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step || 0); // no -0
  return out;
}

/** The y range of the data: [0, 1] when it fits (probabilities, accuracies), else padded min..max. */
export function autoDomain(series: readonly Series[]): [number, number] {
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (ys.length === 0) return [0, 1];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  if (lo >= 0 && hi <= 1) return [0, 1];
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo >= 0 ? 0 : lo - pad, hi + pad];
}

/** A line chart: the training curves, ROC, PR and the reliability diagram all use it. */
export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 320;
  const height = o.height ?? 220;
  const id = `chart-${++ids}`;
  const [x0, x1] = o.xDomain[1] > o.xDomain[0] ? o.xDomain : [o.xDomain[0], o.xDomain[0] + 1];
  const [y0, y1] = o.yDomain ?? autoDomain(o.series);
  const iw = width - PAD.left - PAD.right;
  const ih = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * iw;
  const sy = (y: number) => PAD.top + ih - ((y - y0) / (y1 - y0 || 1)) * ih;
  const r = (v: number) => Math.round(v * 10) / 10;
  const parts: string[] = [];
  parts.push(`<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}"/>`);
  for (const t of ticks(y0, y1, 4)) {
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${PAD.left + iw}" y1="${r(sy(t))}" y2="${r(sy(t))}"/>`);
    parts.push(`<text class="tick" x="${PAD.left - 4}" y="${r(sy(t) + 3)}" text-anchor="end">${esc(fmtTick(t))}</text>`);
  }
  for (const t of ticks(x0, x1, o.integerX ? Math.min(6, x1 - x0) : 4, o.integerX)) {
    parts.push(`<text class="tick" x="${r(sx(t))}" y="${PAD.top + ih + 13}" text-anchor="middle">${esc(fmtTick(t))}</text>`);
  }
  parts.push(`<text class="axis" x="${PAD.left + iw / 2}" y="${height - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(11 ${PAD.top + ih / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  if (o.diagonal) parts.push(`<line class="ref" x1="${r(sx(Math.max(x0, y0)))}" y1="${r(sy(Math.max(x0, y0)))}" x2="${r(sx(Math.min(x1, y1)))}" y2="${r(sy(Math.min(x1, y1)))}"/>`);
  if (o.baseline && Number.isFinite(o.baseline.y)) {
    parts.push(`<line class="ref" x1="${PAD.left}" x2="${PAD.left + iw}" y1="${r(sy(o.baseline.y))}" y2="${r(sy(o.baseline.y))}"><title>${esc(o.baseline.label)}</title></line>`);
  }
  for (const m of o.markers ?? []) {
    parts.push(`<line class="marker" x1="${r(sx(m.x))}" x2="${r(sx(m.x))}" y1="${PAD.top}" y2="${PAD.top + ih}"/>`);
    parts.push(`<text class="marker-label" x="${r(sx(m.x) + 3)}" y="${PAD.top + 10}">${esc(m.label)}</text>`);
  }
  for (const s of o.series) {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${r(sx(p[0]))} ${r(sy(p[1]))}`).join(' ');
    parts.push(`<path class="series" d="${d}" stroke="${esc(s.colour)}"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${esc(s.label)}</title></path>`);
    if (s.dots ?? pts.length <= 30) for (const p of pts) parts.push(`<circle cx="${r(sx(p[0]))}" cy="${r(sy(p[1]))}" r="2.5" fill="${esc(s.colour)}"/>`);
  }
  // Legend along the top.
  let lx = PAD.left;
  for (const s of o.legend === false ? [] : o.series) {
    parts.push(`<line x1="${lx}" x2="${lx + 14}" y1="12" y2="12" stroke="${esc(s.colour)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text class="legend" x="${lx + 18}" y="15">${esc(s.label)}</text>`);
    lx += 26 + s.label.length * 6;
  }
  const desc = o.series
    .map((s) => `${s.label}: ${s.points.length > 12 ? `${s.points.length} points` : s.points.map((p) => `(${num(p[0], 2)}, ${num(p[1], 3)})`).join(', ') || 'no data yet'}`)
    .join('; ');
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-t">${esc(o.title)}</title><desc id="${id}-d">${esc(desc)}</desc>${parts.join('')}</svg>`
  );
}

/** Training history: what the three live charts plot, per epoch. */
export interface HistoryPoint {
  readonly epoch: number;
  readonly phase: string;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly valLoss?: number;
  readonly valAcc?: number;
  readonly valAuc?: number;
}

const COLOURS = { train: '#2563eb', val: '#d97706', auc: '#059669' };

/** Epochs where a new phase starts (after the first), as chart markers. */
export function phaseMarkers(history: readonly HistoryPoint[]): { x: number; label: string }[] {
  const out: { x: number; label: string }[] = [];
  for (let i = 1; i < history.length; i++) if (history[i]!.phase !== history[i - 1]!.phase) out.push({ x: history[i]!.epoch - 0.5, label: history[i]!.phase });
  return out;
}

/** The loss, accuracy and AUC charts for the history so far, x spanning all `totalEpochs`. */
export function historyCharts(history: readonly HistoryPoint[], totalEpochs: number): { loss: string; acc: string; auc: string } {
  const xDomain: [number, number] = [1, Math.max(2, totalEpochs)];
  const markers = phaseMarkers(history);
  const pts = (f: (h: HistoryPoint) => number | undefined) => history.map((h) => [h.epoch, f(h) ?? NaN] as const);
  const common = { xLabel: 'epoch', xDomain, integerX: true, markers } as const;
  return {
    loss: lineChart({
      ...common,
      title: 'Loss per epoch (cross-entropy)',
      yLabel: 'loss',
      series: [
        { label: 'train', points: pts((h) => h.trainLoss), colour: COLOURS.train },
        { label: 'val', points: pts((h) => h.valLoss), colour: COLOURS.val, dashed: true },
      ],
      yDomain: autoDomain([{ label: '', colour: '', points: [[0, 0], ...pts((h) => h.trainLoss), ...pts((h) => h.valLoss)] }]),
    }),
    acc: lineChart({
      ...common,
      title: 'Accuracy per epoch',
      yLabel: 'accuracy',
      yDomain: [0, 1],
      series: [
        { label: 'train', points: pts((h) => h.trainAcc), colour: COLOURS.train },
        { label: 'val', points: pts((h) => h.valAcc), colour: COLOURS.val, dashed: true },
      ],
    }),
    auc: lineChart({ ...common, title: 'Validation AUC per epoch', yLabel: 'AUC', yDomain: [0, 1], series: [{ label: 'val AUC', points: pts((h) => h.valAuc), colour: COLOURS.auc }] }),
  };
}

/** Colours of one-vs-rest curves (cycled beyond ten). */
const CURVE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** ROC curves (one for a binary task, one-vs-rest per class or label otherwise), from a report's `curves`. */
export function rocCurvesChart(curves: readonly Pick<ClassCurves, 'name' | 'roc' | 'rocAuc'>[]): string {
  const one = curves.length === 1;
  return lineChart({
    title: one ? `ROC curve (AUC ${num(curves[0]!.rocAuc)})` : 'ROC curves, one class against the rest',
    legend: curves.length <= 3,
    xLabel: 'false positive rate (1 − specificity)',
    yLabel: 'sensitivity',
    xDomain: [0, 1],
    yDomain: [0, 1],
    diagonal: true,
    series: curves.map((c, k) => ({ label: `${one ? 'ROC' : c.name}, AUC ${num(c.rocAuc)}`, points: c.roc.fpr.map((x, i) => [x, c.roc.tpr[i]!] as const), colour: CURVE_COLOURS[k % CURVE_COLOURS.length]!, dots: false })),
  });
}

/** Precision–recall curves, as {@link rocCurvesChart}; a single curve also shows its prevalence baseline. */
export function prCurvesChart(curves: readonly Pick<ClassCurves, 'name' | 'pr' | 'averagePrecision' | 'prevalence'>[]): string {
  const one = curves.length === 1;
  return lineChart({
    title: one ? `Precision–recall curve (AP ${num(curves[0]!.averagePrecision)})` : 'Precision–recall curves, one class against the rest',
    legend: curves.length <= 3,
    xLabel: 'recall (sensitivity)',
    yLabel: 'precision',
    xDomain: [0, 1],
    yDomain: [0, 1],
    ...(one ? { baseline: { y: curves[0]!.prevalence, label: `prevalence ${num(curves[0]!.prevalence)}` } } : {}),
    series: curves.map((c, k) => ({ label: `${one ? 'PR' : c.name}, AP ${num(c.averagePrecision)}`, points: c.pr.recall.map((x, i) => [x, c.pr.precision[i]!] as const), colour: CURVE_COLOURS[(k + (one ? 1 : 0)) % CURVE_COLOURS.length]!, dots: false })),
  });
}

/** Observed frequency against mean predicted probability, per non-empty bin, with y = x for perfect calibration. */
export function reliabilityChart(bins: readonly ReliabilityBin[]): string {
  const used = bins.filter((b) => b.count > 0);
  return lineChart({
    title: 'Reliability diagram (calibration)',
    xLabel: 'mean predicted probability',
    yLabel: 'fraction positive',
    xDomain: [0, 1],
    yDomain: [0, 1],
    diagonal: true,
    series: [{ label: 'observed', points: used.map((b) => [b.meanScore, b.fractionPositive] as const), colour: COLOURS.auc, dots: true }],
  });
}

/** The confusion matrix as an accessible HTML table (rows: true class, columns: predicted). */
export function confusionTable(matrix: readonly (readonly number[])[], classNames: readonly string[]): string {
  const max = Math.max(1, ...matrix.flat());
  const head = classNames.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
  const rows = matrix
    .map((row, i) => {
      const cells = row
        .map((v, j) => {
          const shade = Math.round((v / max) * 100) / 100;
          return `<td class="${i === j ? 'diag' : 'off'}" style="--shade:${shade}">${v}</td>`;
        })
        .join('');
      return `<tr><th scope="row">${esc(classNames[i] ?? String(i))}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="confusion"><caption>Confusion matrix: rows are true classes, columns predicted</caption><thead><tr><th scope="col">true \\ predicted</th>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}
