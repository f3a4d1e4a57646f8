// Datasets read from disk by offset (stored entries in place, deflated ones through the inflate cache), checked
// image for image against the in-memory path on the real PneumoniaMNIST file. The entries are small, so the tests
// lower `inMemoryBytes` to 0; the > 2 GiB files are exercised by .ci/large-files.sh.
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allImageBytes,
  CorruptArchiveError,
  FileChangedError,
  loadMedMNIST,
  makeBatch,
  openMedMNIST,
  openZip,
  SPLITS,
  type FileProgress,
  type MedMNIST,
} from '@medxfer/data';
import { folderInflateCache, md5File, nodeStore, openFileReader, sideFolder } from '@medxfer/data/node';
import { unzipSync, zipSync } from 'fflate';
import { pneumoniaBytes, SHARED_MD5 } from './helpers.js';

const reference = () => openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false });

/** A folder holding PneumoniaMNIST as the file the store expects: the shared (deflated) copy, or re-zipped stored. */
function folderWith(kind: 'deflated' | 'stored'): string {
  const root = mkdtempSync(join(tmpdir(), `medxfer-disk-${kind}-`));
  const bytes = kind === 'deflated' ? pneumoniaBytes() : zipSync(Object.fromEntries(Object.entries(unzipSync(pneumoniaBytes())).map(([k, v]) => [k, [v, { level: 0 }]])));
  writeFileSync(join(root, 'pneumoniamnist.npz'), bytes);
  return root;
}

const open = (root: string, options: { onFileProgress?: (p: FileProgress) => void; prepare?: boolean } = {}) =>
  loadMedMNIST('pneumoniamnist', { store: nodeStore(root), verify: false, download: false, inMemoryBytes: 0, ...options });

function expectSameImages(data: MedMNIST): void {
  const memory = reference();
  for (const split of SPLITS) {
    expect(data.splits[split].count).toBe(memory.splits[split].count);
    expect(Buffer.from(allImageBytes(data.splits[split].images)).equals(Buffer.from(allImageBytes(memory.splits[split].images)))).toBe(true);
    expect(data.splits[split].labels).toEqual(memory.splits[split].labels);
  }
  const indices = [5, 4000, 17, 4707];
  expect(makeBatch(data.splits.train, indices, { size: 64, channels: 1 }).images).toEqual(makeBatch(memory.splits.train, indices, { size: 64, channels: 1 }).images);
}

