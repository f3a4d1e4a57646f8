// Small, dependency-free SVG chart helpers for the HTML report. Every function is pure and returns
// one well-formed <svg> element as a string (inline in HTML, or standalone XML); text is escaped.

/** Escapes text for XML/HTML content and double- or single-quoted attribute values. */
export function escapeXml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A qualitative palette (Tableau 10), colour-blind friendlier than pure hues. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** A coordinate, rounded for compact output (2 decimals, no trailing zeros). */
const n = (v: number): string => {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
};

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!finite(min) || !finite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  const last = Math.floor(max / step + 1e-9);
  // k·step, cleaned of binary noise (0.6000000000000001) and of −0.
  for (let k = Math.ceil(min / step - 1e-9); k <= last; k++) ticks.push(Number((k * step).toPrecision(12)) + 0);
  return ticks;
}

/** Tick label: as few decimals as the step needs. */
function tickLabel(v: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return (Math.round(v * 10 ** decimals) / 10 ** decimals).toFixed(decimals);
}

export interface Margins {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** Options shared by the charts. */
export interface ChartOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Outer size in px (default 520 × 320). */
  readonly width?: number;
  readonly height?: number;
  /** Fixed axis ranges; by default they fit the data, extended to round ticks. */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** Integer ticks on x (epochs). */
  readonly integerX?: boolean;
  /** Where the legend goes (default top-right, inside the plot); `above`: one row between the title and the plot; `none` hides it. */
  readonly legend?: 'top-right' | 'bottom-right' | 'top-left' | 'bottom-left' | 'above' | 'none';
}

/** A plotting frame: scales, the axes with ticks and labels, and the SVG wrapper. */
interface Frame {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly plot: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
  readonly axes: string;
  wrap(body: string, legend?: readonly LegendEntry[]): string;
}

interface LegendEntry {
  readonly label: string;
  readonly colour: string;
  readonly dashed?: boolean;
  readonly kind?: 'line' | 'box' | 'dot';
}

function extent(values: readonly number[], fallback: readonly [number, number]): [number, number] {
  const fin = values.filter(finite);
  if (fin.length === 0) return [fallback[0], fallback[1]];
  return [Math.min(...fin), Math.max(...fin)];
}

