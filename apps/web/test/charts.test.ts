import { describe, expect, it } from 'vitest';
import { autoDomain, confusionTable, fmtTick, historyCharts, lineChart, phaseMarkers, prCurvesChart, reliabilityChart, rocCurvesChart, ticks } from '../src/charts.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('charts', () => {
  it('picks round ticks', () => {
    expect(ticks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(ticks(1, 8, 6, true)).toEqual([2, 4, 6, 8]);
    expect(ticks(1, 4, 3, true)).toEqual([1, 2, 3, 4]);
    expect(ticks(0, 9.3, 4)).toEqual([0, 2.5, 5, 7.5]);
    expect(fmtTick(0.25)).toBe('0.25');
    expect(fmtTick(0.1 + 0.2)).toBe('0.3');
    expect(fmtTick(2)).toBe('2');
  });

  it('uses [0, 1] for probabilities and pads other ranges', () => {
    expect(autoDomain([{ label: 'a', colour: 'red', points: [[1, 0.2], [2, 0.9]] }])).toEqual([0, 1]);
    const [lo, hi] = autoDomain([{ label: 'a', colour: 'red', points: [[1, 0.5], [2, 8.4]] }]);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(8.4);
    expect(autoDomain([])).toEqual([0, 1]);
  });

  it('renders an accessible SVG with one path per series, skipping missing values, text escaped', () => {
    const svg = lineChart({
      title: 'Loss <b>',
      xLabel: 'epoch',
      yLabel: 'loss',
      xDomain: [1, 4],
      series: [
        { label: 'train & co', colour: '#00f', points: [[1, 0.7], [2, 0.5], [3, 0.3]] },
        { label: 'val', colour: '#f80', points: [[1, Number.NaN], [2, 0.6]] },
        { label: 'empty', colour: '#0f0', points: [] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('role="img"');
    expect(svg).toMatch(/<title id="chart-\d+-t">Loss &lt;b&gt;<\/title>/);
    expect(svg).toContain('train &amp; co');
    expect(svg).not.toContain('<b>');
    expect(count(svg, /class="series"/g)).toBe(2);
    expect(count(svg, /<circle/g)).toBe(4); // 3 + 1 finite points
    expect(svg).toContain('empty: no data yet');
    // The first train point sits at the left edge of the plot (x = 44).
    expect(svg).toMatch(/d="M44 /);
  });

  it('marks phase changes and spans every planned epoch', () => {
    const history = [
      { epoch: 1, phase: 'head', trainLoss: 0.6, trainAcc: 0.7, valLoss: 0.5, valAcc: 0.74, valAuc: 0.5 },
      { epoch: 2, phase: 'full', trainLoss: 0.5, trainAcc: 0.8, valLoss: 8.5, valAcc: 0.35, valAuc: 0.82 },
    ];
    expect(phaseMarkers(history)).toEqual([{ x: 1.5, label: 'full' }]);
    const charts = historyCharts(history, 4);
    for (const svg of [charts.loss, charts.acc, charts.auc]) {
      expect(svg).toContain('class="marker"');
      expect(svg).toContain('>4</text>'); // x axis reaches epoch 4 before it is trained
    }
    expect(charts.loss).toContain('(2.00, 8.500)');
    expect(historyCharts([], 0).acc).toContain('no data yet');
  });

  it('draws ROC with the chance diagonal, PR with the prevalence baseline, and reliability bins that are not empty', () => {
    const curve = { name: 'pneumonia', roc: { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], thresholds: [] }, rocAuc: 0.875, pr: { recall: [1, 0.5, 0], precision: [0.6, 1, 1], thresholds: [] }, averagePrecision: 0.9, prevalence: 0.62 };
    const roc = rocCurvesChart([curve]);
    expect(roc).toContain('AUC 0.875');
    expect(count(roc, /class="ref"/g)).toBe(1);
    const pr = prCurvesChart([curve]);
    expect(pr).toContain('prevalence 0.620');
    // One-vs-rest: one series per class, named, and no single prevalence line.
    const three = rocCurvesChart(['a', 'b', 'c<'].map((name) => ({ ...curve, name })));
    expect(three).toContain('c&lt;, AUC 0.875');
    expect(prCurvesChart(['a', 'b'].map((name) => ({ ...curve, name })))).not.toContain('prevalence');
    const rel = reliabilityChart([
      { lower: 0, upper: 0.5, count: 3, meanScore: 0.2, fractionPositive: 0.33, gap: 0.13 },
      { lower: 0.5, upper: 1, count: 0, meanScore: Number.NaN, fractionPositive: Number.NaN, gap: Number.NaN },
    ]);
    expect(count(rel, /<circle/g)).toBe(1);
  });

  it('renders the confusion matrix as a table with escaped class names', () => {
    const html = confusionTable(
      [
        [18, 20],
        [4, 58],
      ],
      ['normal', '<pneumonia>'],
    );
    expect(html).toContain('<caption>');
    expect(html).toContain('&lt;pneumonia&gt;');
    expect(count(html, /<td class="diag"/g)).toBe(2);
    expect(count(html, /<td class="off"/g)).toBe(2);
    expect(html).toContain('--shade:1">58<');
  });
});
