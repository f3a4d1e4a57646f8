import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '@medxfer/data';
import { sharedPath } from '../../../test-support/paths.js';
import { runCli, scratch } from './run-cli.js';

describe('medxfer datasets (the real binary)', () => {
  it('lists the catalogue as text and JSON', async () => {
    const text = await runCli(['datasets', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/pneumoniamnist\s+2D\s+binary-class\s+2\s+1\s+4708\/524\/624\s+28,64,128,224/);
    const json = await runCli(['datasets', 'list', '--json']);
    // One JSON object, as every --json output.
    const list = JSON.parse(json.stdout) as { medmnist: string; datasets: { flag: string }[] };
    expect(list.medmnist).toBe('3.0.2');
    expect(list.datasets).toHaveLength(18);
    expect(json.stderr).toBe('');
  });

  it('info on the bundled copy: counts, class counts and an honest checksum status', async () => {
    const r = await runCli(['datasets', 'info', 'pneumoniamnist', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ checksum: 'known-copy', md5: 'b591286d75c096548ca78ab709b385da', splits: { train: { count: 4708, classCounts: [1214, 3494] }, val: { count: 524, classCounts: [135, 389] }, test: { count: 624, classCounts: [234, 390] } } });
    const text = await runCli(['datasets', 'info', 'pneumoniamnist']);
    expect(text.stdout).toMatch(/checksum: bundled copy, verified against its own md5/);
    expect(text.stdout).toMatch(/test\s+624\s+234\s+390/);
  });

  it('a root the user names must hold the official file unless --no-verify', async () => {
    // A copy: medxfer remembers a file's md5 beside it (pneumoniamnist.npz.medxfer/), and the fixtures stay untouched.
    const root = scratch('root');
    copyFileSync(sharedPath('data', 'pneumoniamnist.npz'), join(root, 'pneumoniamnist.npz'));
    const refused = await runCli(['datasets', 'info', 'pneumoniamnist', '--root', root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/md5 is b591286d75c096548ca78ab709b385da, expected 28209eda62fecd6e6a2d98b1501bb15f.*--no-verify/);
    const accepted = await runCli(['datasets', 'info', 'pneumoniamnist', '--root', root, '--no-verify', '--json']);
    expect(JSON.parse(accepted.stdout).checksum).toBe('unverified');
    expect(JSON.parse(readFileSync(join(root, 'pneumoniamnist.npz.medxfer', 'md5.json'), 'utf8')).md5).toBe('b591286d75c096548ca78ab709b385da');
  });

  it('a command group answers --help with its subcommands', async () => {
    for (const [group, sub] of [['datasets', 'montage'], ['weights', 'import']] as const) {
      const r = await runCli([group, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`medxfer ${group} ${sub}`);
    }
  });

  it('montage writes an L×L PNG of the chosen split', async () => {
    const dir = scratch('montage');
    const out = join(dir, 'grid.png');
    const r = await runCli(['datasets', 'montage', 'pneumoniamnist', '--split', 'val', '--length', '4', '--seed', '3', '--out', out]);
    expect(r.code).toBe(0);
    const png = decodePng(new Uint8Array(readFileSync(out)));
    expect([png.width, png.height]).toEqual([112, 112]);
  });

  it('save writes one PNG per image and an index', async () => {
    const dir = scratch('save');
    const r = await runCli(['datasets', 'save', 'pneumoniamnist', '--split', 'test', '--out', dir, '--json']);
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'test'))).toHaveLength(624);
    const index = readFileSync(join(dir, 'index.csv'), 'utf8').trim().split('\n');
    expect(index[0]).toBe('split,index,label,file');
    expect(index).toHaveLength(625);
    expect(index.slice(1).filter((l) => l.split(',')[2] === '1')).toHaveLength(390);
  });

  it('offline download: one clear line, nothing written', async () => {
    const root = scratch('root');
    const r = await runCli(['datasets', 'download', 'breastmnist', '--root', root]);
    expect(r.code, 'the environment (no network), not the input: exit 1, as for weights').toBe(1);
    expect(r.stderr).toMatch(/^medxfer: .*breastmnist\.npz: cannot download https:\/\/zenodo\.org\/records\/10519652\/files\/breastmnist\.npz\?download=1 \(downloads are off/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('usage errors: one line, exit 2, nothing written', async () => {
    const dir = scratch('usage');
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['datasets'], /"medxfer datasets" needs a subcommand: list, info, download, montage, save/],
      [['datasets', 'info', 'pneumoniamnist', '--colour'], /unknown flag --colour/],
      [['datasets', 'info', 'pneumoniamnist', '--size', 'big'], /--size needs a whole number, got "big"/],
      [['datasets', 'info', 'catmnist'], /unknown dataset "catmnist"/],
      [['datasets', 'info', 'pneumoniamnist', '--size', '100'], /pneumoniamnist has no size 100/],
      [['datasets', 'montage', 'pneumoniamnist'], /needs --out F\.png/],
      [['datasets', 'montage', 'pneumoniamnist', '--split', 'dev', '--out', join(dir, 'x.png')], /--split must be one of train, val, test/],
      [['train', '--preset', 'magic', '--out', join(dir, 'run')], /--preset must be one of notebook, fine-tune, scratch/],
      [['train', '--batch-size', '0', '--out', join(dir, 'run')], /--batch-size must be at least 1/],
      [['train', '--workers', '0', '--out', join(dir, 'run')], /--workers must be at least 1/],
      [['train', '--epochs', '3', '--out', join(dir, 'run')], /--epochs is for the fine-tune and scratch presets/],
      [['train', '--weights', join(dir, 'missing.pth'), '--out', join(dir, 'run')], /--weights .*missing\.pth: no such file/],
      [['metrics', '--labels', join(dir, 'none.csv'), '--scores', join(dir, 'none.csv')], /--labels .*none\.csv: no such file/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});