function makeFrame(options: ChartOptions, xs: readonly number[], ys: readonly number[], chartClass: string): Frame {
  const width = options.width ?? 520;
  const height = options.height ?? 320;
  const margin: Margins = { top: (options.title ? 30 : 12) + (options.legend === 'above' ? 22 : 0), right: 16, bottom: options.xLabel ? 46 : 30, left: options.yLabel ? 62 : 46 };
  const plot = { left: margin.left, top: margin.top, right: width - margin.right, bottom: height - margin.bottom };
  // Auto domains get 4% of air on each side, so no point sits on the frame.
  const padded = ([a, b]: [number, number]): [number, number] => [a - (b - a) * 0.04, b + (b - a) * 0.04];
  let [x0, x1] = options.xDomain ?? padded(extent(xs, [0, 1]));
  let [y0, y1] = options.yDomain ?? padded(extent(ys, [0, 1]));
  const xTicks = niceTicks(x0, x1, Math.max(2, Math.round((plot.right - plot.left) / 70)), options.integerX);
  const yTicks = niceTicks(y0, y1, Math.max(2, Math.round((plot.bottom - plot.top) / 45)));
  if (!options.xDomain && xTicks.length > 0) [x0, x1] = [Math.min(x0, xTicks[0]!), Math.max(x1, xTicks[xTicks.length - 1]!)];
  if (!options.yDomain && yTicks.length > 0) [y0, y1] = [Math.min(y0, yTicks[0]!), Math.max(y1, yTicks[yTicks.length - 1]!)];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const x = (v: number) => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - ((v - y0) / (y1 - y0)) * (plot.bottom - plot.top);

  const parts: string[] = [];
  parts.push(`<rect class="plot-bg" x="${n(plot.left)}" y="${n(plot.top)}" width="${n(plot.right - plot.left)}" height="${n(plot.bottom - plot.top)}" fill="#fff" stroke="#999" stroke-width="1"/>`);
  for (const t of xTicks.filter((t) => t >= x0 - 1e-12 && t <= x1 + 1e-12)) {
    const px = n(x(t));
    parts.push(`<line class="grid" x1="${px}" y1="${n(plot.top)}" x2="${px}" y2="${n(plot.bottom)}" stroke="#e5e5e5" stroke-width="1"/>`);
    parts.push(`<line x1="${px}" y1="${n(plot.bottom)}" x2="${px}" y2="${n(plot.bottom + 4)}" stroke="#666" stroke-width="1"/>`);
    parts.push(`<text x="${px}" y="${n(plot.bottom + 16)}" text-anchor="middle" font-size="11" fill="#333">${escapeXml(tickLabel(t, xTicks))}</text>`);
  }
  for (const t of yTicks.filter((t) => t >= y0 - 1e-12 && t <= y1 + 1e-12)) {
    const py = n(y(t));
    parts.push(`<line class="grid" x1="${n(plot.left)}" y1="${py}" x2="${n(plot.right)}" y2="${py}" stroke="#e5e5e5" stroke-width="1"/>`);
    parts.push(`<line x1="${n(plot.left - 4)}" y1="${py}" x2="${n(plot.left)}" y2="${py}" stroke="#666" stroke-width="1"/>`);
    parts.push(`<text x="${n(plot.left - 7)}" y="${n(Number(py) + 4)}" text-anchor="end" font-size="11" fill="#333">${escapeXml(tickLabel(t, yTicks))}</text>`);
  }
  parts.push(`<rect x="${n(plot.left)}" y="${n(plot.top)}" width="${n(plot.right - plot.left)}" height="${n(plot.bottom - plot.top)}" fill="none" stroke="#999" stroke-width="1"/>`);
  if (options.xLabel) {
    parts.push(`<text x="${n((plot.left + plot.right) / 2)}" y="${n(height - 10)}" text-anchor="middle" font-size="12" fill="#222">${escapeXml(options.xLabel)}</text>`);
  }
  if (options.yLabel) {
    const cy = n((plot.top + plot.bottom) / 2);
    parts.push(`<text x="14" y="${cy}" text-anchor="middle" font-size="12" fill="#222" transform="rotate(-90 14 ${cy})">${escapeXml(options.yLabel)}</text>`);
  }
  const axes = parts.join('');

  const wrap = (body: string, legend: readonly LegendEntry[] = []) => {
    const title = options.title ? `<text x="${n(width / 2)}" y="19" text-anchor="middle" font-size="14" font-weight="600" fill="#111">${escapeXml(options.title)}</text>` : '';
    const label = options.title ?? chartClass;
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${escapeXml(chartClass)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">` +
      `<title>${escapeXml(label)}</title>${title}${axes}${body}${legendSvg(legend, plot, options.legend ?? 'top-right')}</svg>`
    );
  };
  return { x, y, plot, axes, wrap };
}

