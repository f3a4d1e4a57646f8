import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodePng, readNpz } from '@medxfer/data';
import { precisionRecallCurve, reliabilityDiagram, rocCurve, taskReport, type TaskReport } from '@medxfer/metrics';
import type { EpochRecord } from '@medxfer/train';
import { formatDuration, formatWithCi, renderReport, type ReportInput } from '../src/report/html.js';
import { confusionMatrixChart, escapeXml, lineChart, niceTicks, prChart, reliabilityChart, rocChart } from '../src/report/svg.js';

// ---------------------------------------------------------------------------------------------
// A tiny XML well-formedness checker (no DOMParser in Node): every `<` opens a valid tag, comment,
// or (HTML only) the doctype; attributes are double-quoted and unique; `&` starts an entity;
// tags balance. `html` mode allows void elements written without `/>` and raw text in <style>.
// ---------------------------------------------------------------------------------------------
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

function checkText(text: string, where: number): void {
  if (text.includes('<') || text.includes('>')) throw new Error(`raw < or > in text at ${where}: ${JSON.stringify(text.slice(0, 60))}`);
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bare & at ${where + i}: ${JSON.stringify(text.slice(i, i + 20))}`);
  }
}

function checkWellFormed(doc: string, mode: 'xml' | 'html' = 'xml'): { elements: number } {
  const stack: string[] = [];
  let pos = 0;
  let elements = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>/y;
  while (pos < doc.length) {
    const lt = doc.indexOf('<', pos);
    const text = lt < 0 ? doc.slice(pos) : doc.slice(pos, lt);
    if (stack[stack.length - 1] === 'style' && mode === 'html') {
      if (!doc.startsWith('</style>', lt)) throw new Error('unterminated <style>');
    } else checkText(text, pos);
    if (lt < 0) break;
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      pos = end + 3;
      continue;
    }
    if (mode === 'html' && doc.startsWith('<!DOCTYPE html>', lt)) {
      pos = lt + '<!DOCTYPE html>'.length;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(doc);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(doc.slice(lt, lt + 80))}`);
    const [, closing, name, attrs, selfClosing] = m as unknown as [string, string, string, string, string];
    const names = [...attrs.matchAll(/([A-Za-z_:][\w:.-]*)="([^"]*)"/g)].map((a) => {
      checkText(a[2]!.replace(/>/g, ''), lt);
      return a[1]!;
    });
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${name}> at ${lt}`);
    if (closing) {
      if (attrs.trim() || selfClosing) throw new Error(`bad closing tag at ${lt}`);
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> at ${lt} closes <${open}>`);
    } else {
      elements++;
      if (!selfClosing && !(mode === 'html' && VOID.has(name.toLowerCase()))) stack.push(name);
    }
    pos = tag.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return { elements };
}

const svgsOf = (html: string) => [...html.matchAll(/<svg[\s>][\s\S]*?<\/svg>/g)].map((m) => m[0]);

// ---------------------------------------------------------------------------------------------
// Inputs from real metric outputs on hand-made labels and scores.
// ---------------------------------------------------------------------------------------------

/** Labels and scores with some overlap (a deterministic LCG). */
function makeScores(n: number, seed: number, separation: number): { labels: number[]; scores: number[] } {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rand() < 0.6 ? 1 : 0;
    const z = (y ? separation : -separation) + (rand() + rand() + rand() - 1.5) * 2.2;
    labels.push(y);
    scores.push(Math.round((1 / (1 + Math.exp(-z))) * 1000) / 1000);
  }
  return { labels, scores };
}

function evaluation(labels: number[], scores: number[], bootstrap: boolean): TaskReport {
  return taskReport('binary-class', labels, scores.map((p) => [1 - p, p]), ['normal', 'pneumonia'], bootstrap ? { bootstrap: { samples: 200, seed: 7 } } : {});
}

