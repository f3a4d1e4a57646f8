import { MetricsError } from './errors.js';

/**
 * A row-major matrix stored flat, e.g. the output of a tensor's `dataSync()`:
 * element (row `i`, column `j`) is `data[i * columns + j]`, so `data.length` must be a
 * multiple of `columns`.
 */
export interface FlatMatrix {
  readonly data: ArrayLike<number>;
  readonly columns: number;
}

/**
 * A 2-D `[samples, columns]` input, in either form:
 * - an array of rows (`number[][]`, or an array of typed arrays), all of the same length; or
 * - a {@link FlatMatrix} `{ data, columns }`.
 *
 * Used for multi-class probabilities `[n, classes]`, multi-label labels and scores
 * `[n, labels]`, and binary-class two-column probabilities `[n, 2]`.
 */
export type MatrixInput = ReadonlyArray<ArrayLike<number>> | FlatMatrix;

/** Internal normalised matrix. */
export interface Matrix {
  readonly rows: number;
  readonly columns: number;
  /** Row-major values, not yet validated (may hold NaN or non-numbers coerced to NaN). */
  readonly data: Float64Array;
}

export function isFlatMatrix(input: unknown): input is FlatMatrix {
  return typeof input === 'object' && input !== null && 'data' in input && 'columns' in input;
}

/** True for an array of rows (its first element is itself array-like). */
export function isRowArray(input: unknown): input is ReadonlyArray<ArrayLike<number>> {
  if (!Array.isArray(input) || input.length === 0) return false;
  const first: unknown = input[0];
  return typeof first === 'object' && first !== null && typeof (first as ArrayLike<unknown>).length === 'number';
}

/** Normalises a {@link MatrixInput}; throws `INVALID_SHAPE` / `EMPTY_INPUT` for ragged or empty input. */
export function toMatrix(fn: string, name: string, input: MatrixInput): Matrix {
  if (isFlatMatrix(input)) {
    const { data, columns } = input;
    if (typeof columns !== 'number' || !Number.isInteger(columns) || columns < 1) {
      throw new MetricsError('INVALID_SHAPE', `${fn}: ${name}.columns must be a positive integer, got ${String(columns)}.`);
    }
    if (data == null || typeof data.length !== 'number') {
      throw new MetricsError('INVALID_SHAPE', `${fn}: ${name}.data must be an array or typed array of numbers.`);
    }
    if (data.length === 0) {
      throw new MetricsError('EMPTY_INPUT', `${fn}: ${name} has no rows; a metric needs at least one sample.`);
    }
    if (data.length % columns !== 0) {
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: ${name}.data has ${data.length} values, not a multiple of columns=${columns}; pass row-major [samples, columns] data.`,
      );
    }
    const values = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) {
      const v: unknown = data[k];
      values[k] = typeof v === 'number' ? v : NaN;
    }
    return { rows: data.length / columns, columns, data: values };
  }
  if (!Array.isArray(input)) {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: ${name} must be an array of rows (number[][]) or { data, columns } (flat row-major).`,
    );
  }
  if (input.length === 0) {
    throw new MetricsError('EMPTY_INPUT', `${fn}: ${name} has no rows; a metric needs at least one sample.`);
  }
  const rows = input.length;
  const first: unknown = input[0];
  if (typeof first !== 'object' || first === null || typeof (first as ArrayLike<unknown>).length !== 'number') {
    throw new MetricsError(
      'INVALID_SHAPE',
      `${fn}: ${name} must be a 2-D array [samples, columns] (rows of numbers); got a flat array. Wrap it as { data, columns } or pass rows.`,
    );
  }
  const columns = (first as ArrayLike<number>).length;
  if (columns === 0) {
    throw new MetricsError('EMPTY_INPUT', `${fn}: ${name} has rows with no columns.`);
  }
  const data = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const row: unknown = input[i];
    if (typeof row !== 'object' || row === null || (row as ArrayLike<unknown>).length !== columns) {
      const len = typeof row === 'object' && row !== null ? (row as ArrayLike<unknown>).length : 'not an array';
      throw new MetricsError(
        'INVALID_SHAPE',
        `${fn}: ${name} is ragged: row 0 has ${columns} columns but row ${i} has ${String(len)}; every row needs the same length.`,
      );
    }
    const r = row as ArrayLike<unknown>;
    for (let j = 0; j < columns; j++) {
      const v = r[j];
      data[i * columns + j] = typeof v === 'number' ? v : NaN;
    }
  }
  return { rows, columns, data };
}

/** Column `j` of a matrix, as a new array. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.columns + j]!;
  return out;
}

/** @internal The rows of `m` at `indices` (with repeats): a bootstrap resample of a matrix. */
export function subsetRows(m: Matrix, indices: Int32Array): Matrix {
  const data = new Float64Array(indices.length * m.columns);
  for (let i = 0; i < indices.length; i++) data.set(m.data.subarray(indices[i]! * m.columns, (indices[i]! + 1) * m.columns), i * m.columns);
  return { rows: indices.length, columns: m.columns, data };
}

/** @internal The arithmetic mean (NaN when any value is, or for none). */
export const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