const swatchOf = (e: LegendEntry, left: number, cy: number): string =>
  e.kind === 'box'
    ? `<rect x="${n(left)}" y="${n(cy - 5)}" width="18" height="10" fill="${e.colour}" fill-opacity="0.55" stroke="${e.colour}"/>`
    : e.kind === 'dot'
      ? `<circle cx="${n(left + 9)}" cy="${n(cy)}" r="3.5" fill="${e.colour}"/>`
      : `<line x1="${n(left)}" y1="${n(cy)}" x2="${n(left + 18)}" y2="${n(cy)}" stroke="${e.colour}" stroke-width="2"${e.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;

function legendSvg(entries: readonly LegendEntry[], plot: Frame['plot'], where: NonNullable<ChartOptions['legend']>): string {
  if (where === 'none' || entries.length === 0) return '';
  const rowH = 17;
  const charW = 6.4;
  if (where === 'above') {
    const widths = entries.map((e) => e.label.length * charW + 24 + 18);
    let left = (plot.left + plot.right) / 2 - (widths.reduce((a, b) => a + b, 0) - 18) / 2;
    const cy = plot.top - 13;
    const items = entries.map((e, i) => {
      const item = `${swatchOf(e, left, cy)}<text x="${n(left + 24)}" y="${n(cy + 4)}" font-size="11" fill="#222">${escapeXml(e.label)}</text>`;
      left += widths[i]!;
      return item;
    });
    return `<g class="legend">${items.join('')}</g>`;
  }
  const w = Math.ceil(Math.max(...entries.map((e) => e.label.length)) * charW + 36);
  const h = entries.length * rowH + 8;
  const left = where.endsWith('right') ? plot.right - w - 8 : plot.left + 8;
  const top = where.startsWith('top') ? plot.top + 8 : plot.bottom - h - 8;
  const rows = entries.map((e, i) => {
    const cy = top + 4 + i * rowH + rowH / 2;
    return `${swatchOf(e, left + 8, cy)}<text x="${n(left + 32)}" y="${n(cy + 4)}" font-size="11" fill="#222">${escapeXml(e.label)}</text>`;
  });
  return `<g class="legend"><rect x="${n(left)}" y="${n(top)}" width="${w}" height="${h}" fill="#fff" fill-opacity="0.9" stroke="#ccc" rx="3"/>${rows.join('')}</g>`;
}

/** One line of a {@link lineChart}. */
export interface Series {
  readonly name: string;
  /** `[x, y]` points; a non-finite y breaks the line. */
  readonly points: readonly (readonly [number, number])[];
  readonly colour?: string;
  readonly dashed?: boolean;
  /** `post`: a step line (horizontal to the next x first, then vertical), as matplotlib's steps-post. */
  readonly step?: 'post';
  /** Draw a dot at each point (default: when a series has at most 30 points). */
  readonly markers?: boolean;
}

/** A vertical marker line at `x` (e.g. a phase boundary), labelled at the top. */
export interface VerticalMarker {
  readonly x: number;
  readonly label?: string;
  readonly colour?: string;
}

export interface LineChartOptions extends ChartOptions {
  readonly markers?: readonly VerticalMarker[];
  /** Dashed reference lines from (x0, y0) to (x1, y1), e.g. the ROC chance diagonal. */
  readonly referenceLines?: readonly { readonly from: readonly [number, number]; readonly to: readonly [number, number]; readonly label?: string }[];
  /** Text shown in the middle when no series has any finite point. */
  readonly emptyText?: string;
}

/** Runs of consecutive finite points. */
function runs(points: readonly (readonly [number, number])[]): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [];
  let current: (readonly [number, number])[] = [];
  for (const p of points) {
    if (finite(p[0]) && finite(p[1])) current.push(p);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * A line chart of several series with axes, ticks, grid, legend, optional vertical markers and
 * dashed reference lines. Each run of finite points is one `<polyline data-series="name">`
 * holding exactly its points (step series add the corner points).
 */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.filter((p) => finite(p[0])).map((p) => p[1]));
  const frame = makeFrame(options, xs, ys, 'line-chart');
  const { x, y, plot } = frame;
  const body: string[] = [];
  for (const ref of options.referenceLines ?? []) {
    body.push(`<line class="reference" x1="${n(x(ref.from[0]))}" y1="${n(y(ref.from[1]))}" x2="${n(x(ref.to[0]))}" y2="${n(y(ref.to[1]))}" stroke="#888" stroke-width="1.2" stroke-dasharray="5 4"/>`);
  }
  for (const m of options.markers ?? []) {
    if (!finite(m.x)) continue;
    const px = n(x(m.x));
    const colour = m.colour ?? '#777';
    body.push(`<line class="marker" x1="${px}" y1="${n(plot.top)}" x2="${px}" y2="${n(plot.bottom)}" stroke="${colour}" stroke-width="1.2" stroke-dasharray="3 3"/>`);
    if (m.label) body.push(`<text x="${n(x(m.x) + 4)}" y="${n(plot.top + 13)}" font-size="10.5" fill="${colour}">${escapeXml(m.label)}</text>`);
  }
  const legend: LegendEntry[] = [];
  let anyPoint = false;
  series.forEach((s, i) => {
    const colour = s.colour ?? PALETTE[i % PALETTE.length]!;
    legend.push({ label: s.name, colour, dashed: s.dashed ?? false });
    const showMarkers = s.markers ?? s.points.length <= 30;
    for (const run of runs(s.points)) {
      anyPoint = true;
      const coords: string[] = [];
      run.forEach((p, k) => {
        if (s.step === 'post' && k > 0) coords.push(`${n(x(p[0]))},${n(y(run[k - 1]![1]))}`);
        coords.push(`${n(x(p[0]))},${n(y(p[1]))}`);
      });
      body.push(
        `<polyline data-series="${escapeXml(s.name)}" points="${coords.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
      // An isolated point has no line: it always gets its dot.
      if (showMarkers || run.length === 1) for (const p of run) body.push(`<circle cx="${n(x(p[0]))}" cy="${n(y(p[1]))}" r="2.6" fill="${colour}"/>`);
    }
  });
  if (!anyPoint) {
    body.push(`<text x="${n((plot.left + plot.right) / 2)}" y="${n((plot.top + plot.bottom) / 2)}" text-anchor="middle" font-size="12" fill="#777">${escapeXml(options.emptyText ?? 'no data')}</text>`);
  }
  return frame.wrap(body.join(''), legend);
}

