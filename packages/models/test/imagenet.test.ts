import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, memoryStore, type DownloadProgress, type FetchLike } from '@medxfer/data';
import { nodeStore } from '@medxfer/data/node';
import { IMAGENET_RESNET18, ModelError, ResNet18, WeightsUnavailableError, hashPrefixOf, loadImagenetResNet18Weights, loadStateDict } from '@medxfer/models';
import { torchHubCheckpointsDir } from '@medxfer/models/node';
import { useBackend } from '../../../test-support/backend.js';
import { readBytes, torchFixture } from './helpers.js';

// The real ImageNet weights cannot be downloaded here; a loopback server serves a real torchvision
// checkpoint (PyTorch's resnet18 with seed-0 random weights) in their place.
const fixture = readBytes(torchFixture('resnet18-random-seed0.pth'));
const fixtureSha = createHash('sha256').update(fixture).digest('hex');
const fixtureName = `resnet18-${fixtureSha.slice(0, 8)}.pth`;

describe('ImageNet ResNet18 weights: cache, download, hash check', () => {
  let server: Server;
  let base: string;
  let requests: string[] = [];
  let dir: string;

  beforeAll(async () => {
    await useBackend('cpu');
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/models/missing.pth') return void res.writeHead(404, 'Not Found').end('no such file');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(fixture.length) }).end(fixture);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((ok) => server.close(ok));
  });
  beforeEach(async () => {
    requests = [];
    dir = await mkdtemp(join(tmpdir(), 'medxfer-imagenet-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  /** fetch that sends download.pytorch.org to the loopback server, as a proxy or mirror would. */
  const loopbackFetch: FetchLike = (url, init) => fetch(url.replace('https://download.pytorch.org', base), init);

  it('torchvision constants and its hash-prefix convention', () => {
    expect(IMAGENET_RESNET18).toEqual({ url: 'https://download.pytorch.org/models/resnet18-f37072fd.pth', fileName: 'resnet18-f37072fd.pth', sha256Prefix: 'f37072fd' });
    expect(hashPrefixOf(IMAGENET_RESNET18.fileName)).toBe(IMAGENET_RESNET18.sha256Prefix);
    expect(hashPrefixOf('resnet18.pth')).toBeUndefined();
  });

  it('downloads, checks the sha256 prefix from the file name, caches, and the state loads into ResNet18', async () => {
    const store = nodeStore(dir);
    const progress: DownloadProgress[] = [];
    const url = `${base}/mirror/${fixtureName}`;
    const got = await loadImagenetResNet18Weights({ store, url, fileName: fixtureName, fetch, onProgress: (p) => progress.push(p) });
    expect(requests).toEqual([`/mirror/${fixtureName}`]);
    expect(got).toMatchObject({ sha256: fixtureSha, origin: 'download', source: `imagenet:resnet18-${fixtureSha.slice(0, 8)}`, path: join(dir, fixtureName) });
    expect(got.state.size).toBe(122);
    expect(progress.at(-1)).toEqual({ url, loaded: fixture.length, total: fixture.length });
    expect(await readdir(dir)).toEqual([fixtureName]);
    expect(createHash('sha256').update(readBytes(join(dir, fixtureName))).digest('hex')).toBe(fixtureSha);
    const model = new ResNet18();
    expect(loadStateDict(model, got.state).loaded).toHaveLength(102);
    model.dispose();

    // Again: from the cache, no request, even with downloads off.
    const again = await loadImagenetResNet18Weights({ store, url, fileName: fixtureName, fetch, download: false });
    expect(again).toMatchObject({ sha256: fixtureSha, origin: 'cache' });
    expect(requests).toHaveLength(1);
  });

  it('an explicit expectedSha256Prefix overrides the name (mirrors, tests)', async () => {
    const store = memoryStore();
    const got = await loadImagenetResNet18Weights({ store, fetch: loopbackFetch, expectedSha256Prefix: fixtureSha.slice(0, 12) });
    expect(got.origin).toBe('download');
    expect(requests).toEqual(['/models/resnet18-f37072fd.pth']);
    expect([...store.files.keys()]).toEqual(['resnet18-f37072fd.pth']);
  });

  it('the default URL serving other bytes → ChecksumMismatchError (expected prefix, actual hash); nothing cached', async () => {
    const store = nodeStore(dir);
    const error = await loadImagenetResNet18Weights({ store, fetch: loopbackFetch }).catch((e: unknown) => e);
    expect(requests).toEqual(['/models/resnet18-f37072fd.pth']);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ algorithm: 'sha256', expected: 'f37072fd…', actual: fixtureSha, file: IMAGENET_RESNET18.url });
    expect((error as Error).message).toContain(`nothing was saved to ${join(dir, 'resnet18-f37072fd.pth')}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('offline (connection refused) → WeightsUnavailableError naming the URL and where to put the file', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const offlineFetch: FetchLike = (url, init) => fetch(url.replace('https://download.pytorch.org', `http://127.0.0.1:${deadPort}`), init);
    const store = nodeStore(dir);
    const error = await loadImagenetResNet18Weights({ store, fetch: offlineFetch }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsUnavailableError);
    expect(error).toBeInstanceOf(ModelError);
    const path = join(dir, 'resnet18-f37072fd.pth');
    expect(error).toMatchObject({ code: 'WEIGHTS_UNAVAILABLE', url: IMAGENET_RESNET18.url, path });
    const message = (error as Error).message;
    expect(message).toContain('there is no network connection to https://download.pytorch.org/models/resnet18-f37072fd.pth');
    expect(message).toContain(`put it at ${path}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('downloads off and nothing cached → WeightsUnavailableError without a request', async () => {
    const error = await loadImagenetResNet18Weights({ store: nodeStore(dir), fetch: loopbackFetch, download: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsUnavailableError);
    expect((error as Error).message).toContain(`put it at ${join(dir, 'resnet18-f37072fd.pth')}`);
    expect(requests).toEqual([]);
  });

  it('HTTP 404 → WeightsUnavailableError with the status', async () => {
    const error = await loadImagenetResNet18Weights({ store: nodeStore(dir), fetch, url: `${base}/models/missing.pth` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsUnavailableError);
    expect((error as Error).message).toMatch(/the download failed: .*HTTP 404/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a file put in the store by hand is used offline; a wrong one is refused without a request', async () => {
    const store = nodeStore(dir);
    await writeFile(join(dir, fixtureName), fixture);
    const noNetwork: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    const got = await loadImagenetResNet18Weights({ store, fileName: fixtureName, fetch: noNetwork });
    expect(got).toMatchObject({ origin: 'cache', sha256: fixtureSha });

    await writeFile(join(dir, 'resnet18-f37072fd.pth'), fixture);
    const error = await loadImagenetResNet18Weights({ store, fetch: noNetwork }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain('delete it to download it again');
    expect(requests).toEqual([]);
  });

  it("torch hub's checkpoint folder, as PyTorch resolves it", () => {
    expect(torchHubCheckpointsDir({ TORCH_HOME: '/t' })).toBe('/t/hub/checkpoints');
    expect(torchHubCheckpointsDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/torch/hub/checkpoints');
    expect(torchHubCheckpointsDir({})).toMatch(/\.cache\/torch\/hub\/checkpoints$/);
  });
});