describe('datasets on disk', () => {
  it('reads a stored file in place, image for image as in memory, hashing it once', async () => {
    const root = folderWith('stored');
    const hashed: FileProgress[] = [];
    const data = await loadMedMNIST('pneumoniamnist', { store: nodeStore(root), verify: false, download: false, inMemoryBytes: 0, onFileProgress: (p) => hashed.push(p) });
    expect(SPLITS.map((s) => data.splits[s].storage)).toEqual(['file', 'file', 'file']);
    expectSameImages(data);
    expect(hashed.at(-1)).toMatchObject({ stage: 'hash', done: statSync(join(root, 'pneumoniamnist.npz')).size });
    await data.close?.();
    // The md5 is remembered with the file's size and mtime: the second open does not read the file again.
    const again: FileProgress[] = [];
    const second = await loadMedMNIST('pneumoniamnist', { store: nodeStore(root), verify: false, download: false, inMemoryBytes: 0, onFileProgress: (p) => again.push(p) });
    expect(again).toEqual([]);
    expect(second.md5).toBe(data.md5);
    await second.close?.();
  });

  it('inflates a deflated file once into the cache next to it, then reads from the cache', async () => {
    const root = folderWith('deflated');
    const progress: FileProgress[] = [];
    const data = await open(root, { onFileProgress: (p) => progress.push(p) });
    expect(SPLITS.map((s) => data.splits[s].storage)).toEqual(['cache', 'cache', 'cache']);
    expect(data.md5).toBe(SHARED_MD5);
    expectSameImages(data);
    expect(progress.filter((p) => p.what.endsWith('train_images.npy')).at(-1)).toMatchObject({ stage: 'inflate', done: 3691200, total: 3691200 });
    await data.close?.();
    const folder = sideFolder(join(root, 'pneumoniamnist.npz'));
    expect(readdirSync(folder).sort()).toEqual(['md5.json', ...SPLITS.flatMap((s) => [`${s}_images.npy`, `${s}_images.npy.json`])].sort());
    const made = statSync(join(folder, 'train_images.npy')).mtimeMs;

    const second: FileProgress[] = [];
    const reopened = await open(root, { onFileProgress: (p) => second.push(p) });
    expect(second).toEqual([]);
    expect(statSync(join(folder, 'train_images.npy')).mtimeMs).toBe(made);
    expectSameImages(reopened);
    await reopened.close?.();
  });

  it('never trusts a partial or stale copy: it is made again', async () => {
    const root = folderWith('deflated');
    const file = join(root, 'pneumoniamnist.npz');
    await (await open(root)).close?.();
    const folder = sideFolder(file);
    // A copy cut short (its stamp still there) and a copy whose stamp was never written (a crash before it).
    truncateSync(join(folder, 'val_images.npy'), 1000);
    writeFileSync(join(folder, 'test_images.npy.json'), '{"source":');
    const remade: string[] = [];
    const data = await open(root, { onFileProgress: (p) => p.stage === 'inflate' && p.done === p.total && remade.push(p.what) });
    expect(remade.map((w) => w.split(':').at(-1))).toEqual(['val_images.npy', 'test_images.npy']);
    expectSameImages(data);
    await data.close?.();
    // The source file changed (a newer mtime): every copy and the md5 are made again.
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const stages: string[] = [];
    await (await open(root, { onFileProgress: (p) => p.done === p.total && stages.push(p.stage) })).close?.();
    expect(stages).toEqual(['hash', 'inflate', 'inflate', 'inflate']);
  });

  it('leaves nothing behind when preparing fails (disk full, a corrupt stream)', async () => {
    const root = folderWith('deflated');
    const file = join(root, 'pneumoniamnist.npz');
    const cache = folderInflateCache(file);
    const reader = await openFileReader(file);
    const entry = openZip(reader).get('train_images.npy')!;
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    await expect(
      cache.write(entry, async (sink) => {
        await sink(new Uint8Array(4096));
        throw full;
      }),
    ).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(sideFolder(file))).toEqual([]);
    await expect(cache.open(entry)).resolves.toBeUndefined();
    await reader.close();

    // A deflate stream damaged in the middle of train_images: refused by name, no copy, no stamp, no temp file.
    const bytes = new Uint8Array(pneumoniaBytes());
    bytes[entry.dataOffset + (entry.compressedSize >> 1)] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(open(root)).rejects.toThrow(CorruptArchiveError);
    await expect(open(root)).rejects.toThrow(/pneumoniamnist\.npz: entry train_images\.npy/);
    expect(readdirSync(sideFolder(file)).filter((f) => f.startsWith('train'))).toEqual([]);
  });

  it('a sink that fails (a full disk) ends the inflating stream at once with its own error', async () => {
    const zip = openZip(await openFileReader(join(folderWith('deflated'), 'pneumoniamnist.npz')));
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    let written = 0;
    const attempt = zip.pipe(zip.get('train_images.npy')!, async (chunk) => {
      written += chunk.length;
      if (written > 2 ** 20) throw full;
    });
    await expect(attempt).rejects.toBe(full);
    expect(written).toBeLessThan(2 ** 20 + 2 ** 17);
  });

  it('notices a file that changes while it is read', async () => {
    const root = folderWith('stored');
    const file = join(root, 'pneumoniamnist.npz');
    const data = await open(root);
    expect(data.splits.test.images.read(3)).toHaveLength(784);
    appendFileSync(file, 'x');
    expect(() => data.splits.test.images.read(3)).toThrow(FileChangedError);
    expect(() => data.splits.test.images.read(3)).toThrow(/changed size .* while medxfer was reading it/);
    await data.close?.();
  });

  it('datasets info can look without preparing: labels read, images left deflated, with a time estimate', async () => {
    const root = folderWith('deflated');
    const data = await open(root, { prepare: false });
    expect(SPLITS.map((s) => data.splits[s].storage)).toEqual(['unprepared', 'unprepared', 'unprepared']);
    expect(data.splits.train.labels).toEqual(reference().splits.train.labels);
    expect(data.unprepared?.map((u) => [u.split, u.bytes])).toEqual([['train', 4708 * 784], ['val', 524 * 784], ['test', 624 * 784]]);
    expect(data.unprepared!.every((u) => u.seconds > 0 && u.seconds < 10)).toBe(true);
    expect(() => data.splits.train.images.read(0)).toThrow(/not inflated into the cache yet/);
    expect(readdirSync(sideFolder(join(root, 'pneumoniamnist.npz')))).toEqual(['md5.json']);
    await data.close?.();
  });

  it('md5File hashes with node:crypto and remembers it until the file changes', async () => {
    const root = folderWith('stored');
    const file = join(root, 'pneumoniamnist.npz');
    expect(await md5File(file, { cachedOnly: true })).toBeUndefined();
    const md5 = await md5File(file);
    expect(md5).toMatch(/^[0-9a-f]{32}$/);
    expect(await md5File(file, { cachedOnly: true })).toBe(md5);
    copyFileSync(join(root, 'pneumoniamnist.npz'), join(root, 'copy.npz'));
    appendFileSync(file, 'x');
    expect(await md5File(file, { cachedOnly: true })).toBeUndefined();
    expect(await md5File(join(root, 'copy.npz'))).toBe(md5);
    expect(readFileSync(file).length).toBe(statSync(join(root, 'copy.npz')).size + 1);
  });
});
