/**
 * Display names of every metric medxfer reports, by the key its reports use: one table for the CLI, the
 * HTML report and the web app, so they cannot disagree.
 */
export const METRIC_LABELS: Readonly<Record<string, string>> = {
  accuracy: 'Accuracy',
  balancedAccuracy: 'Balanced accuracy',
  sensitivity: 'Sensitivity (recall)',
  specificity: 'Specificity',
  precision: 'Precision (PPV)',
  npv: 'NPV',
  f1: 'F1',
  mcc: 'MCC',
  cohensKappa: "Cohen's kappa",
  rocAuc: 'ROC AUC',
  averagePrecision: 'Average precision',
  brier: 'Brier score',
  logLoss: 'Log loss',
  ece: 'ECE',
  meanLabelAccuracy: 'Accuracy (mean over labels)',
  exactMatch: 'Exact-match accuracy',
  macroAuc: 'ROC AUC (macro)',
  microAuc: 'ROC AUC (micro)',
  macroAveragePrecision: 'Average precision (macro)',
  macroPrecision: 'Precision (macro)',
  macroSensitivity: 'Sensitivity (macro)',
  macroF1: 'F1 (macro)',
  microF1: 'F1 (micro)',
  meanAbsoluteError: 'Mean absolute class error',
};

/** Metrics where lower is better (the others: higher is better). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['brier', 'logLoss', 'ece', 'meanAbsoluteError']);

/** The display name of a metric key (the key itself when it has none), with ↓ when lower is better. */
export function metricLabel(key: string): string {
  const label = METRIC_LABELS[key] ?? key;
  return LOWER_IS_BETTER.has(key) ? `${label} ↓` : label;
}

/** `0.912`, or `undefined` for a value that is not a finite number: reports never show NaN. */
export function formatMetric(value: number | undefined, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : 'undefined';
}
