// The wasm heap's 4 GiB and a kill -9: what once ended in "memory access out of bounds", "Aborted()" or a lost
// run now either fits, is refused in one line before training, or resumes to the same result.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from './run-cli.js';

const quick = ['--weights', 'none', '--train-limit', '64', '--eval-limit', '32', '--epochs-head', '1', '--epochs-full', '2', '--backend', 'wasm', '--bootstrap', '0'];

const oneLine = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('medxfer:'));

describe('training within the wasm heap', () => {
  it('refuses a micro-batch whose step cannot fit, with the estimate and one that fits', async () => {
    const dir = scratch('oom');
    const cases: [string[], RegExp][] = [
      [['--resize', '320', '--micro-batch', '32'], /--micro-batch 32 at 320 px needs ≈ 4\.\d GB of the wasm backend's 4 GiB heap; use --micro-batch 16 or less/],
      [['--resize', '224', '--batch-size', '256', '--micro-batch', '256'], /--micro-batch 256 at 224 px needs ≈ 17\.\d GB .*; use --micro-batch 32 or less/],
    ];
    for (const [flags, message] of cases) {
      const out = join(dir, flags.join('_'));
      const r = await runCli(['train', ...quick, ...flags, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toEqual([expect.stringMatching(message)]);
      expect(existsSync(out), 'a refused run leaves nothing').toBe(false);
    }
  });

  it('at 512 px chooses a micro-batch that fits, says so, and finishes', async () => {
    const out = join(scratch('oom-512'), 'run');
    const r = await runCli(['train', '--weights', 'none', '--resize', '512', '--train-limit', '16', '--eval-limit', '8', '--epochs-head', '0', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '0', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/micro-batch 8: a chunk of 32 images at 512 px needs ≈ 11\.\d GB, more than the wasm backend's 4 GiB heap holds/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).microBatch).toBe(8);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).test.n).toBe(8);
  });
});

describe('kill -9 at a random moment', () => {
  it('loses nothing: running again or resuming ends where an uninterrupted run ends', async () => {
    const dir = scratch('kill9');
    let started = Date.now();
    const reference = await runCli(['train', ...quick, '--seed', '5', '--out', join(dir, 'reference')]);
    expect(reference.code, reference.stderr).toBe(0);
    // Any moment of a run as long as the reference took: starting up, training, checkpointing, evaluating.
    const delayMs = Math.floor(Math.random() * (Date.now() - started));
    const out = join(dir, 'killed');
    started = Date.now();
    let armed = false;
    const killed = await runCli(['train', ...quick, '--seed', '5', '--out', out], {
      onStderr: (_text, child) => {
        if (!armed) (armed = true), setTimeout(() => child.kill('SIGKILL'), Math.max(0, delayMs - (Date.now() - started))).unref();
      },
    });
    const at = `killed ${delayMs} ms after start (${killed.signal ?? `exit ${killed.code}`})`;
    // A lock left by the killed process: medxfer says it is stale and how to clear it; do that and run again.
    const clearingStaleLock = async (args: string[]) => {
      const first = await runCli(args);
      if (first.code !== 2 || !/stale lock/.test(first.stderr)) return first;
      expect(oneLine(first.stderr), at).toEqual([expect.stringMatching(/no longer running: delete .*run\.lock and run again/)]);
      rmSync(join(out, 'run.lock'));
      return runCli(args);
    };
    if (killed.code !== 0) {
      // Before config.json exists there is no run to resume: the same command starts it.
      const again = existsSync(join(out, 'config.json')) ? ['train', '--resume', out] : ['train', ...quick, '--seed', '5', '--out', out];
      const finished = await clearingStaleLock(again);
      expect(finished.code, `${at}: ${finished.stderr}`).toBe(0);
    }
    const read = (run: string, file: string) => readFileSync(join(dir, run, file), 'utf8');
    // Every column but the timings (seconds, imgPerS).
    const columns = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, 9).join(','));
    expect(columns(read('killed', 'history.csv')), at).toEqual(columns(read('reference', 'history.csv')));
    expect(JSON.parse(read('killed', 'metrics.json')).test.summary, at).toEqual(JSON.parse(read('reference', 'metrics.json')).test.summary);
  });
});
