import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatMetric, METRIC_LABELS, metricLabel, MetricsError, taskKind, taskReport } from '@medxfer/metrics';

// scikit-learn 1.2 reference values (scripts/fixtures/make-task-fixtures.py, run with Debian's python3-sklearn).
interface SingleCase {
  name: string; labels: number[]; probs: number[][]; accuracy: number; balancedAccuracy: number; perClassAuc: number[]; macroAuc: number;
  perClassAveragePrecision: number[]; perClassPrecision: number[]; perClassRecall: number[]; perClassF1: number[]; macroF1: number;
  cohensKappa: number; mcc: number; logLoss: number; meanAbsoluteError: number; confusionMatrix: number[][];
}
interface MultiCase {
  labels: number[][]; probs: number[][]; perLabelAuc: number[]; macroAuc: number; microAuc: number; perLabelAveragePrecision: number[];
  macroAveragePrecision: number; perLabelF1: number[]; macroF1: number; microF1: number; exactMatch: number; meanLabelAccuracy: number;
  perLabelConfusion: [number, number, number, number][];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/task-report-reference.json', import.meta.url), 'utf8')) as { singleLabel: SingleCase[]; multiLabel: MultiCase };

const close = (actual: number, expected: number, what: string) => expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(1e-9 + 1e-9 * Math.abs(expected));
const closeAll = (actual: readonly number[], expected: readonly number[], what: string) => expected.forEach((e, i) => close(actual[i]!, e, `${what}[${i}]`));

describe.each(ref.singleLabel)('taskReport on $name predictions equals scikit-learn', (c) => {
  const task = c.name === 'ordinal' ? 'ordinal-regression' : 'multi-class';
  const report = taskReport(task, c.labels, c.probs, [], { bootstrap: { samples: 50, seed: 3 } });

  it('summary metrics', () => {
    close(report.acc, c.accuracy, 'acc');
    close(report.auc, c.macroAuc, 'auc');
    close(report.summary['balancedAccuracy']!, c.balancedAccuracy, 'balanced accuracy');
    close(report.summary['macroF1']!, c.macroF1, 'macro F1');
    close(report.summary['cohensKappa']!, c.cohensKappa, 'kappa');
    close(report.summary['mcc']!, c.mcc, 'MCC');
    close(report.summary['logLoss']!, c.logLoss, 'log loss');
    if (task === 'ordinal-regression') close(report.summary['meanAbsoluteError']!, c.meanAbsoluteError, 'MAE');
    else expect(report.summary).not.toHaveProperty('meanAbsoluteError');
  });

  it('per-class one-vs-rest rows and the confusion matrix', () => {
    closeAll(report.perClass.map((r) => r.rocAuc), c.perClassAuc, 'AUC');
    closeAll(report.perClass.map((r) => r.averagePrecision), c.perClassAveragePrecision, 'AP');
    closeAll(report.perClass.map((r) => r.precision), c.perClassPrecision, 'precision');
    closeAll(report.perClass.map((r) => r.sensitivity), c.perClassRecall, 'recall');
    closeAll(report.perClass.map((r) => r.f1), c.perClassF1, 'F1');
    expect(report.confusionMatrix).toEqual(c.confusionMatrix);
    expect(report.curves).toHaveLength(c.perClassAuc.length);
  });

  it('bootstrap intervals of every summary metric, around the estimate', () => {
    for (const [key, value] of Object.entries(report.summary)) {
      const ci = report.ci![key]!;
      expect(ci.estimate).toBe(value);
      expect(ci.lower).toBeLessThanOrEqual(ci.upper);
    }
    expect(report.bootstrap).toEqual({ samples: 50, seed: 3, confidence: 0.95, stratified: true });
  });
});

describe('taskReport on multi-label predictions equals scikit-learn', () => {
  const c = ref.multiLabel;
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const report = taskReport('multi-label, binary-class', c.labels, c.probs, names);

  it('summary metrics', () => {
    expect(report.task).toBe('multi-label');
    close(report.auc, c.macroAuc, 'macro AUC');
    close(report.summary['microAuc']!, c.microAuc, 'micro AUC');
    close(report.summary['macroAveragePrecision']!, c.macroAveragePrecision, 'macro AP');
    close(report.summary['macroF1']!, c.macroF1, 'macro F1');
    close(report.summary['microF1']!, c.microF1, 'micro F1');
    close(report.summary['exactMatch']!, c.exactMatch, 'exact match');
    close(report.acc, c.meanLabelAccuracy, 'mean label accuracy (MedMNIST ACC)');
    expect(report.confusionMatrix).toBeUndefined();
  });

  it('per-label rows with their confusion counts', () => {
    closeAll(report.perClass.map((r) => r.rocAuc), c.perLabelAuc, 'AUC');
    closeAll(report.perClass.map((r) => r.averagePrecision), c.perLabelAveragePrecision, 'AP');
    closeAll(report.perClass.map((r) => r.f1), c.perLabelF1, 'F1');
    expect(report.perClass.map((r) => [r.confusion.tn, r.confusion.fp, r.confusion.fn, r.confusion.tp])).toEqual(c.perLabelConfusion);
    expect(report.perClass.map((r) => r.name)).toEqual(names);
  });
});

describe('taskReport: binary, undefined metrics and bad input', () => {
  it('binary reports carry the clinical report and one curve', () => {
    const report = taskReport('binary-class', [0, 1, 1, 0, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9], [0.2, 0.8]], ['normal', 'pneumonia']);
    expect(report.binary!.confusion).toEqual({ tn: 1, fp: 1, fn: 1, tp: 2 });
    expect(report.confusionMatrix).toEqual([[1, 1], [1, 2]]);
    expect(report.acc).toBe(0.6);
    expect(report.curves).toHaveLength(1);
    expect(report.summary['cohensKappa']).toBe(report.binary!.cohensKappa);
  });

  it('names why a metric is undefined (a class absent from the split)', () => {
    const report = taskReport('multi-class', [0, 1, 0, 1], [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.3, 0.4, 0.3]], ['x', 'y', 'z']);
    expect(report.perClass[2]!.rocAuc).toBeNaN();
    expect(report.undefinedMetrics['class z']).toMatch(/no sample of this class/);
    expect(report.undefinedMetrics['macroAuc']).toMatch(/undefined/);
    expect(report.curves.map((c) => c.name)).toEqual(['x', 'y']);
    expect(formatMetric(report.auc)).toBe('undefined');
  });

  it('refuses probabilities that cannot be right', () => {
    expect(() => taskReport('multi-class', [0, 1], [[0.7, 0.7], [0.2, 0.8]])).toThrow(MetricsError);
    expect(() => taskReport('multi-class', [0, 1], [[Number.NaN, 1], [0.2, 0.8]])).toThrow(/finite numbers in \[0, 1\]/);
    expect(() => taskReport('multi-label', [[0, 1]], [[1.2, 0.5]])).toThrow(/in \[0, 1\]/);
    expect(() => taskKind('segmentation')).toThrow(/unknown task/);
  });

  it('has one display name for every summary metric it reports', () => {
    const reports = [
      taskReport('binary-class', [0, 1], [[0.9, 0.1], [0.2, 0.8]]),
      taskReport('ordinal-regression', [0, 1, 2], [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]),
      taskReport('multi-label', [[0, 1], [1, 0]], [[0.2, 0.9], [0.7, 0.1]]),
    ];
    for (const key of reports.flatMap((r) => Object.keys(r.summary))) expect(METRIC_LABELS[key], key).toBeDefined();
    expect(metricLabel('logLoss')).toBe('Log loss ↓');
  });
});