/** A ROC curve to plot (from `rocCurve`). */
export interface RocSeries {
  readonly name: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  /** Shown in the legend. */
  readonly auc?: number;
  readonly colour?: string;
}

/** ROC curves (TPR against FPR) on the unit square with the chance diagonal. */
export function rocChart(curves: readonly RocSeries[], options: ChartOptions = {}): string {
  return lineChart(
    curves.map((c) => ({
      name: finite(c.auc) ? `${c.name} (AUC ${c.auc.toFixed(3)})` : c.name,
      points: c.fpr.map((f, k) => [f, c.tpr[k]!] as const),
      markers: false,
      ...(c.colour ? { colour: c.colour } : {}),
    })),
    {
      title: 'ROC curve',
      xLabel: 'False positive rate (1 − specificity)',
      yLabel: 'True positive rate (sensitivity)',
      width: 420,
      height: 400,
      legend: 'bottom-right',
      ...options,
      xDomain: [0, 1],
      yDomain: [0, 1],
      referenceLines: [{ from: [0, 0], to: [1, 1], label: 'chance' }],
      emptyText: 'undefined (one class only)',
    },
  );
}

/** A precision-recall curve to plot (from `precisionRecallCurve`). */
export interface PrSeries {
  readonly name: string;
  readonly precision: readonly number[];
  readonly recall: readonly number[];
  /** Average precision, shown in the legend. */
  readonly averagePrecision?: number;
  /** Fraction of positives: the precision of a random classifier, drawn as a dashed baseline. */
  readonly prevalence?: number;
  readonly colour?: string;
}

