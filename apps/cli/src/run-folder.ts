import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@medxfer/data/node';
import type { EpochRecord } from '@medxfer/train';
import { UsageError } from './errors.js';
import { LOCK_FILE } from './run-lock.js';

export const RUN_FILES = {
  config: 'config.json',
  history: 'history.csv',
  checkpoint: 'checkpoint.safetensors',
  previousCheckpoint: 'checkpoint-previous.safetensors',
  model: 'model',
  metrics: 'metrics.json',
  predictions: (split: string) => `predictions-${split}.csv`,
  worstErrors: 'worst-errors.png',
  report: 'report.html',
} as const;

/** Refuses to write into a folder that already holds files (a finished or running run). */
export async function ensureEmptyFolder(dir: string): Promise<void> {
  const kind = await stat(dir).then((s) => (s.isDirectory() ? 'folder' : 'file'), () => 'none');
  if (kind === 'file') throw new UsageError(`--out ${dir} is a file; name a new or empty folder`);
  // A lock alone is a run that stopped before writing anything: the lock says whether it is still running.
  const entries = (await readdir(dir).catch(() => [])).filter((f) => f !== LOCK_FILE);
  if (entries.length > 0) throw new UsageError(`--out ${dir} already exists and is not empty; choose another folder, or continue that run with --resume ${dir}`);
}

export const writeJson = (path: string, value: unknown) => writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');

export async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`${what}: ${path} does not exist`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new UsageError(`${what}: ${path} is not valid JSON (${(cause as Error).message})`);
  }
}

const cell = (v: number | string | boolean | undefined) => (v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(8))) : String(v));

export function historyCsv(history: readonly EpochRecord[]): string {
  const columns: (keyof EpochRecord)[] = ['epoch', 'phase', 'phaseEpoch', 'lr', 'trainLoss', 'trainAcc', 'valLoss', 'valAcc', 'valAuc', 'seconds', 'imgPerS', 'cachedFeatures'];
  return [columns.join(','), ...history.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** `index,label,score_0,…`: one row per image. */
export function predictionsCsv(labels: Uint8Array, probs: Float32Array, classes: number): string {
  const rows = [['index', 'label', ...Array.from({ length: classes }, (_, c) => `score_${c}`)].join(',')];
  for (let i = 0; i < labels.length; i++) rows.push([i, labels[i], ...Array.from(probs.subarray(i * classes, (i + 1) * classes), (p) => Number(p.toPrecision(7)))].join(','));
  return rows.join('\n') + '\n';
}

export const runPath = (dir: string, file: string) => join(dir, file);
