import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asRGB,
  ChecksumMismatchError,
  classCounts,
  DatasetFormatError,
  DatasetUnavailableError,
  downloadBytes,
  imageAt,
  loadMedMNIST,
  md5Hex,
  memoryStore,
  openMedMNIST,
  UnknownDatasetError,
  type FetchLike,
} from '@medxfer/data';
import { defaultRoot, nodeStore, writeFileAtomic } from '@medxfer/data/node';
import { zipSync } from 'fflate';
import { pneumoniaBytes, SHARED_MD5 } from './helpers.js';

describe('PneumoniaMNIST from the shared file', () => {
  it('refuses the file when verifying, naming both checksums and the way out', () => {
    const attempt = () => openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', source: 'shared/pneumoniamnist.npz' });
    expect(attempt).toThrow(ChecksumMismatchError);
    expect(attempt).toThrow(`shared/pneumoniamnist.npz: md5 is ${SHARED_MD5}, expected 28209eda62fecd6e6a2d98b1501bb15f`);
    expect(attempt).toThrow(/--no-verify/);
  });

  it('loads with verification off, marked unverified, with the real counts', () => {
    const data = openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false });
    expect(data).toMatchObject({ checksum: 'unverified', md5: SHARED_MD5, officialMd5: '28209eda62fecd6e6a2d98b1501bb15f' });
    const { train, val, test } = data.splits;
    expect([train.count, val.count, test.count]).toEqual([4708, 524, 624]);
    expect(classCounts(train)).toEqual([1214, 3494]);
    expect(classCounts(val)).toEqual([135, 389]);
    expect(classCounts(test)).toEqual([234, 390]);
    expect(train.imageShape).toEqual([28, 28]);
    expect(imageAt(test, 623)).toHaveLength(784);
    expect(() => imageAt(test, 624)).toThrow(/out of range/);
  });

  it('asRGB repeats the grey value in three channels', () => {
    const { test } = openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', verify: false }).splits;
    const rgb = asRGB(test);
    expect(rgb.imageShape).toEqual([28, 28, 3]);
    const grey = imageAt(test, 5);
    const colour = imageAt(rgb, 5);
    for (const p of [0, 100, 783]) expect([colour[3 * p], colour[3 * p + 1], colour[3 * p + 2]]).toEqual([grey[p], grey[p], grey[p]]);
  });

  it('names missing arrays and wrong shapes', () => {
    const npy = (shape: string, n: number) => {
      const header = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117) + '\n';
      const out = new Uint8Array(128 + n);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
      out.set(new TextEncoder().encode(header), 10);
      return out;
    };
    const noTest = zipSync({ 'train_images.npy': npy('(1, 28, 28)', 784), 'train_labels.npy': npy('(1, 1)', 1), 'val_images.npy': npy('(1, 28, 28)', 784), 'val_labels.npy': npy('(1, 1)', 1) });
    expect(() => openMedMNIST(noTest, { flag: 'pneumoniamnist', verify: false, source: 'mine.npz' })).toThrow(DatasetFormatError);
    expect(() => openMedMNIST(noTest, { flag: 'pneumoniamnist', verify: false, source: 'mine.npz' })).toThrow(/mine\.npz: missing arrays test_images, test_labels/);
    const wrongSize = zipSync(Object.fromEntries(['train', 'val', 'test'].flatMap((s) => [[`${s}_images.npy`, npy('(1, 32, 32)', 1024)], [`${s}_labels.npy`, npy('(1, 1)', 1)]])));
    expect(() => openMedMNIST(wrongSize, { flag: 'pneumoniamnist', verify: false, source: 'w.npz' })).toThrow(/w\.npz: train: images have shape \[1, 32, 32\], expected \[N, 28, 28\]/);
  });

  it('refuses an entry that would inflate to more than its array can be, before inflating it (a zip bomb)', () => {
    const npyHeader = (shape: string) => {
      const out = new Uint8Array(128);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
      out.set(new TextEncoder().encode(`{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117) + '\n'), 10);
      return out;
    };
    /** A deflated npz whose train_images entry holds `header` and 1000 zeros but claims `declared` bytes (the bomb's zip header). */
    const bomb = (header: Uint8Array, declared: number) => {
      const data = new Uint8Array(header.length + 1000);
      data.set(header);
      const zip = zipSync({ 'train_images.npy': [data, { level: 9 }], 'train_labels.npy': npyHeader('(1,)') }, { level: 9 });
      const view = new DataView(zip.buffer);
      for (let at = 0; at < zip.length - 4; at++) {
        const sig = view.getUint32(at, true);
        const nameAt = sig === 0x04034b50 ? at + 30 : sig === 0x02014b50 ? at + 46 : -1;
        if (nameAt < 0 || new TextDecoder().decode(zip.subarray(nameAt, nameAt + 16)) !== 'train_images.npy') continue;
        view.setUint32(at + (sig === 0x04034b50 ? 22 : 24), declared, true);
      }
      return zip;
    };
    const open = (zip: Uint8Array) => () => openMedMNIST(zip, { flag: 'pneumoniamnist', verify: false, source: 'bomb.npz' });
    // 2,000,000 images of 28 × 28: 1.5 GiB, declared consistently, 2,500 times what PneumoniaMNIST's train split holds.
    expect(open(bomb(npyHeader('(2000000, 28, 28)'), 128 + 2_000_000 * 784))).toThrow(/bomb\.npz: train: 2000000 images, more than the 4708 pneumoniamnist has/);
    // One image, but the zip claims 1.5 GB: the header and the declared size disagree.
    expect(open(bomb(npyHeader('(1, 28, 28)'), 1_500_000_000))).toThrow(/train_images\.npy: shape \[1, 28, 28\] of u1 needs 912 bytes but the archive declares 1500000000/);
  });
});

describe('loadMedMNIST: store, download, verification', () => {
  let server: Server;
  let base = '';
  const served: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url?.startsWith('/pneumoniamnist.npz')) {
        const body = pneumoniaBytes();
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends the catalogue's zenodo URLs to the loopback server instead. */
  const loopback: FetchLike = (url, init) => fetch(`${base}/${new URL(url).pathname.split('/').pop()}`, init);

  it('downloads over fetch with progress, and refuses a file that is not the official one without saving it', async () => {
    const store = memoryStore();
    const progress: number[] = [];
    const attempt = loadMedMNIST('pneumoniamnist', { store, fetch: loopback, onProgress: (p) => progress.push(p.loaded) });
    await expect(attempt).rejects.toThrow(ChecksumMismatchError);
    await expect(loadMedMNIST('pneumoniamnist', { store, fetch: loopback })).rejects.toThrow(/nothing was saved/);
    expect(store.files.size).toBe(0);
    expect(progress.at(-1)).toBe(pneumoniaBytes().length);
  });

  it('saves the download into a folder atomically when the caller accepts it, then reads it from there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'medxfer-data-'));
    const store = nodeStore(root);
    served.length = 0;
    const first = await loadMedMNIST('pneumoniamnist', { store, fetch: loopback, verify: false });
    expect(first.checksum).toBe('unverified');
    expect(readdirSync(root).sort()).toEqual(['pneumoniamnist.npz', 'pneumoniamnist.npz.medxfer']);
    expect(md5Hex(readFileSync(join(root, 'pneumoniamnist.npz')))).toBe(SHARED_MD5);
    // The md5 hashed while downloading is remembered beside the file with its size and modification time.
    expect(JSON.parse(readFileSync(join(root, 'pneumoniamnist.npz.medxfer', 'md5.json'), 'utf8'))).toMatchObject({ md5: SHARED_MD5, size: pneumoniaBytes().length });
    expect(first.md5).toBe(SHARED_MD5);
    const second = await loadMedMNIST('pneumoniamnist', { store, fetch: loopback, verify: false });
    expect(second.source).toBe(join(root, 'pneumoniamnist.npz'));
    expect(served).toHaveLength(1);
  });

  it('offline: names the file, the URL and what to do', async () => {
    const offline: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    const store = memoryStore([], 'cache');
    await expect(loadMedMNIST('pneumoniamnist', { store, fetch: offline })).rejects.toThrow(DatasetUnavailableError);
    await expect(loadMedMNIST('pneumoniamnist', { store, fetch: offline })).rejects.toThrow(/cache:pneumoniamnist\.npz: cannot download https:\/\/zenodo\.org\/records\/10519652\/files\/pneumoniamnist\.npz\?download=1 \(fetch failed\)/);
    await expect(loadMedMNIST('pneumoniamnist', { store, download: false })).rejects.toThrow(/cache:pneumoniamnist\.npz does not exist; download it from https:\/\/zenodo/);
    await expect(loadMedMNIST('pneumoniamnist', { store, fetch: loopback, size: 64 })).rejects.toThrow(/HTTP 404/);
    await expect(loadMedMNIST('pneumoniamnist', { store, size: 100 as 64 })).rejects.toThrow(UnknownDatasetError);
    expect(store.files.size).toBe(0);
  });

  it('a download that breaks off reports it', async () => {
    const short: FetchLike = async () => new Response(new Uint8Array(10), { headers: { 'content-length': '100' } });
    await expect(downloadBytes('http://x/y', 'y', { fetch: short })).rejects.toThrow(/ended after 10 of 100 bytes/);
  });
});

describe('node adapters', () => {
  it('writeFileAtomic leaves no temporary file and replaces whole files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'medxfer-atomic-'));
    const target = join(root, 'sub', 'f.bin');
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(target, 'hello');
    expect(readFileSync(target, 'utf8')).toBe('hello');
    expect(readdirSync(join(root, 'sub'))).toEqual(['f.bin']);
    writeFileSync(join(root, 'dir-not-file'), '');
    await expect(writeFileAtomic(join(root, 'dir-not-file', 'x'), 'y')).rejects.toThrow();
  });

  it('defaultRoot honours MEDMNIST_ROOT, else ~/.medmnist', () => {
    expect(defaultRoot({ MEDMNIST_ROOT: '/data/medmnist' })).toBe('/data/medmnist');
    expect(defaultRoot({})).toMatch(/\.medmnist$/);
  });
});

describe('known copies', () => {
  it('a caller can verify a non-official copy against its own md5', () => {
    const data = openMedMNIST(pneumoniaBytes(), { flag: 'pneumoniamnist', expectedMd5: SHARED_MD5, source: 'bundled.npz' });
    expect(data.checksum).toBe('known-copy');
    const damaged = pneumoniaBytes().slice();
    damaged[1000] ^= 1;
    expect(() => openMedMNIST(damaged, { flag: 'pneumoniamnist', expectedMd5: SHARED_MD5, source: 'bundled.npz' })).toThrow(/bundled\.npz: md5 is [0-9a-f]{32}, expected b591286d75c096548ca78ab709b385da\. The file is damaged or was replaced/);
  });
});