/** Precision-recall curves (step lines, as average precision integrates them) with the prevalence baselines. */
export function prChart(curves: readonly PrSeries[], options: ChartOptions = {}): string {
  const refs = curves
    .filter((c) => finite(c.prevalence))
    .map((c) => ({ from: [0, c.prevalence!] as const, to: [1, c.prevalence!] as const, label: `${c.name} prevalence` }));
  return lineChart(
    curves.map((c) => ({
      name: finite(c.averagePrecision) ? `${c.name} (AP ${c.averagePrecision.toFixed(3)})` : c.name,
      points: c.recall.map((r, k) => [r, c.precision[k]!] as const),
      step: 'post' as const,
      markers: false,
      ...(c.colour ? { colour: c.colour } : {}),
    })),
    {
      title: 'Precision–recall curve',
      xLabel: 'Recall (sensitivity)',
      yLabel: 'Precision (PPV)',
      width: 420,
      height: 400,
      legend: 'bottom-left',
      ...options,
      xDomain: [0, 1],
      yDomain: [0, 1],
      referenceLines: refs,
      emptyText: 'undefined (no positives)',
    },
  );
}

/** One bin of a reliability diagram (a `ReliabilityBin` of @medxfer/metrics fits). */
export interface ReliabilityBinLike {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanScore: number;
  readonly fractionPositive: number;
}

/**
 * A reliability diagram: per non-empty bin a bar of the observed fraction of positives over the
 * bin's range, a dot at (mean predicted probability, fraction positive), the sample count, and the
 * diagonal of perfect calibration.
 */
export function reliabilityChart(bins: readonly ReliabilityBinLike[], options: ChartOptions & { readonly colour?: string } = {}): string {
  const frame = makeFrame(
    { title: 'Reliability diagram', xLabel: 'Mean predicted probability', yLabel: 'Fraction of positives', width: 420, height: 420, legend: 'above', ...options, xDomain: [0, 1], yDomain: [0, 1] },
    [],
    [],
    'reliability-chart',
  );
  const { x, y } = frame;
  const colour = options.colour ?? PALETTE[0];
  const body: string[] = [`<line class="reference" x1="${n(x(0))}" y1="${n(y(0))}" x2="${n(x(1))}" y2="${n(y(1))}" stroke="#888" stroke-width="1.2" stroke-dasharray="5 4"/>`];
  for (const b of bins) {
    if (!(b.count > 0) || !finite(b.fractionPositive)) continue;
    const left = x(b.lower) + 1;
    const right = x(b.upper) - 1;
    const top = y(b.fractionPositive);
    body.push(
      `<rect class="bin" data-count="${b.count}" x="${n(left)}" y="${n(top)}" width="${n(Math.max(right - left, 0.5))}" height="${n(Math.max(y(0) - top, 0))}" fill="${colour}" fill-opacity="0.45" stroke="${colour}" stroke-width="1"/>`,
    );
    if (finite(b.meanScore)) body.push(`<circle cx="${n(x(b.meanScore))}" cy="${n(top)}" r="3" fill="#e15759"/>`);
    body.push(`<text x="${n((left + right) / 2)}" y="${n(y(0) - 4)}" text-anchor="middle" font-size="9" fill="#222">${b.count}</text>`);
  }
  const legend: LegendEntry[] = [
    { label: 'observed', colour, kind: 'box' },
    { label: 'bin mean', colour: '#e15759', kind: 'dot' },
    { label: 'ideal', colour: '#888', dashed: true },
  ];
  return frame.wrap(body.join(''), legend);
}

/** Counts of a binary confusion matrix (a `BinaryConfusion` of @medxfer/metrics). */
export interface ConfusionCounts {
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  readonly tp: number;
}

/** White → dark blue for `t` in [0, 1]. */
function blues(t: number): string {
  const u = finite(t) ? Math.min(Math.max(t, 0), 1) : 0;
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * u);
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `#${hex(lerp(247, 8))}${hex(lerp(251, 69))}${hex(lerp(255, 148))}`;
}

/** A class name cut to `max` characters for an axis label. */
const shortName = (name: string, max = 16) => (name.length > max ? `${name.slice(0, max - 1)}…` : name);

/**
 * A K×K confusion matrix as a heat table (rows: true class, columns: predicted class), each cell shaded by
 * its share of the row (the per-class rate), showing the count and that percentage. For 2×2 the cells are
 * also named TN/FP/FN/TP.
 */