function history(): EpochRecord[] {
  const rows: EpochRecord[] = [];
  for (let epoch = 1; epoch <= 9; epoch++) {
    const head = epoch <= 3;
    rows.push({
      phase: head ? 'head' : 'fine-tune',
      epoch,
      phaseEpoch: head ? epoch : epoch - 3,
      lr: head ? 1e-3 : 1e-4 * (1 - (epoch - 4) / 6),
      trainLoss: 0.7 * Math.exp(-epoch / 4) + 0.08,
      trainAcc: 0.72 + 0.025 * epoch,
      valLoss: 0.6 * Math.exp(-epoch / 5) + 0.15 + (epoch > 7 ? 0.02 * (epoch - 7) : 0),
      valAcc: 0.74 + 0.02 * Math.min(epoch, 7),
      ...(epoch === 2 ? {} : { valAuc: 0.8 + 0.015 * Math.min(epoch, 7) }),
      seconds: head ? 4.2 : 31.5,
      imgPerS: head ? 1100 : 150,
      cachedFeatures: head,
    });
  }
  return rows;
}

/** A grey PNG montage of `count` 28×28 tiles in a grid (real PneumoniaMNIST images when given). */
function montagePng(tiles: readonly Uint8Array[], columns: number): string {
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * 28;
  const height = rows * 28;
  const pixels = new Uint8Array(width * height);
  tiles.forEach((tile, k) => {
    const ox = (k % columns) * 28;
    const oy = Math.floor(k / columns) * 28;
    for (let y = 0; y < 28; y++) pixels.set(tile.subarray(y * 28, y * 28 + 28), (oy + y) * width + ox);
  });
  return Buffer.from(encodePng({ width, height, channels: 1, pixels })).toString('base64');
}

const syntheticTile = (k: number) => Uint8Array.from({ length: 28 * 28 }, (_, i) => (((i % 28) * 9 + Math.floor(i / 28) * 5 + k * 40) % 256) & 0xff);

const DATASET = 'PneumoniaMNIST <&> "28 px"';

function sampleInput(): ReportInput & { val: TaskReport; test: TaskReport } {
  const v = makeScores(80, 3, 1.4);
  const t = makeScores(120, 11, 1.2);
  const test = evaluation(t.labels, t.scores, true);
  const errors = t.labels
    .map((label, index) => ({ index, label, score: t.scores[index]! }))
    .filter((e) => (e.score > 0.5 ? 1 : 0) !== e.label)
    .sort((a, b) => Math.abs(b.label - b.score) - Math.abs(a.label - a.score))
    .slice(0, 8)
    .map((e) => ({ index: e.index, position: e.index, caption: `true ${e.label ? 'pneumonia' : 'normal'}, predicted ${e.label ? 'normal' : 'pneumonia'}`, score: e.label ? e.score : 1 - e.score, scoreName: 'P(true class)' }));
  return {
    run: {
      dataset: DATASET,
      preset: 'finetune',
      weights: { name: 'imagenet', sha256: 'f37072fd47e89c7f0b5e2d0e5f6b6d3f1a8d9e0c4b7a2f5d8e1c3b6a9f0d2e4c7', source: 'resnet18-f37072fd.pth' },
      backend: 'wasm',
      imageSize: 28,
      seed: 42,
      epochs: 9,
      wallSeconds: 1234.5,
      epochKept: 7,
      date: '2025-11-25',
    },
    history: history(),
    val: evaluation(v.labels, v.scores, false),
    test,
    worstErrors: { png: montagePng(errors.map((_, k) => syntheticTile(k)), 4), items: errors, split: 'test', columns: 4 },
  };
}

