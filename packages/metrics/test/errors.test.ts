// Every input error: the code, and a message that names the problem and what to do.
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  binaryMetrics,
  binaryReport,
  bootstrapCI,
  brierScore,
  evaluate,
  expectedCalibrationError,
  logLoss,
  macroOvrAuc,
  metricsFromConfusion,
  MetricsError,
  mulberry32,
  multiclassAccuracy,
  multilabelMeanAuc,
  perLabelAccuracy,
  quantile,
  reliabilityDiagram,
  rocAuc,
  rocCurve,
  thresholdForSensitivity,
  trapezoidArea,
  youdenThreshold,
} from '@medxfer/metrics';
import { expectMetricsError } from './helpers.js';

describe('binary input errors', () => {
  const binaryFns = [rocAuc, averagePrecision, youdenThreshold, brierScore, logLoss, expectedCalibrationError, binaryReport] as const;

  it('empty input', () => {
    for (const f of binaryFns) expectMetricsError(() => f([], []), 'EMPTY_INPUT', /empty/, /at least one sample/);
  });

  it('length mismatch names both lengths', () => {
    for (const f of binaryFns) expectMetricsError(() => f([0, 1, 1], [0.2, 0.4]), 'LENGTH_MISMATCH', /3 entries/, /2/, /one score per label/);
  });

  it('labels not 0/1 name the index and value', () => {
    expectMetricsError(() => rocAuc([0, 2, 1], [0.1, 0.2, 0.3]), 'INVALID_LABEL', /^rocAuc:/, /labels\[1\] is 2/, /0 or 1/);
    expectMetricsError(() => binaryMetrics([0, 1, -1], [0.1, 0.2, 0.3]), 'INVALID_LABEL', /labels\[2\] is -1/);
    expectMetricsError(() => binaryReport([0, 1, 0.5], [0.1, 0.2, 0.3]), 'INVALID_LABEL', /labels\[2\] is 0.5/);
    expectMetricsError(() => rocAuc([0, NaN], [0.1, 0.2]), 'INVALID_LABEL', /labels\[1\] is NaN/);
  });

  it('NaN and infinite scores', () => {
    expectMetricsError(() => rocAuc([0, 1], [0.1, NaN]), 'INVALID_SCORE', /scores\[1\] is NaN/, /finite/);
    expectMetricsError(() => rocCurve([0, 1], [Infinity, 0.2]), 'INVALID_SCORE', /scores\[0\] is Infinity/);
    expectMetricsError(() => binaryMetrics([0, 1], [0.1, -Infinity]), 'INVALID_SCORE', /-Infinity/);
  });

  it('probabilities outside [0, 1] where a metric needs probabilities', () => {
    for (const f of [brierScore, logLoss, expectedCalibrationError, reliabilityDiagram, binaryReport] as const) {
      expectMetricsError(() => f([0, 1], [0.1, 1.5]), 'INVALID_SCORE', /scores\[1\] is 1.5/, /outside \[0, 1\]/, /sigmoid/);
    }
    expectMetricsError(() => evaluate('binary-class', [0, 1], [-2.1, 3.4]), 'INVALID_SCORE', /probabilities/);
    // Ranking metrics accept any finite score (logits).
    expect(rocAuc([0, 1], [-2.1, 3.4])).toBe(1);
  });
});

