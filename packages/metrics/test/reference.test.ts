// Every value of the scikit-learn reference fixture (shared/fixtures/reference/metrics-reference.json),
// matched to 1e-9; curves element by element, confusion matrices exactly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryConfusion,
  binaryMetrics,
  binaryReport,
  brierScore,
  evaluate,
  expectedCalibrationError,
  logLoss,
  macroOvrAuc,
  multiclassAccuracy,
  multiclassConfusionMatrix,
  multilabelMeanAccuracy,
  multilabelMeanAuc,
  rocAuc,
  rocCurve,
  youdenThreshold,
} from '@medxfer/metrics';
import { sharedPath } from '../../../test-support/paths.js';

interface Reference {
  binary: {
    labels: number[];
    scores: number[];
    threshold: string;
    accuracy: number;
    roc_auc: number;
    average_precision: number;
    balanced_accuracy: number;
    f1: number;
    precision: number;
    recall_sensitivity: number;
    specificity: number;
    confusion_matrix: [[number, number], [number, number]];
    brier: number;
    log_loss: number;
    ece_10_equal_width_bins: number;
    mcc: number;
    cohen_kappa: number;
    roc_curve: { fpr: number[]; tpr: number[]; thresholds: number[] };
    youden_threshold: number;
  };
  multiclass: { labels: number[]; probs: number[][]; accuracy: number; macro_ovr_auc: number; confusion_matrix: number[][] };
  multilabel: { labels: number[][]; scores: number[][]; mean_auc: number; mean_accuracy: number };
}

const ref = JSON.parse(readFileSync(sharedPath('fixtures', 'reference', 'metrics-reference.json'), 'utf8')) as Reference;
const TOL = 1e-9;

const close = (actual: number, expected: number) => {
  expect(Number.isFinite(actual)).toBe(true);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(TOL);
};
const closeArray = (actual: ArrayLike<number>, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > TOL) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
};

describe('binary reference (sklearn 1.2.1)', () => {
  const b = ref.binary;
  const { labels, scores } = b;
  const [[tn, fp], [fn, tp]] = b.confusion_matrix;

  it('uses the MedMNIST threshold rule the fixture states', () => {
    expect(b.threshold).toBe('score > 0.5');
    // The strict rule matters for this fixture: some scores are exactly 0.5.
    expect(scores.filter((s) => s === 0.5).length).toBeGreaterThan(0);
  });

  it('threshold metrics and confusion matrix', () => {
    const m = binaryMetrics(labels, scores);
    expect(m.confusion).toEqual({ tn, fp, fn, tp });
    expect(binaryConfusion(labels, scores)).toEqual({ tn, fp, fn, tp });
    close(m.accuracy, b.accuracy);
    close(m.balancedAccuracy, b.balanced_accuracy);
    close(m.f1, b.f1);
    close(m.precision, b.precision);
    close(m.sensitivity, b.recall_sensitivity);
    close(m.specificity, b.specificity);
    close(m.mcc, b.mcc);
    close(m.cohensKappa, b.cohen_kappa);
  });

  it('ROC curve element by element (drop_intermediate, first threshold = max + 1 as sklearn 1.2)', () => {
    const roc = rocCurve(labels, scores);
    closeArray(roc.fpr, b.roc_curve.fpr);
    closeArray(roc.tpr, b.roc_curve.tpr);
    closeArray(roc.thresholds, b.roc_curve.thresholds);
  });

  it('ROC curve with firstThreshold "infinity" differs only in the first threshold', () => {
    const roc = rocCurve(labels, scores, { firstThreshold: 'infinity' });
    expect(roc.thresholds[0]).toBe(Infinity);
    closeArray(roc.thresholds.slice(1), b.roc_curve.thresholds.slice(1));
    closeArray(roc.fpr, b.roc_curve.fpr);
  });

  it('ROC AUC, average precision, Brier, log loss, ECE, Youden', () => {
    close(rocAuc(labels, scores), b.roc_auc);
    close(averagePrecision(labels, scores), b.average_precision);
    close(brierScore(labels, scores), b.brier);
    close(logLoss(labels, scores), b.log_loss);
    close(expectedCalibrationError(labels, scores), b.ece_10_equal_width_bins);
    close(youdenThreshold(labels, scores).threshold, b.youden_threshold);
  });

  it('binaryReport holds every reference value', () => {
    const r = binaryReport(labels, scores);
    expect(r.threshold).toBe(0.5);
    expect(r.confusion).toEqual({ tn, fp, fn, tp });
    close(r.accuracy, b.accuracy);
    close(r.balancedAccuracy, b.balanced_accuracy);
    close(r.sensitivity, b.recall_sensitivity);
    close(r.specificity, b.specificity);
    close(r.precision, b.precision);
    close(r.npv, tn / (tn + fn));
    close(r.f1, b.f1);
    close(r.mcc, b.mcc);
    close(r.cohensKappa, b.cohen_kappa);
    close(r.rocAuc, b.roc_auc);
    close(r.averagePrecision, b.average_precision);
    close(r.brier, b.brier);
    close(r.logLoss, b.log_loss);
    close(r.ece, b.ece_10_equal_width_bins);
    close(r.youden.threshold, b.youden_threshold);
    // Youden's operating point is a point of the reference ROC curve.
    const k = b.roc_curve.thresholds.indexOf(b.youden_threshold);
    expect(k).toBeGreaterThan(0);
    close(r.youden.sensitivity, b.roc_curve.tpr[k]!);
    close(r.youden.specificity, 1 - b.roc_curve.fpr[k]!);
    expect(r.ci).toBeUndefined();
  });

  it('evaluate("binary-class") with [n, 2] probabilities and with a flat score', () => {
    const two = scores.map((s) => [1 - s, s]);
    const e = evaluate('binary-class', labels, two);
    close(e.auc, b.roc_auc);
    close(e.acc, b.accuracy);
    close(e.report.logLoss, b.log_loss);
    const flat = evaluate('binary-class', labels.map((l) => [l]), Float64Array.from(scores));
    close(flat.auc, b.roc_auc);
    close(flat.acc, b.accuracy);
  });

  it('accepts Float32Array / Uint8Array input', () => {
    // Float32 rounding moves scores slightly but keeps their order and ties, so AUC is unchanged.
    close(rocAuc(Uint8Array.from(labels), Float32Array.from(scores)), b.roc_auc);
  });
});

