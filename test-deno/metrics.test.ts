// @medxfer/metrics' public API under Deno against the scikit-learn 1.2.1 reference fixture (1e-9).
import {
  MetricsError,
  averagePrecision,
  binaryConfusion,
  binaryReport,
  bootstrapCI,
  brierScore,
  evaluate,
  expectedCalibrationError,
  logLoss,
  macroOvrAuc,
  multiclassAccuracy,
  multiclassConfusionMatrix,
  multilabelMeanAccuracy,
  multilabelMeanAuc,
  precisionRecallCurve,
  rocAuc,
  rocCurve,
  youdenThreshold,
} from '@medxfer/metrics';
import * as metricsNode from '@medxfer/metrics/node';
import { assert, assertClose, assertEquals, assertThrows, readShared } from './harness.ts';

const ref = JSON.parse(new TextDecoder().decode(readShared('fixtures', 'reference', 'metrics-reference.json')));
const TOL = 1e-9;

Deno.test('binary metrics equal scikit-learn', () => {
  const b = ref.binary;
  const [[tn, fp], [fn, tp]] = b.confusion_matrix;
  assertEquals(binaryConfusion(b.labels, b.scores), { tn, fp, fn, tp });
  const r = binaryReport(b.labels, b.scores);
  const pairs: [number, number, string][] = [
    [r.accuracy, b.accuracy, 'accuracy'], [r.balancedAccuracy, b.balanced_accuracy, 'balanced accuracy'], [r.f1, b.f1, 'f1'],
    [r.precision, b.precision, 'precision'], [r.sensitivity, b.recall_sensitivity, 'sensitivity'], [r.specificity, b.specificity, 'specificity'],
    [r.mcc, b.mcc, 'mcc'], [r.cohensKappa, b.cohen_kappa, 'kappa'], [r.rocAuc, b.roc_auc, 'roc auc'], [r.averagePrecision, b.average_precision, 'ap'],
    [r.brier, b.brier, 'brier'], [r.logLoss, b.log_loss, 'log loss'], [r.ece, b.ece_10_equal_width_bins, 'ece'], [r.youden.threshold, b.youden_threshold, 'youden'],
  ];
  for (const [actual, expected, what] of pairs) assertClose(actual, expected, TOL, 0, what);
  assertClose(rocAuc(b.labels, b.scores), b.roc_auc, TOL);
  assertClose(averagePrecision(b.labels, b.scores), b.average_precision, TOL);
  assertClose(brierScore(b.labels, b.scores), b.brier, TOL);
  assertClose(logLoss(b.labels, b.scores), b.log_loss, TOL);
  assertClose(expectedCalibrationError(b.labels, b.scores), b.ece_10_equal_width_bins, TOL);
  assertClose(youdenThreshold(b.labels, b.scores).threshold, b.youden_threshold, TOL);
});

Deno.test('ROC curve element by element; PR curve ends at (recall 0, precision 1)', () => {
  const b = ref.binary;
  const roc = rocCurve(b.labels, b.scores);
  assertClose(roc.fpr, b.roc_curve.fpr, TOL, 0, 'fpr');
  assertClose(roc.tpr, b.roc_curve.tpr, TOL, 0, 'tpr');
  assertClose(roc.thresholds, b.roc_curve.thresholds, TOL, 0, 'thresholds');
  const pr = precisionRecallCurve(b.labels, b.scores);
  assertEquals([pr.precision.at(-1), pr.recall.at(-1)], [1, 0]);
});

Deno.test('multi-class and multi-label equal scikit-learn / MedMNIST', () => {
  const m = ref.multiclass;
  assertClose(multiclassAccuracy(m.labels, m.probs), m.accuracy, TOL);
  assertClose(macroOvrAuc(m.labels, m.probs), m.macro_ovr_auc, TOL);
  assertEquals(multiclassConfusionMatrix(m.labels, m.probs), m.confusion_matrix);
  const e = evaluate('multi-class', m.labels, { data: m.probs.flat(), columns: 4 });
  assertClose([e.auc, e.acc], [m.macro_ovr_auc, m.accuracy], TOL);
  const l = ref.multilabel;
  assertClose(multilabelMeanAuc(l.labels, l.scores), l.mean_auc, TOL);
  assertClose(multilabelMeanAccuracy(l.labels, l.scores), l.mean_accuracy, TOL);
  const ml = evaluate('multi-label, binary-class', l.labels, l.scores);
  assertClose([ml.auc, ml.acc], [l.mean_auc, l.mean_accuracy], TOL);
});

Deno.test('seeded bootstrap is reproducible and brackets the estimate; errors are MetricsError', () => {
  const b = ref.binary;
  const a = bootstrapCI(b.labels, b.scores, rocAuc, { samples: 300, seed: 7 });
  const again = bootstrapCI(b.labels, b.scores, rocAuc, { samples: 300, seed: 7 });
  assertEquals(a, again);
  assert(a.lower <= a.estimate && a.estimate <= a.upper, `${a.lower} ${a.estimate} ${a.upper}`);
  assertEquals(a.validSamples, 300);
  assertThrows(() => rocAuc([0, 1], [0.5]), MetricsError, /one score per label/);
  try {
    rocAuc([0, 1], [0.5]);
  } catch (error) {
    assertEquals((error as MetricsError).code, 'LENGTH_MISMATCH');
  }
  assert(Number.isNaN(rocAuc([1, 1], [0.2, 0.3])), 'AUC with one class is NaN');
  assertEquals(metricsNode.evaluate === evaluate, true);
});