describe('option errors', () => {
  it('thresholds, eps, bins, targets, first threshold', () => {
    expectMetricsError(() => binaryMetrics([0, 1], [0.1, 0.9], { threshold: NaN }), 'INVALID_OPTION', /threshold must be a finite number/);
    expectMetricsError(
      () => binaryMetrics([0, 1], [0.1, 0.9], { comparison: '<' as '>' }),
      'INVALID_OPTION',
      /comparison must be '>' or '>='/,
    );
    expectMetricsError(() => logLoss([0, 1], [0.1, 0.9], { eps: 0 }), 'INVALID_OPTION', /eps must be in \(0, 0.5\)/);
    expectMetricsError(() => binaryReport([0, 1], [0.1, 0.9], { logLossEps: 0.7 }), 'INVALID_OPTION', /logLossEps/);
    expectMetricsError(() => expectedCalibrationError([0, 1], [0.1, 0.9], { bins: 0 }), 'INVALID_OPTION', /bins must be an integer >= 1/);
    expectMetricsError(() => reliabilityDiagram([0, 1], [0.1, 0.9], { bins: 2.5 }), 'INVALID_OPTION', /bins/);
    expectMetricsError(() => thresholdForSensitivity([0, 1], [0.1, 0.9], 1.2), 'INVALID_OPTION', /target must be a sensitivity in \[0, 1\]/);
    expectMetricsError(() => thresholdForSensitivity([0, 1], [0.1, 0.9], NaN), 'INVALID_OPTION', /target/);
    expectMetricsError(
      () => rocCurve([0, 1], [0.1, 0.9], { firstThreshold: 'inf' as 'infinity' }),
      'INVALID_OPTION',
      /firstThreshold must be 'max-plus-one' or 'infinity'/,
    );
    expectMetricsError(() => perLabelAccuracy([[1]], [[0.2]], Infinity), 'INVALID_OPTION', /threshold/);
    expectMetricsError(() => quantile([1, 2], 1.5), 'INVALID_OPTION', /q must be in \[0, 1\]/);
  });

  it('bootstrap options', () => {
    const l = [0, 1, 0, 1];
    const s = [0.1, 0.8, 0.3, 0.6];
    expectMetricsError(() => bootstrapCI(l, s, rocAuc, { samples: 0 }), 'INVALID_OPTION', /samples must be an integer >= 1/);
    expectMetricsError(() => bootstrapCI(l, s, rocAuc, { samples: 10.5 }), 'INVALID_OPTION', /samples/);
    expectMetricsError(() => bootstrapCI(l, s, rocAuc, { confidence: 1 }), 'INVALID_OPTION', /confidence must be in \(0, 1\)/);
    expectMetricsError(() => bootstrapCI(l, s, rocAuc, { seed: -1 }), 'INVALID_OPTION', /seed must be an integer in \[0, 2\^32\)/);
    expectMetricsError(() => bootstrapCI(l, s, rocAuc, { seed: 0.5 }), 'INVALID_OPTION', /seed/);
    expectMetricsError(() => binaryReport(l, s, { bootstrap: { samples: -3 } }), 'INVALID_OPTION', /samples/);
    expectMetricsError(() => bootstrapCI([], [], rocAuc), 'EMPTY_INPUT', /empty/);
    expectMetricsError(() => bootstrapCI([0, 1], [0.1], rocAuc), 'LENGTH_MISMATCH', /one score per label/);
    expectMetricsError(() => bootstrapCI([0, NaN], [0.1, 0.2], rocAuc), 'INVALID_LABEL', /strata\[1\] is NaN/);
    expectMetricsError(() => mulberry32(2 ** 32), 'INVALID_OPTION', /seed/);
  });

  it('confusion counts', () => {
    expectMetricsError(() => metricsFromConfusion({ tn: 1, fp: -1, fn: 0, tp: 2 }), 'INVALID_OPTION', /fp must be a non-negative integer/);
    expectMetricsError(() => metricsFromConfusion({ tn: 1.5, fp: 0, fn: 0, tp: 2 }), 'INVALID_OPTION', /tn/);
    expectMetricsError(() => metricsFromConfusion({ tn: 0, fp: 0, fn: 0, tp: 0 }), 'EMPTY_INPUT', /all counts are 0/);
    expectMetricsError(() => trapezoidArea([0, 1], [1]), 'LENGTH_MISMATCH', /2 points/);
  });
});