describe('SVG helpers', () => {
  it('escapes text', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&#39;');
  });

  it('makes round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 9, 5, true)).toEqual([2, 4, 6, 8]);
    expect(niceTicks(0.13, 0.71, 4)).toEqual([0.2, 0.4, 0.6]);
  });

  it('draws well-formed charts with one polyline point per data point, breaking at NaN', () => {
    const svg = lineChart(
      [
        { name: 'a <1>', points: [[1, 0.5], [2, 0.4], [3, NaN], [4, 0.2], [5, 0.1]] },
        { name: 'b', points: [[1, 0.6], [2, 0.7]], dashed: true },
      ],
      { title: 'T & T', xLabel: 'Epoch', yLabel: 'Loss', integerX: true, markers: [{ x: 2.5, label: 'phase <2>' }] },
    );
    checkWellFormed(svg);
    const lines = [...svg.matchAll(/<polyline data-series="([^"]*)" points="([^"]*)"/g)].map((m) => [m[1], m[2]!.split(' ').length]);
    expect(lines).toEqual([
      ['a &lt;1&gt;', 2],
      ['a &lt;1&gt;', 2],
      ['b', 2],
    ]);
    expect(svg).toContain('phase &lt;2&gt;');
    expect(svg).toContain('T &amp; T');
    checkWellFormed(lineChart([{ name: 'empty', points: [[1, NaN]] }], { emptyText: 'nothing <here>' }));
  });

  it('draws ROC, PR, reliability and confusion charts well-formed', () => {
    const { labels, scores } = makeScores(50, 5, 1);
    const roc = rocCurve(labels, scores);
    const pr = precisionRecallCurve(labels, scores);
    for (const svg of [
      rocChart([{ name: 'x', fpr: roc.fpr, tpr: roc.tpr, auc: 0.8 }]),
      prChart([{ name: 'x', precision: pr.precision, recall: pr.recall, averagePrecision: 0.7, prevalence: 0.6 }]),
      reliabilityChart(reliabilityDiagram(labels, scores)),
      confusionMatrixChart({ tn: 5, fp: 2, fn: 0, tp: 0 }, { title: 'a<b', classNames: ['n&', 'p"'] }),
    ]) {
      checkWellFormed(svg);
    }
    const cm = confusionMatrixChart({ tn: 40, fp: 10, fn: 5, tp: 45 });
    for (const c of ['>40<', '>10<', '>5<', '>45<', 'TN · 80.0%', 'TP · 90.0%']) expect(cm).toContain(c);
    // A ROC curve of one class (NaN rates) is drawn empty, not broken.
    const oneClass = rocCurve([1, 1, 1], [0.2, 0.5, 0.9]);
    const svg = rocChart([{ name: 'x', fpr: oneClass.fpr, tpr: oneClass.tpr }]);
    checkWellFormed(svg);
    expect(svg).not.toContain('<polyline');
    expect(svg).toContain('undefined (one class only)');
  });
});