describe('multi-class reference', () => {
  const m = ref.multiclass;
  it('accuracy by argmax, macro one-vs-rest AUC, confusion matrix', () => {
    close(multiclassAccuracy(m.labels, m.probs), m.accuracy);
    close(macroOvrAuc(m.labels, m.probs), m.macro_ovr_auc);
    expect(multiclassConfusionMatrix(m.labels, m.probs)).toEqual(m.confusion_matrix);
  });

  it('evaluate("multi-class") and ordinal-regression, rows or flat', () => {
    const flat = { data: Float32Array.from(m.probs.flat()), columns: 4 };
    for (const task of ['multi-class', 'ordinal-regression'] as const) {
      const e = evaluate(task, m.labels, m.probs);
      expect(e.task).toBe(task);
      close(e.auc, m.macro_ovr_auc);
      close(e.acc, m.accuracy);
      expect(e.confusionMatrix).toEqual(m.confusion_matrix);
    }
    const e = evaluate('multi-class', { data: m.labels, columns: 1 }, { data: m.probs.flat(), columns: 4 });
    close(e.auc, m.macro_ovr_auc);
    // float32 probabilities: argmax and ranking survive the rounding here
    const f = evaluate('multi-class', m.labels, flat);
    expect(f.confusionMatrix).toEqual(m.confusion_matrix);
  });
});

describe('multi-label reference', () => {
  const m = ref.multilabel;
  it('mean per-label AUC and mean per-label accuracy at > 0.5', () => {
    close(multilabelMeanAuc(m.labels, m.scores), m.mean_auc);
    close(multilabelMeanAccuracy(m.labels, m.scores), m.mean_accuracy);
  });

  it('evaluate("multi-label") with rows and with flat row-major matrices', () => {
    const e = evaluate('multi-label', m.labels, m.scores);
    close(e.auc, m.mean_auc);
    close(e.acc, m.mean_accuracy);
    expect(e.perLabelAuc).toHaveLength(5);
    const flat = evaluate(
      'multi-label, binary-class',
      { data: Uint8Array.from(m.labels.flat()), columns: 5 },
      { data: m.scores.flat(), columns: 5 },
    );
    close(flat.auc, m.mean_auc);
    close(flat.acc, m.mean_accuracy);
  });
});
