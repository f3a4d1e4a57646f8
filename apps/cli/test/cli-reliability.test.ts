// One writer per run folder: two real processes, a resume of a folder in use, a stale lock.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePng } from '@medxfer/data';
import { BIN, runCli, scratch } from './run-cli.js';

const quick = ['--weights', 'none', '--train-limit', '64', '--eval-limit', '32', '--epochs-head', '1', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '0'];

describe('run folders have one writer', () => {
  it('two train runs started together with the same --out: one trains, the other is refused naming it', async () => {
    const out = join(scratch('race'), 'run');
    const [a, b] = await Promise.all([runCli(['train', ...quick, '--seed', '1', '--out', out]), runCli(['train', ...quick, '--seed', '2', '--out', out])]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n${b.stderr}`).toEqual([0, 2]);
    const loser = a.code === 2 ? a : b;
    expect(loser.stderr).toMatch(/(is being written by process \d+|already exists and is not empty)/);
    // Everything in the folder is the winner's: config.json and metrics agree on the seed.
    const winnerSeed = a.code === 0 ? 1 : 2;
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).seed).toBe(winnerSeed);
    expect(existsSync(join(out, 'run.lock')), 'the lock is released at the end').toBe(false);
  });

  it('--resume of a folder another process is training is refused; a stale lock says how to clear it', async () => {
    const out = join(scratch('busy'), 'run');
    let second: ReturnType<typeof runCli> | undefined;
    const training = runCli(['train', ...quick, '--epochs-full', '3', '--out', out], {
      // Once the first epoch is done, a second process tries to resume the same folder.
      onStderr: (text) => void (second ??= /epoch 1 \(head\)/.test(text) ? runCli(['train', '--resume', out]) : undefined),
    });
    expect((await training).code).toBe(0);
    const resumed = await second!;
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`${out} is being written by process `);

    const stale = join(scratch('stale'), 'run');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'config.json'), '{}');
    writeFileSync(join(stale, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'medxfer train' }));
    const r = await runCli(['train', '--resume', stale]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has a stale lock from process 4194311 .* no longer running: delete .*run\.lock and run again/);
  });

  it('a damaged last checkpoint falls back to the one before it, and resumes to the end', async () => {
    const out = join(scratch('damaged'), 'run');
    let sent = false;
    const cut = await runCli(['train', ...quick, '--epochs-full', '2', '--out', out], {
      onStderr: (text, child) => {
        if (!sent && /epoch 2 \(full\)/.test(text)) (sent = true), child.kill('SIGINT');
      },
    });
    expect(cut.code).toBe(130);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['checkpoint.safetensors', 'checkpoint-previous.safetensors']));
    const latest = readFileSync(join(out, 'checkpoint.safetensors'));
    latest[latest.length - 1000] ^= 0xff;
    writeFileSync(join(out, 'checkpoint.safetensors'), latest);
    const resumed = await runCli(['train', '--resume', out, '--backend', 'wasm']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/the checkpoint is damaged .*; resuming from the checkpoint before it \(epoch 1\)/);
    expect(readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('a run stopped before its first epoch restarts in place; execution flags may change on resume, the recipe may not', async () => {
    const out = join(scratch('early'), 'run');
    let sent = false;
    const cut = await runCli(['train', ...quick, '--out', out], {
      onStderr: (text, child) => {
        if (!sent && /head epoch 1\/2 batch 1\//.test(text)) (sent = true), child.kill('SIGINT');
      },
    });
    expect(cut.code).toBe(130);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(false);
    writeFileSync(join(out, 'history.csv.1a2b3c.tmp'), 'left by a kill');
    const recipe = await runCli(['train', '--resume', out, '--seed', '3']);
    expect(recipe.code).toBe(2);
    expect(recipe.stderr).toMatch(/--seed would change it/);
    const restarted = await runCli(['train', '--resume', out, '--micro-batch', '16', '--backend', 'wasm']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toMatch(/finished no epoch before it stopped: starting it again from the beginning/);
    expect(restarted.stderr).toMatch(/removed 1 unfinished temporary file/);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).microBatch).toBe(16);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('Ctrl-C during the final evaluation says how to finish it, and --resume does', async () => {
    const out = join(scratch('eval-cut'), 'run');
    let sent = false;
    const cut = await runCli(['train', '--weights', 'none', '--train-limit', '64', '--epochs-head', '0', '--epochs-full', '1', '--backend', 'wasm', '--bootstrap', '0', '--out', out], {
      onStderr: (text, child) => {
        if (!sent && /evaluating the model on val/.test(text)) (sent = true), child.kill('SIGINT');
      },
    });
    expect(cut.code, cut.stderr).toBe(130);
    expect(cut.stderr).toMatch(/interrupted during the final evaluation; training is finished and saved: medxfer train --resume .* evaluates it/);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    const resumed = await runCli(['train', '--resume', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).test.n).toBe(624);
  });

  it('output to a full disk is one line and exit 1 (stdout on /dev/full)', () => {
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [BIN, 'datasets', 'list'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
    closeSync(full);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['medxfer: cannot write the output: the disk is full']);
  });

  it('an image that claims 50,000 × 50,000 pixels is refused from its header, in one line', async () => {
    const dir = scratch('huge');
    // A real 1×1 PNG whose IHDR is rewritten to claim 50000 × 50000 (the CRC no longer matters: nothing is decoded).
    const png = encodePng({ width: 1, height: 1, channels: 1, pixels: Uint8Array.of(0) });
    new DataView(png.buffer, png.byteOffset).setUint32(16, 50_000);
    new DataView(png.buffer, png.byteOffset).setUint32(20, 50_000);
    writeFileSync(join(dir, 'huge.png'), png);
    const r = await runCli(['predict', '--model', join(dir, 'no-model'), join(dir, 'huge.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/huge\.png: 50000 × 50000 pixels is more than medxfer reads \(64 MP\)/)]);
  });

  it('every failure is one line with the right exit code, never a stack trace', async () => {
    const dir = scratch('failures');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    writeFileSync(join(dir, 'hex.csv'), 'label,score\n0x1,0.5\n0,0.2\n');
    writeFileSync(join(dir, 'ok.csv'), 'label,score\n1,0.5\n0,0.2\n');
    // A sparse 2.5 GB file (taking no disk): more than Node reads into one buffer.
    mkdirSync(join(dir, 'big'));
    writeFileSync(join(dir, 'big', 'pneumoniamnist.npz'), '');
    truncateSync(join(dir, 'big', 'pneumoniamnist.npz'), 2_500_000_000);
    const cases: [string[], number, RegExp][] = [
      [['train', '--weights', 'none', '--out', file], 2, /is a file; name a new or empty folder/],
      [['datasets', 'save', 'pneumoniamnist', '--out', file], 2, /a file stands where a folder is needed/],
      [['weights', 'import', 'none', '--out', join(dir, 'm')], 2, /names no weights/],
      [['weights', 'import', 'imagenet-or-none', '--out', join(dir, 'm')], 2, /names no weights/],
      [['weights', 'export', '--model', dir, '--out', join(dir, 'x.pth')], 2, /no model\.json there/],
      [['evaluate', '--model', join(dir, 'none')], 2, /no model\.json there/],
      [['metrics', '--labels', file, '--scores', file], 2, /no rows of numbers/],
      [['train', '--resume', file], 2, /config\.json does not exist/],
      [['datasets', 'download', 'bloodmnist', '--root', dir], 1, /cannot download/],
      [['metrics', '--labels', join(dir, 'hex.csv'), '--scores', join(dir, 'hex.csv')], 2, /line 2 column 1 is not a number: "0x1"/],
      [['metrics', '--labels', join(dir, 'ok.csv'), '--scores', join(dir, 'ok.csv'), '--bootstrap', '-5'], 2, /--bootstrap must be a whole number ≥ 0/],
      // 2.5 GB of zeros: opened by offset (no whole-file read, no 2 GiB limit) and refused as what it is, at once.
      [['datasets', 'info', 'pneumoniamnist', '--root', join(dir, 'big'), '--no-verify'], 2, /big\/pneumoniamnist\.npz: not a zip archive \(no end-of-central-directory record\)/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(args);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('medxfer:'));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(errors, args.join(' ')).toEqual([expect.stringMatching(message)]);
      expect(r.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
    }
  });
});

