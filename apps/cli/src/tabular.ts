import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readNpy } from '@medxfer/data';
import { UsageError } from './errors.js';

/** A numeric matrix read from CSV (header row optional) or NPY. */
export interface Matrix {
  readonly rows: number;
  readonly columns: number;
  readonly data: Float64Array;
  /** Column names when the CSV has a header row. */
  readonly header?: readonly string[];
}

/** The columns of a matrix whose names pass `keep` (all columns when there is no header). */
export function selectColumns(m: Matrix, keep: (name: string) => boolean): Matrix {
  if (!m.header) return m;
  const picked = m.header.map((name, i) => (keep(name) ? i : -1)).filter((i) => i >= 0);
  if (picked.length === 0 || picked.length === m.columns) return m;
  const data = new Float64Array(m.rows * picked.length);
  for (let r = 0; r < m.rows; r++) picked.forEach((c, k) => (data[r * picked.length + k] = m.data[r * m.columns + c]!));
  return { rows: m.rows, columns: picked.length, data, header: picked.map((i) => m.header![i]!) };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Reads a CSV of numbers (a non-numeric first row is a header) or an NPY. */
export async function readMatrix(file: string, what: string): Promise<Matrix> {
  const path = resolve(file);
  const bytes = await readFile(path).catch(() => {
    throw new UsageError(`${what} ${file}: no such file`);
  });
  if (path.endsWith('.npy')) {
    const npy = readNpy(new Uint8Array(bytes), path);
    const data = Float64Array.from(npy.data as ArrayLike<number | bigint>, Number);
    if (npy.shape.length > 2) throw new UsageError(`${path}: expected a 1-D or 2-D array, got [${npy.shape.join(', ')}]`);
    return { rows: npy.shape[0] ?? 1, columns: npy.shape[1] ?? 1, data };
  }
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError(`${path}: empty file`);
  let header: string[] | undefined;
  const firstCells = lines[0]!.split(',').map((c) => c.trim());
  if (firstCells.some((c) => c !== '' && !Number.isFinite(Number(c)))) (header = firstCells), lines.shift();
  const columns = firstCells.length;
  const data = new Float64Array(lines.length * columns);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== firstCells.length) throw new UsageError(`${path}: line ${r + (header ? 2 : 1)} has ${cells.length} fields, expected ${firstCells.length}`);
    cells.forEach((cell, i) => {
      const v = Number(cell.trim());
      // Decimal numbers only: Number() would also take 0x1, 0b1, '1e' forms nobody means in a labels file.
      if (!DECIMAL.test(cell.trim()) || !Number.isFinite(v)) throw new UsageError(`${path}: line ${r + (header ? 2 : 1)} column ${i + 1} is not a number: "${cell}"`);
      data[r * columns + i] = v;
    });
  });
  return { rows: lines.length, columns, data, ...(header ? { header } : {}) };
}
