// Every kind of MedMNIST task through the real `medxfer` binary, on synthetic files with the official keys,
// dtypes and shapes: train → run folder → evaluate → predict.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetInfo, encodePng, imageAt, openMedMNIST } from '@medxfer/data';
import { writeSyntheticMedMNIST } from '../../../test-support/synthetic-medmnist.js';
import { runCli, scratch } from './run-cli.js';

const CASES = [
  { flag: 'breastmnist', kind: 'binary-class', what: 'binary, grey' },
  { flag: 'dermamnist', kind: 'multi-class', what: '7 classes, RGB' },
  { flag: 'retinamnist', kind: 'ordinal-regression', what: 'ordinal, 5 grades, RGB' },
  { flag: 'chestmnist', kind: 'multi-label', what: '14 findings, grey' },
] as const;

const root = scratch('synthetic');
const recipe = ['--weights', 'none', '--epochs-head', '1', '--epochs-full', '3', '--lr-full', '1e-3', '--backend', 'wasm', '--bootstrap', '100'];

describe.each(CASES)('medxfer on $flag ($what)', ({ flag, kind }) => {
  const info = datasetInfo(flag);
  const names = info.labels;
  let run = '';
  let metrics: Record<string, any>;

  beforeAll(async () => {
    writeSyntheticMedMNIST(root, flag, { seed: 7 });
    run = join(scratch(flag), 'run');
    const r = await runCli(['train', '--dataset', flag, '--root', root, '--no-verify', ...recipe, '--out', run, '--json']);
    expect(r.code, r.stderr).toBe(0);
    metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  });

  it('writes a complete run folder with metrics of the task, above chance', () => {
    // The worst-errors montage exists exactly when the model made an error on the test split.
    const errors = metrics.test.acc < 1;
    expect(readdirSync(run).sort()).toEqual(['config.json', 'history.csv', 'metrics.json', 'model', 'predictions-test.csv', 'predictions-val.csv', 'report.html', ...(errors ? ['worst-errors.png'] : [])]);
    expect(metrics.task).toBe(kind);
    expect(metrics.test.perClass).toHaveLength(names.length);
    expect(metrics.test.auc).toBeGreaterThan(0.8);
    if (kind === 'multi-label') {
      expect(metrics.test.confusionMatrix).toBeUndefined();
      expect(Object.keys(metrics.test.summary)).toEqual(['meanLabelAccuracy', 'macroAuc', 'microAuc', 'macroAveragePrecision', 'macroF1', 'microF1', 'exactMatch']);
      expect(metrics.test.perClass[0]).toHaveProperty('confusion.tp');
    } else {
      expect(metrics.test.confusionMatrix).toHaveLength(names.length);
      expect(metrics.test.acc).toBeGreaterThan(1.5 / names.length);
    }
    if (kind === 'ordinal-regression') expect(metrics.test.summary).toHaveProperty('meanAbsoluteError');
    expect(metrics.test.ci.macroAuc ?? metrics.test.ci.rocAuc).toHaveProperty('lower');
    expect(metrics.bootstrap).toMatchObject({ samples: 100 });
  });

  it('names one score column per class or label in the predictions CSV', () => {
    const header = readFileSync(join(run, 'predictions-test.csv'), 'utf8').split('\n')[0]!.split(',');
    const scores = header.filter((h) => h.startsWith('score_'));
    expect(scores).toHaveLength(names.length);
    expect(scores[0]).toBe(`score_${names[0]!.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')}`);
    if (kind === 'multi-label') expect(header.filter((h) => h.startsWith('label_'))).toHaveLength(names.length);
    else expect(header[1]).toBe('label');
  });

  it('reports the sections of the task in report.html', () => {
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html).not.toMatch(/NaN|No evaluation was run|No ROC curve/);
    expect(html).toContain('<h2>ROC curves</h2>');
    const roc = html.match(/aria-label="ROC curve"[\s\S]*?<\/svg>/)![0];
    const curves = (roc.match(/<polyline data-series=/g) ?? []).length;
    if (kind === 'binary-class') {
      expect(curves).toBe(2); // test and validation
      expect(html).toContain('<h2>Confusion matrices</h2>');
    } else {
      expect(curves).toBe(names.length); // one-vs-rest, test split
      expect(html).toContain(kind === 'multi-label' ? '<h2>Per-label metrics (test)</h2>' : '<h2>Per-class metrics (test)</h2>');
      expect(html.includes('<h2>Confusion matrices</h2>')).toBe(kind !== 'multi-label');
    }
  });

  it('evaluate reproduces the test metrics of the run from its own dataset folder', async () => {
    const r = await runCli(['evaluate', '--model', run, '--backend', 'wasm', '--bootstrap', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.task).toBe(kind);
    expect(e.n).toBe(64);
    expect(e.acc).toBe(metrics.test.acc);
    expect(Math.abs(e.auc - metrics.test.auc)).toBeLessThan(1e-9);
    const text = await runCli(['evaluate', '--model', run, '--backend', 'wasm', '--bootstrap', '0']);
    expect(text.stdout).toContain(kind === 'multi-label' ? 'per label (one-vs-rest)' : 'per class (one-vs-rest)');
  });

  it('predict answers with the kind of prediction the task has', async () => {
    const data = openMedMNIST(readFileSync(join(root, `${flag}.npz`)), { flag, verify: false });
    const channels = info.channels as 1 | 3;
    const file = join(scratch(`${flag}-png`), 'image.png');
    writeFileSync(file, encodePng({ width: 28, height: 28, channels, pixels: imageAt(data.splits.test, 0) }));
    const r = await runCli(['predict', '--model', run, file, '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [result] = JSON.parse(r.stdout).results;
    const probabilities = Object.values(result.probabilities) as number[];
    expect(probabilities).toHaveLength(names.length);
    if (kind === 'multi-label') {
      expect(Array.isArray(result.prediction)).toBe(true);
      const truth = names.filter((_, j) => data.splits.test.labels[j] === 1);
      expect(result.prediction).toEqual(names.filter((n) => result.probabilities[n] > 0.5));
      expect(result.prediction.filter((n: string) => truth.includes(n)).length).toBeGreaterThan(0);
    } else {
      expect(names).toContain(result.prediction);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});