describe('renderReport', () => {
  const input = sampleInput();
  const html = renderReport(input);

  it('is well-formed: the whole page, and every <svg> as XML', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    checkWellFormed(html, 'html');
    const svgs = svgsOf(html);
    // 3 training charts, ROC, PR, 2 confusion matrices, 2 reliability diagrams.
    expect(svgs.length).toBe(9);
    for (const svg of svgs) expect(checkWellFormed(svg).elements).toBeGreaterThan(5);
  });

  it('has every section', () => {
    for (const heading of ['Run summary', 'Metrics', 'Training curves', 'ROC curves', 'Precision–recall curves', 'Confusion matrices', 'Calibration', 'Worst errors']) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
  });

  it('escapes the dataset name', () => {
    expect(html).toContain('PneumoniaMNIST &lt;&amp;&gt; &quot;28 px&quot;');
    expect(html).not.toContain(DATASET);
    expect(html).toContain('<title>medxfer — PneumoniaMNIST &lt;&amp;&gt; &quot;28 px&quot;</title>');
  });

  it('shows the run summary', () => {
    for (const s of ['finetune', 'imagenet', input.run.weights.sha256!, 'wasm', '28 × 28 px', '>42<', '>9<', '20 min 35 s', 'Epoch kept']) expect(html).toContain(s);
  });

  it('formats the metrics, with bootstrap CIs for test', () => {
    const t = input.test;
    const v = input.val;
    expect(t.ci).toBeDefined();
    for (const key of ['accuracy', 'balancedAccuracy', 'sensitivity', 'specificity', 'precision', 'npv', 'f1', 'mcc', 'cohensKappa', 'rocAuc', 'averagePrecision', 'brier', 'logLoss', 'ece']) {
      const ci = t.ci![key]!;
      const expected = `${t.summary[key]!.toFixed(3)} (${ci.lower.toFixed(3)}–${ci.upper.toFixed(3)})`;
      expect(html).toContain(`<td class="num">${expected}</td>`);
      expect(html).toContain(`<td class="num">${v.summary[key]!.toFixed(3)}</td>`);
    }
    expect(html).toContain('<td>Cohen&#39;s kappa</td>');
    expect(formatWithCi(0.9123, { estimate: 0.9123, lower: 0.8891, upper: 0.9344, confidence: 0.95, samples: 1000, validSamples: 1000 })).toBe('0.912 (0.889–0.934)');
    expect(formatWithCi(Number.NaN)).toBe('undefined');
    expect(html).toContain('95% percentile bootstrap confidence intervals (200 resamples');
    expect(formatDuration(59.94)).toBe('59.9 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
  });

  it('is self-contained: no external src/href, no scripts, montage as a PNG data URL', () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    const imgs = [...html.matchAll(/<img [^>]*src="([^"]*)"/g)].map((m) => m[1]!);
    expect(imgs.length).toBe(1);
    expect(imgs[0]!.startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
  });

  it('draws the ROC polyline with one point per curve point', () => {
    const roc = svgsOf(html).find((s) => s.includes('aria-label="ROC curve"'))!;
    const line = (name: string) => {
      const m = roc.match(new RegExp(`<polyline data-series="${name} \\(AUC [0-9.]+\\)" points="([^"]*)"`));
      return m![1]!.trim().split(/\s+/);
    };
    expect(line('Test').length).toBe(input.test.curves[0]!.roc.fpr.length);
    expect(line('Validation').length).toBe(input.val.curves[0]!.roc.fpr.length);
    expect(roc).toContain(`Test (AUC ${input.test.auc.toFixed(3)})`);
  });

  it('marks the phase boundaries and lists the worst errors', () => {
    const loss = svgsOf(html).find((s) => s.includes('aria-label="Loss"'))!;
    expect(loss).toContain('>fine-tune<');
    expect((loss.match(/class="marker"/g) ?? []).length).toBe(3); // head start, fine-tune start, kept
    // val AUC missing at epoch 2 breaks its line in two.
    const auc = svgsOf(html).find((s) => s.includes('aria-label="Validation ROC AUC"'))!;
    expect((auc.match(/<polyline/g) ?? []).length).toBe(2);
    expect(input.worstErrors!.items.length).toBeGreaterThan(0);
    for (const e of input.worstErrors!.items) {
      expect(html).toContain(`<li>#${e.index}: ${e.caption}, P(true class) = ${e.score.toFixed(3)}`);
    }
  });

  it('escapes the captions of the error list', () => {
    const page = renderReport({ ...input, worstErrors: { png: input.worstErrors!.png, items: [{ index: 3, position: 0, caption: 'true c<, predicted a', score: 0.01, scoreName: 'P(true class)' }] } });
    expect(page).toContain('<li>#3: true c&lt;, predicted a, P(true class) = 0.010</li>');
  });

  it('rejects a montage that is not base64', () => {
    expect(() => renderReport({ ...input, worstErrors: { png: 'AAA" onerror="x', items: [] } })).toThrow(/base64/);
  });

  it('renders without evaluations or history', () => {
    const bare = renderReport({ run: { ...input.run, weights: { name: 'none' } }, history: [] });
    checkWellFormed(bare, 'html');
    expect(bare).toContain('No evaluation was run.');
    expect(bare).toContain('not for diagnosis');
    expect(bare).toContain('No training history.');
  });

});

