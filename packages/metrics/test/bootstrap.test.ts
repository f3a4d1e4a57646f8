import { countsOf, prepareWeighted, weightedScalars } from '../src/weighted-binary.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BINARY_SCALAR_METRICS,
  binaryMetrics,
  binaryReport,
  bootstrap,
  bootstrapCI,
  bootstrapIndices,
  createResampler,
  evaluate,
  mulberry32,
  quantile,
  randomInt,
  rocAuc,
} from '@medxfer/metrics';
import { sharedPath } from '../../../test-support/paths.js';

const ref = JSON.parse(readFileSync(sharedPath('fixtures', 'reference', 'metrics-reference.json'), 'utf8')) as {
  binary: { labels: number[]; scores: number[] };
  multiclass: { labels: number[]; probs: number[][] };
  multilabel: { labels: number[][]; scores: number[][] };
};
const { labels, scores } = ref.binary;

const count = (values: ArrayLike<number>, v: number): number => Array.from(values).filter((x) => x === v).length;

describe('mulberry32', () => {
  it('is deterministic per seed, differs across seeds, and stays in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const xs = Array.from({ length: 10000 }, () => a());
    expect(Array.from({ length: 10000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    const r = mulberry32(5);
    const ints = Array.from({ length: 1000 }, () => randomInt(r, 3));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2]));
  });
});