describe('matrix errors', () => {
  const probs = [
    [0.6, 0.3, 0.1],
    [0.2, 0.5, 0.3],
  ];

  it('multi-class labels must be class indices of the score columns', () => {
    expectMetricsError(() => multiclassAccuracy([0, 3], probs), 'INVALID_LABEL', /labels\[1\] is 3/, /0\.\.2/, /3 columns/);
    expectMetricsError(() => macroOvrAuc([0, 1.5], probs), 'INVALID_LABEL', /labels\[1\] is 1.5/);
    expectMetricsError(() => multiclassAccuracy([0, 1, 2], probs), 'LENGTH_MISMATCH', /3 entries/, /2 rows/);
    expectMetricsError(() => multiclassAccuracy([0, 1], [[0.5, NaN, 0.5], [0.2, 0.5, 0.3]]), 'INVALID_SCORE', /scores\[0\]\[1\] is NaN/);
  });

  it('shapes: ragged, flat data not a multiple of columns, one column, flat array for a matrix, empty', () => {
    expectMetricsError(() => multiclassAccuracy([0, 1], [[0.5, 0.5], [0.2, 0.5, 0.3]]), 'INVALID_SHAPE', /ragged/, /row 1 has 3/);
    expectMetricsError(() => multiclassAccuracy([0, 1], { data: [0.1, 0.2, 0.3, 0.4, 0.5], columns: 2 }), 'INVALID_SHAPE', /5 values, not a multiple of columns=2/);
    expectMetricsError(() => multiclassAccuracy([0, 1], { data: [0.1, 0.2], columns: 0 }), 'INVALID_SHAPE', /columns must be a positive integer/);
    expectMetricsError(() => multiclassAccuracy([0, 0], [[0.1], [0.2]]), 'INVALID_SHAPE', /at least 2/);
    expectMetricsError(() => multiclassAccuracy([0, 1], [0.1, 0.9] as unknown as number[][]), 'INVALID_SHAPE', /2-D/);
    expectMetricsError(() => multiclassAccuracy([], []), 'EMPTY_INPUT', /no rows/);
  });

  it('multi-label labels and scores must have the same shape and 0/1 labels', () => {
    expectMetricsError(() => multilabelMeanAuc([[1, 0]], [[0.2, 0.3, 0.4]]), 'LENGTH_MISMATCH', /\[1, 2\]/, /\[1, 3\]/);
    expectMetricsError(() => multilabelMeanAuc([[1, 0.5]], [[0.2, 0.3]]), 'INVALID_LABEL', /labels\[0\]\[1\] is 0.5/);
    expectMetricsError(() => multilabelMeanAuc([[1, 0]], [[0.2, Infinity]]), 'INVALID_SCORE', /scores\[0\]\[1\] is Infinity/);
  });

  it('evaluate: unknown task, multi-column labels for a single-label task, too many binary columns', () => {
    expectMetricsError(() => evaluate('regression' as 'multi-class', [0], [[1, 0]]), 'INVALID_OPTION', /unknown task "regression"/, /binary-class/);
    expectMetricsError(() => evaluate('multi-class', [[0, 1], [1, 0]], probs.slice(0, 2)), 'INVALID_SHAPE', /2 columns/, /multi-label/);
    expectMetricsError(() => evaluate('binary-class', [0, 1], probs), 'INVALID_SHAPE', /3 columns/, /\[n, 2\]/);
  });

  it('MetricsError is an Error with a stable code', () => {
    const e = new MetricsError('EMPTY_INPUT', 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('EMPTY_INPUT');
    expect(e.name).toBe('MetricsError');
  });
});

describe('degenerate inputs return NaN rather than throwing', () => {
  it('binaryReport with one class', () => {
    const r = binaryReport([1, 1, 1], [0.2, 0.6, 0.9]);
    expect(r.rocAuc).toBeNaN();
    expect(r.youden.threshold).toBeNaN();
    expect(r.specificity).toBeNaN();
    expect(r.balancedAccuracy).toBeNaN();
    expect(r.averagePrecision).toBe(1);
    expect(r.accuracy).toBeCloseTo(2 / 3, 15);
    expect(r.brier).toBeCloseTo((0.64 + 0.16 + 0.01) / 3, 15);
    expect(evaluate('binary-class', [0, 0], [0.3, 0.7]).auc).toBeNaN();
  });
});