/** Softmax-like rows that favour each sample's class by `margin` (deterministic). */
function probabilityRows(labels: readonly number[], classes: number, margin: number, seed: number): number[][] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return labels.map((y) => {
    const logits = Array.from({ length: classes }, (_, c) => (c === y ? margin : 0) + rand() * 2);
    const exp = logits.map(Math.exp);
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  });
}

describe('renderReport: validation and test that disagree', () => {
  it('says so when a metric differs by more than 0.10 between the splits, and not otherwise', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const good = taskReport('binary-class', labels, labels.map((y) => (y ? [0.2, 0.8] : [0.8, 0.2])), ['normal', 'pneumonia']);
    const positiveForAll = taskReport('binary-class', labels, labels.map(() => [0.3, 0.7]), ['normal', 'pneumonia']);
    const page = renderReport({ run: sampleInput().run, history: [], val: good, test: positiveForAll });
    expect(page).toMatch(/id="split-disagreement">Validation and test disagree by more than 0.10 on Accuracy 1.000 → 0.500, .*Specificity 1.000 → 0.000/);
    expect(renderReport({ run: sampleInput().run, history: [], val: good, test: good })).not.toContain('split-disagreement');
  });
});

describe('renderReport for multi-class and multi-label tasks', () => {
  const names = ['basophil', 'eosinophil', 'erythroblast', 'ig'];
  const labels = Array.from({ length: 60 }, (_, i) => (i * 7) % 3); // class 3 never occurs
  const multiclass = taskReport('multi-class', labels, probabilityRows(labels, 4, 1.5, 5), names, { bootstrap: { samples: 100, seed: 1 } });
  const page = renderReport({ run: sampleInput().run, history: history(), val: multiclass, test: multiclass });

  it('has the per-class table, a K×K confusion matrix and one ROC curve per class present', () => {
    checkWellFormed(page, 'html');
    expect(page).toContain('<h2>Per-class metrics (test)</h2>');
    for (const n of names) expect(page).toContain(`<td>${n}</td>`);
    const confusion = svgsOf(page).filter((s) => s.includes('class="chart confusion-matrix"'));
    expect(confusion).toHaveLength(2);
    expect((confusion[0]!.match(/class="cell"/g) ?? []).length).toBe(16);
    const roc = svgsOf(page).find((s) => s.includes('aria-label="ROC curve"'))!;
    expect((roc.match(/<polyline data-series=/g) ?? []).length).toBe(3);
    expect(roc).toContain(`basophil (AUC ${multiclass.perClass[0]!.rocAuc.toFixed(3)})`);
  });

  it('says why a metric is undefined instead of showing NaN', () => {
    expect(page).not.toMatch(/NaN/);
    expect(page).toContain('ig');
    expect(page).toMatch(/class ig is undefined — no sample of this class in the split/);
  });

  it('shows per-label metrics with confusion counts for multi-label tasks, and no confusion matrix', () => {
    const y = Array.from({ length: 40 }, (_, i) => [i % 2, i % 3 === 0 ? 1 : 0, i % 5 === 0 ? 1 : 0]);
    const p = y.map((row, i) => row.map((v, j) => Math.min(0.99, Math.max(0.01, 0.25 + 0.5 * v + (((i * 7 + j * 3) % 10) - 5) / 20))));
    const report = taskReport('multi-label', y, p, ['effusion', 'mass', 'nodule']);
    const ml = renderReport({ run: sampleInput().run, history: [], test: report });
    checkWellFormed(ml, 'html');
    expect(ml).toContain('<h2>Per-label metrics (test)</h2>');
    expect(ml).toContain('<th class="num">TP</th>');
    const row = report.perClass[0]!;
    expect(ml).toContain(`<td>effusion</td><td class="num">${row.support}</td><td class="num">${row.rocAuc.toFixed(3)}</td>`);
    expect(ml).not.toContain('<h2>Confusion matrices</h2>');
    expect(ml).toContain('ROC AUC (micro)');
    expect((svgsOf(ml).find((s) => s.includes('aria-label="ROC curve"'))!.match(/<polyline data-series=/g) ?? []).length).toBe(3);
  });
});
