/**
 * Why a metric refused its input. Stable strings, for programs to branch on.
 *
 * - `EMPTY_INPUT`: no samples (or no columns).
 * - `LENGTH_MISMATCH`: labels and scores describe a different number of samples.
 * - `INVALID_LABEL`: a label is not 0/1 (binary, multi-label) or not a class index (multi-class).
 * - `INVALID_SCORE`: a score is NaN or infinite, or a probability lies outside [0, 1].
 * - `INVALID_SHAPE`: a matrix is ragged, or has a column count the task does not accept.
 * - `INVALID_OPTION`: an option is out of range (threshold, bins, samples, confidence, seed, ...).
 */
export type MetricsErrorCode =
  | 'EMPTY_INPUT'
  | 'LENGTH_MISMATCH'
  | 'INVALID_LABEL'
  | 'INVALID_SCORE'
  | 'INVALID_SHAPE'
  | 'INVALID_OPTION';

/**
 * The only error `@medxfer/metrics` throws. It is thrown for input that is wrong (see
 * {@link MetricsErrorCode}); a metric that is merely undefined for valid input (for example
 * ROC AUC when only one class is present) returns `NaN` instead, as each function documents.
 *
 * The message names the function, the problem, and what to do about it.
 */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  constructor(code: MetricsErrorCode, message: string) {
    super(message);
    this.name = 'MetricsError';
    this.code = code;
  }
}