describe('quantile (numpy linear interpolation)', () => {
  it('by hand', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75); // h = 3·0.25 = 0.75 → 1 + 0.75·(2 − 1)
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([7], 0.3)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('stratified resampling', () => {
  it('keeps every class count, and each position keeps its class', () => {
    const strata = [0, 0, 1, 2, 2, 2, 0, 1, 0, 0];
    const resample = createResampler(strata);
    const random = mulberry32(9);
    let identical = 0;
    for (let b = 0; b < 200; b++) {
      const idx = resample(random);
      expect(idx).toHaveLength(strata.length);
      for (let i = 0; i < idx.length; i++) expect(strata[idx[i]!]).toBe(strata[i]);
      const drawn = Array.from(idx, (j) => strata[j]!);
      for (const c of [0, 1, 2]) expect(count(drawn, c)).toBe(count(strata, c));
      if (idx.every((j, i) => j === i)) identical++;
    }
    expect(identical).toBeLessThan(5); // it really resamples
  });

  it('resamples with replacement: repeats occur', () => {
    const idx = bootstrapIndices(new Array(50).fill(1), mulberry32(1));
    expect(new Set(idx).size).toBeLessThan(50);
  });

  it('without stratification the class counts vary', () => {
    const strata = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const random = mulberry32(3);
    const positives = new Set<number>();
    for (let b = 0; b < 50; b++) positives.add(count(Array.from(bootstrapIndices(strata, random, false), (j) => strata[j]!), 1));
    expect(positives.size).toBeGreaterThan(1);
  });
});

describe('bootstrap confidence intervals', () => {
  const options = { samples: 300, seed: 11, confidence: 0.95 };

  it('same seed → same interval; different seed → different interval', () => {
    const a = bootstrapCI(labels, scores, rocAuc, options);
    const b = bootstrapCI(labels, scores, rocAuc, options);
    const c = bootstrapCI(labels, scores, rocAuc, { ...options, seed: 12 });
    expect(b).toEqual(a);
    expect([c.lower, c.upper]).not.toEqual([a.lower, a.upper]);
  });

  it('contains the point estimate, which is the metric on the original data', () => {
    const ci = bootstrapCI(labels, scores, rocAuc, options);
    expect(ci.estimate).toBe(rocAuc(labels, scores));
    expect(ci.lower).toBeLessThan(ci.estimate);
    expect(ci.upper).toBeGreaterThan(ci.estimate);
    expect(ci.upper - ci.lower).toBeLessThan(0.2);
    expect(ci).toMatchObject({ confidence: 0.95, samples: 300, validSamples: 300 });
  });

  it('a lower confidence gives a narrower interval inside the wider one', () => {
    const wide = bootstrapCI(labels, scores, rocAuc, options);
    const narrow = bootstrapCI(labels, scores, rocAuc, { ...options, confidence: 0.5 });
    expect(narrow.lower).toBeGreaterThan(wide.lower);
    expect(narrow.upper).toBeLessThan(wide.upper);
  });

  it('works for any metric function, and for index-based statistics', () => {
    const sens = bootstrapCI(labels, scores, (l, s) => binaryMetrics(l, s).sensitivity, options);
    expect(sens.estimate).toBe(binaryMetrics(labels, scores).sensitivity);
    expect(sens.lower).toBeLessThanOrEqual(sens.estimate);
    expect(sens.upper).toBeGreaterThanOrEqual(sens.estimate);
    // The same resamples through the generic index API give the same interval.
    const viaIndices = bootstrap(
      labels,
      (idx) => rocAuc(Array.from(idx, (i) => labels[i]!), Array.from(idx, (i) => scores[i]!)),
      options,
    );
    expect(viaIndices).toEqual(bootstrapCI(labels, scores, rocAuc, options));
  });

  it('resamples where the metric is undefined are left out and counted', () => {
    // Unstratified, one positive in ten: about 0.9^10 ≈ 35% of resamples have no positive (AUC NaN).
    const l = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const s = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95];
    const ci = bootstrapCI(l, s, rocAuc, { samples: 400, seed: 1, stratified: false });
    expect(ci.validSamples).toBeGreaterThan(150);
    expect(ci.validSamples).toBeLessThan(380);
    // Stratified keeps the single positive in every resample.
    expect(bootstrapCI(l, s, rocAuc, { samples: 400, seed: 1 }).validSamples).toBe(400);
  });
});

describe('binaryReport and evaluate with bootstrap', () => {
  it('gives a deterministic interval for every scalar metric, each containing its estimate', () => {
    const r = binaryReport(labels, scores, { bootstrap: { samples: 200, seed: 5, confidence: 0.9 } });
    expect(Object.keys(r.ci!).sort()).toEqual([...BINARY_SCALAR_METRICS].sort());
    for (const k of BINARY_SCALAR_METRICS) {
      const ci = r.ci![k];
      expect(ci.estimate).toBe(r[k]);
      expect(ci.validSamples).toBe(200);
      expect(ci.lower).toBeLessThanOrEqual(ci.estimate);
      expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
      expect(ci.lower).toBeLessThan(ci.upper);
    }
    expect(binaryReport(labels, scores, { bootstrap: { samples: 200, seed: 5, confidence: 0.9 } }).ci).toEqual(r.ci);
    // Its AUC interval is bootstrapCI's with the same options (same stratified resamples), computed as count-weighted
    // sums instead of on copied, re-sorted resamples: equal up to float summation order.
    const generic = bootstrapCI(labels, scores, rocAuc, { samples: 200, seed: 5, confidence: 0.9 });
    expect(r.ci!.rocAuc.estimate).toBe(generic.estimate);
    expect(Math.abs(r.ci!.rocAuc.lower - generic.lower)).toBeLessThan(1e-12);
    expect(Math.abs(r.ci!.rocAuc.upper - generic.upper)).toBeLessThan(1e-12);
  });

  it('weighted resamples give every metric of the report on the copied resample (1e-12)', () => {
    const data = { labels: Uint8Array.from(labels), scores: Float64Array.from(scores), n: labels.length, positives: labels.filter((y) => y === 1).length, negatives: labels.filter((y) => y === 0).length };
    const prepared = prepareWeighted(data, 0.5, false, 10, 1e-7);
    const random = mulberry32(9);
    for (let trial = 0; trial < 20; trial++) {
      const idx = bootstrapIndices(labels, random, trial % 2 === 0);
      const fast = weightedScalars(prepared, countsOf(prepared, idx));
      const slow = binaryReport(Array.from(idx, (i) => labels[i]!), Array.from(idx, (i) => scores[i]!));
      for (const k of BINARY_SCALAR_METRICS) {
        if (Number.isNaN(slow[k])) expect(fast[k], k).toBeNaN();
        else expect(Math.abs(fast[k] - slow[k]), `${k} (trial ${trial})`).toBeLessThan(1e-12);
      }
    }
  });

  it('evaluate adds AUC/ACC intervals for every task', () => {
    const opts = { bootstrap: { samples: 100, seed: 2 } };
    const bin = evaluate('binary-class', labels, scores, opts);
    expect(bin.ci!.auc).toEqual(bin.report.ci!.rocAuc);
    const mc = evaluate('multi-class', ref.multiclass.labels, ref.multiclass.probs, opts);
    const ml = evaluate('multi-label', ref.multilabel.labels, ref.multilabel.scores, opts);
    for (const e of [bin, mc, ml]) {
      expect(e.ci!.auc.estimate).toBe(e.auc);
      expect(e.ci!.acc.estimate).toBe(e.acc);
      for (const ci of [e.ci!.auc, e.ci!.acc]) {
        expect(ci.lower).toBeLessThanOrEqual(ci.estimate);
        expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
        expect(ci.lower).toBeLessThan(ci.upper);
      }
    }
    expect(evaluate('multi-class', ref.multiclass.labels, ref.multiclass.probs, opts).ci).toEqual(mc.ci);
  });
});