export function confusionGridChart(matrix: readonly (readonly number[])[], options: { readonly title?: string; readonly classNames?: readonly string[]; readonly size?: number } = {}): string {
  const k = matrix.length;
  const names = Array.from({ length: k }, (_, c) => shortName(options.classNames?.[c] ?? (k === 2 ? ['negative', 'positive'][c]! : `class ${c}`)));
  const cell = options.size ?? (k <= 4 ? 96 : Math.max(34, Math.floor(480 / k)));
  const left = 12 + Math.max(...names.map((s) => s.length)) * 7;
  const top = (options.title ? 64 : 40) + (k > 4 ? 60 : 0);
  const width = left + k * cell + 16;
  const height = top + k * cell + 16;
  const cellNames = k === 2 ? ['TN', 'FP', 'FN', 'TP'] : undefined;
  const big = k <= 4;
  const parts: string[] = [];
  if (options.title) parts.push(`<text x="${n(width / 2)}" y="19" text-anchor="middle" font-size="14" font-weight="600" fill="#111">${escapeXml(options.title)}</text>`);
  parts.push(`<text x="${n(left + (k * cell) / 2)}" y="${options.title ? 40 : 16}" text-anchor="middle" font-size="11" fill="#555">predicted</text>`);
  parts.push(`<text x="14" y="${n(top + (k * cell) / 2)}" text-anchor="middle" font-size="11" fill="#555" transform="rotate(-90 14 ${n(top + (k * cell) / 2)})">true</text>`);
  names.forEach((name, c) => {
    const x = left + c * cell + cell / 2;
    parts.push(big
      ? `<text x="${n(x)}" y="${n(top - 8)}" text-anchor="middle" font-size="12" fill="#222">${escapeXml(name)}</text>`
      : `<text x="${n(x)}" y="${n(top - 6)}" font-size="11" fill="#222" transform="rotate(-45 ${n(x)} ${n(top - 6)})">${escapeXml(name)}</text>`);
    parts.push(`<text x="${n(left - 8)}" y="${n(top + c * cell + cell / 2 + 4)}" text-anchor="end" font-size="12" fill="#222">${escapeXml(name)}</text>`);
  });
  matrix.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, c) => {
      const share = total > 0 ? count / total : NaN;
      const cx = left + c * cell;
      const cy = top + r * cell;
      const ink = finite(share) && share > 0.5 ? '#fff' : '#111';
      parts.push(`<rect class="cell" x="${cx}" y="${cy}" width="${cell}" height="${cell}" fill="${blues(share)}" stroke="#fff" stroke-width="2"/>`);
      parts.push(`<text x="${n(cx + cell / 2)}" y="${n(cy + cell / 2 + (big ? -4 : 4))}" text-anchor="middle" font-size="${big ? 20 : 11}" font-weight="600" fill="${ink}">${count}</text>`);
      if (big) {
        const rate = finite(share) ? `${(share * 100).toFixed(1)}%` : '—';
        parts.push(`<text x="${n(cx + cell / 2)}" y="${n(cy + cell / 2 + 15)}" text-anchor="middle" font-size="11" fill="${ink}">${cellNames ? `${cellNames[r * 2 + c]} · ` : ''}${rate}</text>`);
      }
    });
  });
  const label = options.title ?? 'Confusion matrix';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart confusion-matrix" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">` +
    `<title>${escapeXml(label)}</title>${parts.join('')}</svg>`
  );
}

/** A binary confusion matrix (counts) as {@link confusionGridChart} draws it. */
export function confusionMatrixChart(confusion: ConfusionCounts, options: { readonly title?: string; readonly classNames?: readonly [string, string]; readonly size?: number } = {}): string {
  return confusionGridChart([[confusion.tn, confusion.fp], [confusion.fn, confusion.tp]], options);
}
